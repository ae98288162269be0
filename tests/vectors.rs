//! Public test vectors run through the real binary: every case of Wycheproof's JWS and JWK
//! suites (../shared/vectors/wycheproof), and RFC 7515 Appendix A / RFC 8037 Appendix A.

mod common;
use common::*;
use serde_json::Value;
use std::path::PathBuf;

fn vectors_dir() -> PathBuf {
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    for candidate in [here.join("tests/vectors"), here.join("../shared/vectors")] {
        if candidate.join("wycheproof").is_dir() {
            return candidate;
        }
    }
    panic!("test vectors not found beside the repository (../shared/vectors)");
}

/// The signature verdict jwtctl reports for `jws` verified with `key` (a JWK or JWKS).
fn verdict(key: &Value, jws: &str, dir: &tempfile::TempDir, n: usize) -> (Option<bool>, String) {
    let path = dir.path().join(format!("key{n}.json"));
    std::fs::write(&path, key.to_string()).unwrap();
    let out = jwtctl()
        .args([
            "verify",
            "--json",
            "--allow-no-exp",
            "--now",
            "1500000000",
            "--key",
        ])
        .arg(&path)
        .arg(jws)
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(!stderr.contains("panicked"), "panic on {jws}: {stderr}");
    let line = stdout
        .lines()
        .next()
        .map(|l| serde_json::from_str::<Value>(l).unwrap());
    let verified = line
        .as_ref()
        .and_then(|v| v["signature"]["verified"].as_bool());
    (
        verified,
        format!("exit {:?}; {stderr}{stdout}", out.status.code()),
    )
}

/// Cases where the file's label is at odds with the JWS specification or the contract. Each is
/// still run, and jwtctl's verdict is held to what is written here.
const DISAGREEMENTS: [(&str, u64, bool, &str); 8] = [
    // 367 and 370 carry the very token of tcId 357 ("ValidMac", valid): a fault of the file.
    (
        "json_web_signature_test.json",
        367,
        true,
        "the same token as tcId 357, which is valid",
    ),
    (
        "json_web_signature_test.json",
        370,
        true,
        "the same token as tcId 357, which is valid",
    ),
    // A '?' is not base64url (RFC 7515 §2): strict decoding refuses these tokens.
    (
        "json_web_signature_test.json",
        372,
        false,
        "'?' inserted in the header is not base64url",
    ),
    (
        "json_web_signature_test.json",
        373,
        false,
        "'?' inserted in the payload is not base64url",
    ),
    // RFC 7520 keys whose JWK alg differs from the token's: the contract honors a JWK's alg.
    (
        "json_web_signature_test.json",
        346,
        false,
        "key alg PS256 does not allow the token's PS384",
    ),
    (
        "json_web_signature_test.json",
        347,
        false,
        "key alg \"ES521\" does not allow the token's ES512",
    ),
    (
        "json_web_signature_test.json",
        350,
        false,
        "key alg PS256 does not allow the token's PS384",
    ),
    (
        "json_web_signature_test.json",
        351,
        false,
        "key alg \"ES521\" does not allow the token's ES512",
    ),
];

fn run_suite(file: &str) -> usize {
    let path = vectors_dir().join("wycheproof").join(file);
    let suite: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    let mut count = 0;
    for group in suite["testGroups"].as_array().unwrap() {
        let key = group.get("public").unwrap_or(&group["private"]);
        for case in group["tests"].as_array().unwrap() {
            count += 1;
            let jws = case["jws"].as_str().unwrap();
            let expect_valid = case["result"] == "valid";
            let (verified, detail) = verdict(key, jws, &dir, count);
            let id = case["tcId"].as_u64().unwrap();
            let ok = match DISAGREEMENTS.iter().find(|d| d.0 == file && d.1 == id) {
                Some((_, _, true, _)) => verified == Some(true),
                Some((_, _, false, _)) => verified != Some(true),
                None if expect_valid => verified == Some(true),
                None => verified != Some(true),
            };
            if !ok {
                failures.push(format!(
                    "tcId {} ({}, {}) expected {}: {detail}",
                    case["tcId"], group["comment"], case["comment"], case["result"]
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {count} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    count
}

#[test]
fn wycheproof_json_web_signature() {
    assert_eq!(run_suite("json_web_signature_test.json"), 401);
}

#[test]
fn wycheproof_json_web_key() {
    assert_eq!(run_suite("json_web_key_test.json"), 26);
}

const RFC7515_PAYLOAD: &str = "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
const RFC7515_RSA_N: &str = "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ";

/// RFC 7515 Appendix A.1–A.4 and RFC 8037 Appendix A.4: (name, JWK, token, payload is a JWT).
fn rfc_vectors() -> Vec<(&'static str, String, String, bool)> {
    vec![
        (
            "RFC 7515 A.1 HS256",
            r#"{"kty":"oct","k":"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"}"#.into(),
            format!("eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.{RFC7515_PAYLOAD}.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            true,
        ),
        (
            "RFC 7515 A.2 RS256",
            format!(r#"{{"kty":"RSA","n":"{RFC7515_RSA_N}","e":"AQAB"}}"#),
            format!(
                "eyJhbGciOiJSUzI1NiJ9.{RFC7515_PAYLOAD}.cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw"
            ),
            true,
        ),
        (
            "RFC 7515 A.3 ES256",
            r#"{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}"#.into(),
            format!("eyJhbGciOiJFUzI1NiJ9.{RFC7515_PAYLOAD}.DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q"),
            true,
        ),
        (
            "RFC 7515 A.4 ES512",
            r#"{"kty":"EC","crv":"P-521","x":"AekpBQ8ST8a8VcfVOTNl353vSrDCLLJXmPk06wTjxrrjcBpXp5EOnYG_NjFZ6OvLFV1jSfS9tsz4qUxcWceqwQGk","y":"ADSmRA43Z1DSNx_RvcLI87cdL07l6jQyyBXMoxVg_l2Th-x3S1WDhjDly79ajL4Kkd0AZMaZmh9ubmf63e3kyMj2"}"#.into(),
            "eyJhbGciOiJFUzUxMiJ9.UGF5bG9hZA.AdwMgeerwtHoh-l192l60hp9wAHZFVJbLfD_UxMi70cwnZOYaRI1bKPWROc-mZZqwqT2SI-KGDKB34XO0aw_7XdtAG8GaSwFKdCAPZgoXD2YBJZCPEX3xKpRwcdOO8KpEHwJjyqOgzDO7iKvU8vcnwNrmxYbSW9ERBXukOXolLzeO_Jn".into(),
            false,
        ),
        (
            "RFC 8037 A.4 Ed25519",
            r#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#.into(),
            "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg".into(),
            false,
        ),
    ]
}

#[test]
fn rfc_appendix_vectors_verify_and_fail_when_altered() {
    let dir = tempfile::tempdir().unwrap();
    for (i, (name, jwk, token, is_jwt)) in rfc_vectors().into_iter().enumerate() {
        let key: Value = serde_json::from_str(&jwk).unwrap();
        let (verified, detail) = verdict(&key, &token, &dir, 1000 + i);
        assert_eq!(verified, Some(true), "{name}: {detail}");
        // The exit code: a JWT past its exp (2011) is expired; a bare JWS is not a JWT (3).
        let expected = if is_jwt {
            "exit Some(1)"
        } else {
            "exit Some(3)"
        };
        assert!(detail.starts_with(expected), "{name}: {detail}");
        // One changed byte in the signing input breaks it.
        let altered = token.replacen(".", ".X", 1);
        let (verified, detail) = verdict(&key, &altered, &dir, 2000 + i);
        assert_ne!(verified, Some(true), "{name} altered: {detail}");
    }
}
