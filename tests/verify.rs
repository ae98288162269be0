//! `jwtctl verify` through the real binary: algorithms, key formats, policy, claims, HTTP.

mod common;
use common::*;
use predicates::prelude::*;
use serde_json::Value;

/// Inside the fixtures' lifetime (iat 1800000000, exp +15m).
const NOW: &str = "1800000100";

fn verify_json(args: &[&str]) -> (i32, Value, String) {
    let out = jwtctl()
        .args(["verify", "--json", "--now", NOW])
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    let line = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .next()
        .map(|l| serde_json::from_str(l).unwrap());
    (
        out.status.code().unwrap(),
        line.unwrap_or(Value::Null),
        stderr,
    )
}

#[test]
fn every_algorithm_verifies_tokens_from_an_independent_implementation() {
    for alg in ALGS {
        let (token, key) = signed(alg);
        let (code, v, err) = verify_json(&["--key", &key, &token]);
        assert_eq!(code, 0, "{alg}: {v} {err}");
        assert_eq!(v["signature"]["verified"], true, "{alg}");
        assert_eq!(v["signature"]["alg"], alg);
        assert!(
            v["signature"]["key"]
                .as_str()
                .unwrap()
                .contains(key.rsplit('/').next().unwrap()),
            "{alg}: {v}"
        );
        assert_eq!(v["status"], "valid");
    }
}

#[test]
fn every_key_format_is_read() {
    let cases = [
        ("RS256", "rsa.pub.pem"),
        ("RS256", "rsa.pkcs1.pub.pem"),
        ("RS256", "rsa.pub.der"),
        ("RS256", "rsa.key.pem"),
        ("RS256", "rsa.pkcs1.pem"),
        ("RS256", "rsa.key.der"),
        ("RS256", "rsa.crt.pem"),
        ("RS256", "jwks.json"),
        ("ES256", "ec256.pub.pem"),
        ("ES256", "ec256.pub.der"),
        ("ES256", "ec256.key.pem"),
        ("ES256", "ec256.sec1.pem"),
        ("ES256", "ec256.crt.pem"),
        ("ES256", "jwks.json"),
        ("ES512", "ec521.sec1.pem"),
        ("ES512", "ec521.key.pem"),
        ("ES512", "jwks.json"),
        ("ES256K", "secp256k1.key.pem"),
        ("EdDSA", "ed25519.pub.der"),
        ("EdDSA", "ed25519.key.pem"),
        ("EdDSA", "ed25519.jwk.json"),
        ("EdDSA", "jwks.json"),
    ];
    for (alg, file) in cases {
        let (token, _) = signed(alg);
        let key = fixture_path(&format!("keys/{file}"));
        let (code, v, err) = verify_json(&["--key", &key, &token]);
        assert_eq!(
            (code, &v["signature"]["verified"]),
            (0, &Value::Bool(true)),
            "{alg} with {file}: {v} {err}"
        );
    }
}

#[test]
fn jwks_picks_by_kid_and_names_the_key() {
    let (token, _) = signed("ES256");
    let jwks = fixture_path("keys/jwks.json");
    let (code, v, _) = verify_json(&["--jwks", &jwks, &token]);
    assert_eq!(code, 0);
    assert_eq!(v["signature"]["kid"], "ES256-key");
    assert!(
        v["signature"]["key"]
            .as_str()
            .unwrap()
            .starts_with("kid ES256-key from")
    );
    // A kid the set does not have is a key problem.
    let (token, _) = signed("PS256");
    let (code, v, _) = verify_json(&["--jwks", &jwks, &token]);
    assert_eq!(code, 6);
    assert!(
        v["signature"]["error"]
            .as_str()
            .unwrap()
            .contains("no key has kid \"PS256-key\"")
    );
}

/// A token's kid picks the keys with that kid; a kid no key has falls back to the keys without
/// a kid; a token without a kid tries every key.
#[test]
fn a_kid_picks_its_keys_and_an_unknown_kid_the_keys_without_one() {
    let (a, b) = (
        b"the-secret-of-the-key-named-a-0123456789".as_slice(),
        b"the-secret-of-the-key-without-a-kid-0123".as_slice(),
    );
    let dir = tempfile::tempdir().unwrap();
    let jwks = dir.path().join("jwks.json");
    let k = |s: &[u8]| base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, s);
    std::fs::write(
        &jwks,
        format!(
            r#"{{"keys":[{{"kty":"oct","kid":"a","k":"{}"}},{{"kty":"oct","k":"{}"}}]}}"#,
            k(a),
            k(b)
        ),
    )
    .unwrap();
    let jwks = jwks.display().to_string();
    let claims = r#"{"sub":"s","iat":1800000000,"exp":1800000900}"#;
    let call = |secret: &[u8], header: &str| {
        let token = hs256_signed(secret, header, claims);
        let (code, v, err) = verify_json(&["--jwks", &jwks, &token]);
        (code, v["signature"]["verified"].clone(), err)
    };
    // kid "a": only key a, which verifies its own token and not the other's.
    assert_eq!(call(a, r#"{"alg":"HS256","kid":"a"}"#).1, true);
    let (code, verified, _) = call(b, r#"{"alg":"HS256","kid":"a"}"#);
    assert_eq!((code, verified), (1, Value::Bool(false)));
    // A kid no key has: the key without a kid, and only it.
    assert_eq!(call(b, r#"{"alg":"HS256","kid":"zz"}"#).1, true);
    let (code, verified, _) = call(a, r#"{"alg":"HS256","kid":"zz"}"#);
    assert_eq!((code, verified), (1, Value::Bool(false)));
    // No kid: every key.
    assert_eq!(call(a, r#"{"alg":"HS256"}"#).1, true);
    assert_eq!(call(b, r#"{"alg":"HS256"}"#).1, true);
}

#[test]
fn wrong_keys_and_tampering_fail() {
    let (token, _) = signed("RS256");
    // Another algorithm's key cannot verify.
    let (code, v, _) = verify_json(&["--key", &fixture_path("keys/ec256.pub.pem"), &token]);
    assert_eq!(code, 6);
    assert_eq!(v["signature"]["verified"], Value::Null);
    // A changed payload breaks the signature.
    let parts: Vec<&str> = token.split('.').collect();
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        b64(r#"{"sub":"admin","exp":1800000900}"#),
        parts[2]
    );
    let (code, v, _) = verify_json(&["--key", &fixture_path("keys/rsa.pub.pem"), &forged]);
    assert_eq!(code, 1);
    assert_eq!(v["signature"]["verified"], false);
    assert_eq!(v["status"], "invalid");
    assert!(
        v["signature"]["error"]
            .as_str()
            .unwrap()
            .contains("does not match")
    );
}

#[test]
fn each_key_tried_says_why_it_did_not_verify() {
    let dir = tempfile::tempdir().unwrap();
    let jwks = dir.path().join("keys.jwks");
    let oct = |secret: &[u8], alg: Option<&str>| {
        let mut key = serde_json::json!({"kty": "oct", "k": b64_bytes(secret)});
        if let Some(alg) = alg {
            key["alg"] = alg.into();
        }
        key
    };
    let keys = [
        oct(b"short", None),
        oct(&[b'x'; 40], None),
        oct(&[b'y'; 40], Some("HS512")),
    ];
    std::fs::write(&jwks, serde_json::json!({ "keys": keys }).to_string()).unwrap();
    let jwks = jwks.to_str().unwrap();
    let from = format!("HMAC secret key from {jwks}");
    let header = r#"{"alg":"HS256","typ":"JWT"}"#;
    let payload = r#"{"sub":"a","exp":1800000900}"#;
    let forged = hs256_signed(&[b'z'; 40], header, payload);
    let expected = format!(
        "bad signature: {from}: weak key refused: the HMAC secret is 5 bytes, shorter than the 32 \
         bytes HS256 needs; {from}: the signature does not match; {from}: the key is for HS512, \
         not HS256"
    );
    // One token, and many through two threads: each its own message, whole.
    let batch = format!("{}\n", [forged.as_str(); 300].join("\n"));
    let path = dir.path().join("tokens.txt");
    std::fs::write(&path, batch).unwrap();
    let tokens = format!("@{}", path.display());
    for args in [vec![forged.as_str()], vec!["--threads", "2", &tokens]] {
        let out = jwtctl()
            .args(["verify", "--json", "--now", NOW, "--jwks", jwks])
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        let reports = json_lines(&out.stdout);
        assert_eq!(reports.len(), if args.len() == 1 { 1 } else { 300 });
        for r in reports {
            assert_eq!(r["signature"]["error"], expected.as_str());
        }
    }
    // The strong key's own token verifies; with only the weak key, none can try.
    let good = hs256_signed(&[b'x'; 40], header, payload);
    let (code, v, _) = verify_json(&["--jwks", jwks, &good]);
    assert_eq!((code, &v["signature"]["verified"]), (0, &Value::Bool(true)));
    let weak = dir.path().join("weak.jwks");
    std::fs::write(
        &weak,
        serde_json::json!({ "keys": [oct(b"short", None)] }).to_string(),
    )
    .unwrap();
    let weak = weak.to_str().unwrap();
    let (code, v, _) = verify_json(&["--jwks", weak, &forged]);
    assert_eq!(code, 6);
    assert_eq!(
        v["signature"]["error"],
        format!(
            "no key can verify HS256: HMAC secret key from {weak}: weak key refused: the HMAC \
             secret is 5 bytes, shorter than the 32 bytes HS256 needs (--allow-weak-key accepts \
             weak keys)"
        )
    );
}

#[test]
fn algorithm_confusion_is_refused_and_explained() {
    // An HS256 token whose "secret" is the RSA public key's PEM text: the classic attack.
    let pem = std::fs::read(fixture_path("keys/rsa.pub.pem")).unwrap();
    let token = hs256_signed(
        &pem,
        r#"{"alg":"HS256","typ":"JWT"}"#,
        r#"{"sub":"admin","exp":1800000900}"#,
    );
    let (code, v, _) = verify_json(&["--key", &fixture_path("keys/rsa.pub.pem"), &token]);
    assert_eq!(code, 1);
    assert_eq!(v["signature"]["verified"], false);
    assert!(
        v["signature"]["error"]
            .as_str()
            .unwrap()
            .contains("algorithm-confusion")
    );
}

fn b64_bytes(b: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

#[test]
fn alg_none_in_every_spelling_is_refused() {
    for alg in ["none", "None", "NONE", "nOnE"] {
        let token = format!(
            "{}.{}.",
            b64(&format!(r#"{{"alg":"{alg}"}}"#)),
            b64(r#"{"exp":1800000900}"#)
        );
        let (code, v, _) = verify_json(&["--key", &fixture_path("keys/rsa.pub.pem"), &token]);
        assert_eq!(code, 1, "{alg}");
        assert_eq!(v["signature"]["verified"], false);
        assert!(
            v["signature"]["error"]
                .as_str()
                .unwrap()
                .contains("never accepted")
        );
    }
}

#[test]
fn a_missing_or_unknown_alg_is_refused_and_named() {
    let payload = b64(r#"{"exp":1800000900}"#);
    for (header, why) in [
        (r#"{"typ":"JWT"}"#, "the header has no alg string"),
        (r#"{"alg":5}"#, "the header has no alg string"),
        (r#"{"alg":"HS257"}"#, r#"unsupported algorithm "HS257""#),
        (r#"{"alg":" none "}"#, "never accepted"),
        (r#"{"alg":"hs256"}"#, r#"unsupported algorithm "hs256""#),
    ] {
        let token = format!("{}.{payload}.c2ln", b64(header));
        let (code, v, _) = verify_json(&["--key", &fixture_path("keys/rsa.pub.pem"), &token]);
        assert_eq!(code, 1, "{header}");
        assert_eq!(v["signature"]["verified"], false, "{header}");
        let error = v["signature"]["error"].as_str().unwrap();
        assert!(error.contains(why), "{header}: {error}");
    }
}

#[test]
fn alg_pinning_and_crit() {
    let (token, key) = signed("PS256");
    let (code, v, _) = verify_json(&["--key", &key, "--alg", "RS256", "--alg", "RS512", &token]);
    assert_eq!(code, 1);
    assert!(
        v["signature"]["error"]
            .as_str()
            .unwrap()
            .contains("not among --alg RS256, RS512")
    );
    let (code, _, _) = verify_json(&["--key", &key, "--alg", "PS256", &token]);
    assert_eq!(code, 0);
    jwtctl()
        .args(["verify", "--key", &key, "--alg", "none", &token])
        .assert()
        .code(2);
    let crit = token_with_header(r#"{"alg":"HS256","crit":["exp"],"exp":1}"#);
    let (code, v, _) = verify_json(&["--secret-file", &fixture_path("hs256.secret"), &crit]);
    assert_eq!(code, 1);
    assert!(
        v["signature"]["error"]
            .as_str()
            .unwrap()
            .contains("crit names exp")
    );
}

fn token_with_header(header: &str) -> String {
    format!("{}.{}.c2ln", b64(header), b64(r#"{"exp":1800000900}"#))
}

#[test]
fn jwk_alg_use_and_key_ops_are_honored() {
    let (token, _) = signed("RS256");
    let dir = tempfile::tempdir().unwrap();
    let jwks: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture_path("keys/jwks.json")).unwrap())
            .unwrap();
    let rsa = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kty"] == "RSA")
        .unwrap()
        .clone();
    for (patch, needle) in [
        (
            ("alg", Value::from("PS256")),
            "the key is for PS256, not RS256",
        ),
        (("use", Value::from("enc")), "use is \"enc\""),
        (("key_ops", serde_json::json!(["encrypt"])), "key_ops"),
    ] {
        let mut k = rsa.clone();
        k[patch.0] = patch.1.clone();
        let path = dir.path().join("k.json");
        std::fs::write(&path, k.to_string()).unwrap();
        let (code, v, _) = verify_json(&["--key", path.to_str().unwrap(), &token]);
        assert_eq!(code, 6, "{needle}");
        assert!(
            v["signature"]["error"].as_str().unwrap().contains(needle),
            "{v}"
        );
    }
}

#[test]
fn weak_keys_are_refused_unless_allowed() {
    let token = hs256_signed(b"tiny", r#"{"alg":"HS256"}"#, r#"{"exp":1800000900}"#);
    let (code, v, _) = verify_json(&["--secret", "tiny", &token]);
    assert_eq!(code, 6);
    assert!(
        v["signature"]["error"]
            .as_str()
            .unwrap()
            .contains("--allow-weak-key")
    );
    let (code, v, _) = verify_json(&["--secret", "tiny", "--allow-weak-key", &token]);
    assert_eq!(code, 0);
    let codes = warning_codes(&v);
    assert!(codes.iter().any(|c| c == "weak_key"), "{codes:?}");
}

#[test]
fn secrets_from_file_env_and_base64_never_printed() {
    let (token, _) = signed("HS256");
    let secret = "an-hs256-secret-of-32-bytes-at-least!!";
    let (code, _, _) = verify_json(&["--secret", secret, &token]);
    assert_eq!(code, 0);
    let out = jwtctl()
        .args([
            "verify",
            "--now",
            NOW,
            "--secret-env",
            "JWT_TEST_SECRET",
            &token,
        ])
        .env("JWT_TEST_SECRET", secret)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("s.b64");
    use base64::Engine as _;
    std::fs::write(
        &file,
        format!(
            "{}\n",
            base64::engine::general_purpose::STANDARD.encode(secret)
        ),
    )
    .unwrap();
    let (code, _, _) = verify_json(&[
        "--secret-file",
        file.to_str().unwrap(),
        "--secret-base64",
        &token,
    ]);
    assert_eq!(code, 0);
    // A wrong secret: nothing printed anywhere may contain it.
    let wrong = "wrong-secret-but-long-enough-0123456789";
    for args in [vec!["--json"], vec![]] {
        let out = jwtctl()
            .args(["verify", "--now", NOW, "--secret", wrong])
            .args(args)
            .arg(&token)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!all.contains(wrong) && !all.contains("0123456789"), "{all}");
    }
    jwtctl()
        .args(["verify", "--secret-env", "JWT_UNSET_VARIABLE_X", &token])
        .env_remove("JWT_UNSET_VARIABLE_X")
        .assert()
        .code(6)
        .stderr(predicate::str::contains("JWT_UNSET_VARIABLE_X is not set"));
}

#[test]
fn claims_checks() {
    let (token, key) = signed("ES256");
    let ok = |args: &[&str]| verify_json(&[&["--key", &key], args, &[&token]].concat()).0;
    assert_eq!(
        ok(&[
            "--iss",
            "https://auth.example.com",
            "--aud",
            "api",
            "--sub",
            "user-42"
        ]),
        0
    );
    assert_eq!(ok(&["--aud", "other", "--aud", "api"]), 0);
    assert_eq!(ok(&["--require", "sub", "--require", "iat"]), 0);
    let (code, v, _) = verify_json(&["--key", &key, "--aud", "other", &token]);
    assert_eq!(code, 1);
    assert_eq!(v["signature"]["verified"], true);
    assert_eq!(v["reasons"][0], "aud must be one of other, but it is api");
    let (code, v, _) = verify_json(&["--key", &key, "--require", "scope", &token]);
    assert_eq!(code, 1);
    assert_eq!(v["reasons"][0], "required claim scope is missing");
    assert_eq!(
        verify_json(&["--key", &key, "--iss", "https://evil.example", &token]).0,
        1
    );
    // Time: expired, not yet valid, leeway.
    let run = |now: &str, extra: &[&str]| {
        jwtctl()
            .args(["verify", "--now", now, "--key", &key])
            .args(extra)
            .arg(&token)
            .output()
            .unwrap()
            .status
            .code()
            .unwrap()
    };
    assert_eq!(run("1800000900", &[]), 1);
    assert_eq!(run("1800000900", &["--leeway", "1m"]), 0);
    assert_eq!(run("1799999000", &[]), 5);
}

#[test]
fn exp_is_required_unless_allowed() {
    let secret = b"a-secret-that-is-32-bytes-long!!";
    let token = hs256_signed(secret, r#"{"alg":"HS256"}"#, r#"{"sub":"x"}"#);
    let s = std::str::from_utf8(secret).unwrap();
    assert_eq!(verify_json(&["--secret", s, &token]).0, 7);
    assert_eq!(verify_json(&["--secret", s, "--allow-no-exp", &token]).0, 0);
}

#[test]
fn not_a_jwt_still_gets_its_signature_checked() {
    let secret = b"a-secret-that-is-32-bytes-long!!";
    let token = hs256_signed(secret, r#"{"alg":"HS256"}"#, "hello");
    let (code, v, _) = verify_json(&["--secret", std::str::from_utf8(secret).unwrap(), &token]);
    assert_eq!(code, 3);
    assert_eq!(v["signature"]["verified"], true);
    assert_eq!(v["header"]["alg"], "HS256");
}

#[test]
fn ecdsa_signatures_must_be_raw_and_nonzero() {
    let (token, key) = signed("ES256");
    let (head, _) = token.rsplit_once('.').unwrap();
    // r = s = 0 ("psychic signatures"), and a DER-shaped signature.
    for sig in [vec![0u8; 64], vec![0x30, 0x44, 0x02, 0x20]] {
        let forged = format!("{head}.{}", b64_bytes(&sig));
        let (code, v, _) = verify_json(&["--key", &key, &forged]);
        assert_eq!(code, 1);
        assert_eq!(v["signature"]["verified"], false);
    }
}

#[test]
fn embedded_keys_are_never_trusted() {
    // A token that brings its own key in the header, signed with that (attacker's) key.
    let (token, _) = signed("ES256");
    let jwks: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture_path("keys/jwks.json")).unwrap())
            .unwrap();
    let ec = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["crv"] == "P-256")
        .unwrap();
    let payload = token.split('.').nth(1).unwrap();
    let header = b64(&format!(r#"{{"alg":"ES256","jwk":{ec}}}"#));
    let forged = format!("{header}.{payload}.{}", token.rsplit('.').next().unwrap());
    let (code, v, _) = verify_json(&["--key", &fixture_path("keys/rsa.pub.pem"), &forged]);
    assert_ne!(code, 0);
    assert_ne!(v["signature"]["verified"], true);
    let codes = warning_codes(&v);
    assert!(codes.iter().any(|c| c == "embedded_key"), "{codes:?}");
}

#[test]
fn jwe_is_not_verifiable() {
    let jwe = format!("{}..aXY.Y3Q.dGFn", b64(r#"{"alg":"dir","enc":"A256GCM"}"#));
    let (code, v, _) = verify_json(&["--key", &fixture_path("keys/rsa.pub.pem"), &jwe]);
    assert_eq!(code, 3);
    assert_eq!(v["signature"]["verified"], Value::Null);
}

#[test]
fn key_problems_exit_6_with_clear_errors() {
    let (token, _) = signed("RS256");
    jwtctl()
        .args(["verify", "--key", "/nonexistent/key.pem", &token])
        .assert()
        .code(6)
        .stderr("error: cannot read key file /nonexistent/key.pem: No such file or directory\n");
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.pem");
    std::fs::write(
        &junk,
        "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
    )
    .unwrap();
    jwtctl()
        .args(["verify", "--key", junk.to_str().unwrap(), &token])
        .assert()
        .code(6)
        .stderr(predicate::str::starts_with("error: "));
    std::fs::write(&junk, [0u8, 1, 2, 3, 0xff]).unwrap();
    jwtctl()
        .args(["verify", "--key", junk.to_str().unwrap(), &token])
        .assert()
        .code(6);
    jwtctl()
        .args(["verify", &token])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("verify needs a key"))
        .stderr(predicate::str::contains("hint: name one: --key PATH"));
    jwtctl()
        .args(["verify", "--key", "a", "--jwks", "b", &token])
        .assert()
        .code(2);
}

#[test]
fn jwks_and_oidc_over_http() {
    let jwks = std::fs::read_to_string(fixture_path("keys/jwks.json")).unwrap();
    let base = http_server(vec![
        ("/jwks.json", 200, jwks.clone()),
        ("/bad.json", 200, "{not json".to_string()),
        ("/broken", 500, "oops".to_string()),
    ]);
    let (token, _) = signed("EdDSA");
    let (code, v, err) = verify_json(&["--jwks", &format!("{base}/jwks.json"), &token]);
    assert_eq!(code, 0, "{err}");
    assert!(
        v["signature"]["key"]
            .as_str()
            .unwrap()
            .contains("/jwks.json")
    );
    for (path, needle) in [
        ("/missing", "HTTP 404"),
        ("/broken", "HTTP 500"),
        ("/bad.json", "not valid JSON"),
    ] {
        let (code, _, err) = verify_json(&["--jwks", &format!("{base}{path}"), &token]);
        assert_eq!(code, 6, "{path}");
        assert!(err.contains(needle), "{path}: {err}");
    }
    let (code, _, err) =
        verify_json(&["--timeout", "1s", "--jwks", &format!("{base}/hang"), &token]);
    assert_eq!(code, 6);
    assert!(err.contains("timed out"), "{err}");
    let (code, _, err) = verify_json(&["--jwks", "http://127.0.0.1:1/jwks.json", &token]);
    assert_eq!(code, 6);
    assert!(err.starts_with("error: cannot fetch"), "{err}");
    // The longest timeouts are as good as none (the clock's arithmetic overflowed: a panic).
    for longest in ["9223372036854775807s", "106751991167300d"] {
        let url = format!("{base}/jwks.json");
        let (code, _, err) = verify_json(&["--timeout", longest, "--jwks", &url, &token]);
        assert_eq!(code, 0, "{longest}: {err}");
    }
}

#[test]
fn oidc_discovery() {
    let jwks = std::fs::read_to_string(fixture_path("keys/jwks.json")).unwrap();
    // The issuer must be the server's own URL, which is known only once it listens: serve the
    // discovery document from a second server whose routes name the first.
    let keys = http_server(vec![("/jwks.json", 200, jwks)]);
    let (token, _) = signed("ES256");
    let issuer_claim = "https://auth.example.com";
    let doc = format!(r#"{{"issuer":"{issuer_claim}","jwks_uri":"{keys}/jwks.json"}}"#);
    let base = http_server(vec![("/.well-known/openid-configuration", 200, doc)]);
    // The discovery document names another issuer than the URL given: refused.
    let (code, _, err) = verify_json(&["--oidc-issuer", &base, &token]);
    assert_eq!(code, 6);
    assert!(err.contains("names issuer"), "{err}");
    // A real discovery: the token's iss must equal the issuer URL.
    let jwks = std::fs::read_to_string(fixture_path("keys/jwks.json")).unwrap();
    let issuer = http_server(vec![
        (
            "/.well-known/openid-configuration",
            200,
            r#"{"issuer":"{base}","jwks_uri":"{base}/jwks.json"}"#.into(),
        ),
        ("/jwks.json", 200, jwks),
    ]);
    let good = es256(&format!(r#"{{"iss":"{issuer}","exp":1800000900}}"#));
    let (code, v, err) = verify_json(&["--oidc-issuer", &issuer, &good]);
    assert_eq!(code, 0, "{v} {err}");
    assert_eq!(v["signature"]["verified"], true);
    let foreign = es256(r#"{"iss":"https://elsewhere.example","exp":1800000900}"#);
    let (code, v, _) = verify_json(&["--oidc-issuer", &issuer, &foreign]);
    assert_eq!(code, 1);
    assert!(
        v["reasons"][0]
            .as_str()
            .unwrap()
            .starts_with("iss must be one of http://127.0.0.1:")
    );
    let empty = http_server(vec![(
        "/.well-known/openid-configuration",
        200,
        "{}".into(),
    )]);
    let (code, _, err) = verify_json(&["--oidc-issuer", &empty, &token]);
    assert_eq!(code, 6);
    assert!(err.contains("no jwks_uri"), "{err}");
    // A jwks_uri that is a path, even to a JWKS that would verify the token, is not read: what
    // a server says never names a local file.
    let jwks_path = fixture_path("keys/jwks.json");
    for named in [jwks_path.clone(), format!("file://{jwks_path}")] {
        let local = http_server(vec![(
            "/.well-known/openid-configuration",
            200,
            format!(r#"{{"issuer":"{{base}}","jwks_uri":"{named}"}}"#),
        )]);
        let (code, _, err) = verify_json(&["--oidc-issuer", &local, &good]);
        assert_eq!(code, 6, "{err}");
        assert!(err.contains("is not an http or https URL"), "{err}");
    }
    let (code, _, _) = verify_json(&["--jwks", &jwks_path, &good]);
    assert_eq!(code, 0, "the same JWKS, named by the user, verifies");
}

#[test]
fn jwks_and_oidc_over_https_from_a_private_ca() {
    let jwks = std::fs::read_to_string(fixture_path("keys/jwks.json")).unwrap();
    let plain = http_server(vec![("/jwks.json", 200, jwks.clone())]);
    let base = https_server(vec![
        ("/jwks.json", 200, jwks.clone()),
        (
            "/.well-known/openid-configuration",
            200,
            r#"{"issuer":"{base}","jwks_uri":"{base}/jwks.json"}"#.into(),
        ),
        // An https URL that redirects to http, and one that redirects to https.
        ("/to-http", 302, format!("{plain}/jwks.json")),
        ("/to-https", 302, "{base}/jwks.json".into()),
    ]);
    let url = format!("{base}/jwks.json");
    let ca = fixture_path("keys/tls-ca.crt.pem");
    let (token, _) = signed("EdDSA");
    // The tests' CA is not among the built-in roots: refused, with the way out.
    let (code, _, err) = verify_json(&["--jwks", &url, &token]);
    assert_eq!(code, 6, "{err}");
    assert!(
        err.starts_with("error: cannot fetch https://127.0.0.1:"),
        "{err}"
    );
    assert!(
        err.contains("TLS error") && err.contains("--cacert"),
        "{err}"
    );
    // Trusted with --cacert, or with SSL_CERT_FILE as OpenSSL's tools take it.
    let (code, v, err) = verify_json(&["--cacert", &ca, "--jwks", &url, &token]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(v["signature"]["verified"], true);
    let out = jwtctl()
        .env("SSL_CERT_FILE", &ca)
        .args(["verify", "--now", NOW, "--jwks", &url, &token])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    // --cacert is taken before SSL_CERT_FILE (and then no hint names it).
    let other = fixture_path("keys/rsa.crt.pem");
    let out = jwtctl()
        .env("SSL_CERT_FILE", &ca)
        .args([
            "verify", "--now", NOW, "--cacert", &other, "--jwks", &url, &token,
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(6), "{out:?}");
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("TLS error") && !err.contains("--cacert PATH"),
        "{err}"
    );
    // OIDC discovery and its jwks_uri over https.
    let good = es256(&format!(r#"{{"iss":"{base}","exp":1800000900}}"#));
    let (code, v, err) = verify_json(&["--cacert", &ca, "--oidc-issuer", &base, &good]);
    assert_eq!(code, 0, "{v} {err}");
    // An https URL's redirects stay https.
    let (code, _, err) = verify_json(&[
        "--cacert",
        &ca,
        "--jwks",
        &format!("{base}/to-http"),
        &token,
    ]);
    assert_eq!(code, 6, "{err}");
    assert!(err.contains("not https (refused)"), "{err}");
    let (code, _, err) = verify_json(&[
        "--cacert",
        &ca,
        "--jwks",
        &format!("{base}/to-https"),
        &token,
    ]);
    assert_eq!(code, 0, "{err}");
    // A CA file that cannot be read, or holds no certificate: one line naming it, exit 6.
    let key = fixture_path("keys/ec256.key.pem");
    for (file, needle) in [
        (
            "/nonexistent/ca.pem",
            "cannot read CA file (--cacert) /nonexistent/ca.pem",
        ),
        (key.as_str(), "(--cacert): no CA certificate in it"),
    ] {
        let (code, _, err) = verify_json(&["--cacert", file, "--jwks", &url, &token]);
        assert_eq!(code, 6, "{err}");
        assert!(err.starts_with("error: ") && err.contains(needle), "{err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    }
    let out = jwtctl()
        .env("SSL_CERT_FILE", "/nonexistent/ca.pem")
        .args(["verify", "--now", NOW, "--jwks", &url, &token])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(6));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("CA file (SSL_CERT_FILE) /nonexistent/ca.pem"),
        "{err}"
    );
}

#[test]
fn weak_secret_is_said_whether_or_not_the_signature_verifies() {
    let weak = hs256_signed(
        b"your-256-bit-secret",
        r#"{"alg":"HS256","typ":"JWT"}"#,
        r#"{"exp":1800000600}"#,
    );
    // Verified by the user's secret, which is on the list.
    let (code, report, _) =
        verify_json(&["--secret", "your-256-bit-secret", "--allow-weak-key", &weak]);
    assert_eq!(code, 0);
    assert_eq!(report["signature"]["verified"], true);
    assert!(
        warning_codes(&report).contains(&"weak_secret".to_string()),
        "{report}"
    );
    // Not verified by the user's strong secret: the list is searched.
    let strong = "r4nd0m-and-long-enough-to-be-a-real-secret!";
    let (code, report, _) = verify_json(&["--secret", strong, &weak]);
    assert_eq!(code, 1);
    assert!(
        warning_codes(&report).contains(&"weak_secret".to_string()),
        "{report}"
    );
    // A token verified by a strong secret has no such warning.
    let good = hs256_signed(
        strong.as_bytes(),
        r#"{"alg":"HS256","typ":"JWT"}"#,
        r#"{"exp":1800000600}"#,
    );
    let (code, report, _) = verify_json(&["--secret", strong, &good]);
    assert_eq!(code, 0);
    assert!(warning_codes(&report).is_empty(), "{report}");
    // The secret never appears in the output.
    assert!(!report.to_string().contains(strong));
}

/// ES256 tokens by the hundred under one key: after its first tokens the key verifies through a
/// table of its own (src/p256.rs). Every verdict is the one each token gets alone, good
/// signatures and bad (a changed byte, another token's signature, s replaced by n - s, which
/// ECDSA also accepts), on one thread and two.
#[test]
fn es256_in_bulk_gives_each_token_its_verdict_alone() {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let n: [u8; 32] = [
        0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63,
        0x25, 0x51,
    ];
    let good: Vec<String> = (0..120)
        .map(|i| {
            es256(&format!(
                r#"{{"sub":"u{i}","iat":{T0},"exp":{}}}"#,
                T0 + 900
            ))
        })
        .collect();
    let mut tokens = Vec::new();
    let mut expected = Vec::new();
    for (i, t) in good.iter().enumerate() {
        let (input, signature) = t.rsplit_once('.').unwrap();
        let mut sig = b64.decode(signature).unwrap();
        let (token, ok) = match i % 4 {
            0 | 1 => (t.clone(), true),
            2 if i % 8 == 2 => {
                sig[(i * 7) % 64] ^= 0x10;
                (format!("{input}.{}", b64.encode(&sig)), false)
            }
            2 => {
                let other = good[(i + 1) % good.len()].rsplit_once('.').unwrap().1;
                (format!("{input}.{other}"), false)
            }
            _ => {
                // n - s, big-endian.
                let mut borrow = 0i16;
                for k in (0..32).rev() {
                    let d = i16::from(n[k]) - i16::from(sig[32 + k]) - borrow;
                    sig[32 + k] = d.rem_euclid(256) as u8;
                    borrow = i16::from(d < 0);
                }
                (format!("{input}.{}", b64.encode(&sig)), true)
            }
        };
        tokens.push(token);
        expected.push(ok);
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tokens.txt");
    std::fs::write(&file, tokens.join("\n") + "\n").unwrap();
    let key = fixture_path("keys/ec256.pub.pem");
    let input = format!("@{}", file.display());
    let mut outputs = Vec::new();
    for threads in ["1", "2"] {
        let out = jwtctl()
            .args(["verify", "--json", "--now", NOW, "--threads", threads])
            .args(["--key", &key, &input])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "some signatures are bad");
        let reports = json_lines(&out.stdout);
        let verdicts: Vec<bool> = reports
            .iter()
            .map(|r| r["signature"]["verified"] == true)
            .collect();
        assert_eq!(verdicts, expected, "{threads} thread(s)");
        outputs.push(out.stdout);
    }
    assert_eq!(outputs[0], outputs[1]);
    // Each verdict is also the one the token gets alone (before any table).
    for (token, ok) in tokens.iter().zip(&expected).step_by(5) {
        let (code, report, _) = verify_json(&["--key", &key, token]);
        assert_eq!(report["signature"]["verified"] == true, *ok, "{token}");
        assert_eq!(code, if *ok { 0 } else { 1 });
    }
}

/// `--secret @PATH` reads a file in some tools; here the text is the secret, and a
/// text that names a file says so where the key is named, and how to read a file instead,
/// without printing the text: verify with a short text (refused as weak), a long one (a bad
/// signature), and encode with the short one.
#[test]
fn a_secret_that_names_a_file_says_it_is_the_secret_itself() {
    let (token, _) = signed("HS256");
    let dir = tempfile::tempdir().unwrap();
    let long = "a-file-whose-name-is-longer-than-32-bytes.txt";
    for name in ["k.txt", long] {
        std::fs::write(
            dir.path().join(name),
            "an-hs256-secret-of-32-bytes-at-least!!",
        )
        .unwrap();
    }
    let said = "the secret is the text given, which starts with '@' and names a file: to read a \
                secret from a file, use --secret-file PATH";
    let run = |args: &[&str]| {
        let out = jwtctl()
            .current_dir(dir.path())
            .args(args)
            .output()
            .unwrap();
        let text = String::from_utf8(out.stdout).unwrap() + &String::from_utf8(out.stderr).unwrap();
        (out.status.code().unwrap(), text)
    };
    for (secret, code) in [("@k.txt", 6), (&format!("@{long}"), 1)] {
        let (got, text) = run(&["verify", "--now", NOW, "--secret", secret, &token]);
        assert_eq!(got, code, "{text}");
        assert!(text.contains(said), "{text}");
        assert!(!text.contains(&secret[1..]), "{text}");
    }
    // A text naming no file says nothing of files.
    let (_, text) = run(&["verify", "--now", NOW, "--secret", "@no-such-file", &token]);
    assert!(!text.contains("names a file"), "{text}");
    let (got, text) = run(&[
        "encode", "--alg", "HS256", "--secret", "@k.txt", "--claim", "sub=x",
    ]);
    assert_eq!(got, 6, "{text}");
    assert!(text.contains(&format!("hint: {said}")), "{text}");
    assert!(!text.contains("k.txt"), "{text}");
    // A text long enough to sign with signs, and says what it signed with, on stderr alone.
    let out = jwtctl()
        .current_dir(dir.path())
        .args(["encode", "--alg", "HS256", "--secret", &format!("@{long}")])
        .args(["--now", NOW, "--exp", "1h"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(
        stderr,
        format!("warning: signed with the text of --secret: {said}\n")
    );
    let token = String::from_utf8(out.stdout).unwrap();
    let (got, text) = run(&[
        "verify",
        "--now",
        NOW,
        "--secret",
        &format!("@{long}"),
        token.trim_end(),
    ]);
    assert_eq!(got, 0, "{text}");
    // The same secret from the file, or as a text naming no file, says nothing more.
    let out = jwtctl()
        .current_dir(dir.path())
        .args(["encode", "--alg", "HS256", "--secret-file", long])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stderr.is_empty());
}

/// Key files as editors and tools leave them: a byte order mark first (Windows Notepad), CRLF
/// line ends, a certificate after `openssl x509 -text`'s words.
#[test]
fn key_files_as_editors_leave_them() {
    let (token, _) = signed("RS256");
    let dir = tempfile::tempdir().unwrap();
    let read = |name: &str| std::fs::read(fixture_path(&format!("keys/{name}"))).unwrap();
    let bom = |bytes: Vec<u8>| [&b"\xEF\xBB\xBF"[..], &bytes].concat();
    let pem = read("rsa.pub.pem");
    let crlf = String::from_utf8(pem.clone())
        .unwrap()
        .replace('\n', "\r\n");
    let worded = [
        &b"Certificate:\n    Data:\n        Version: 3 (0x2)\n"[..],
        &read("rsa.crt.pem"),
    ]
    .concat();
    for (name, bytes, flag) in [
        ("bom.pem", bom(pem), "--key"),
        ("crlf.pem", crlf.into_bytes(), "--key"),
        ("worded.crt", worded, "--key"),
        ("bom.jwks", bom(read("jwks.json")), "--jwks"),
        ("bom.jwks.as-key", bom(read("jwks.json")), "--key"),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let (code, v, err) = verify_json(&[flag, path.to_str().unwrap(), &token]);
        assert_eq!(code, 0, "{name}: {err}");
        assert_eq!(v["signature"]["verified"], true, "{name}");
    }
}
