//! `jwtctl encode` through the real binary: every algorithm and key format, round trips through
//! `verify`, an independent implementation as oracle, claims and header options, refusals.

mod common;
use common::*;
use predicates::prelude::*;
use serde_json::Value;

/// (alg, signing key, verifying key) across every private key format.
const MATRIX: [(&str, &str, &str); 16] = [
    ("HS256", "hs256.jwk.json", "hs256.jwk.json"),
    ("HS384", "hs384.jwk.json", "hs384.jwk.json"),
    ("HS512", "hs512.jwk.json", "hs512.jwk.json"),
    ("RS256", "rsa.key.pem", "rsa.pub.pem"),
    ("RS384", "rsa.pkcs1.pem", "rsa.crt.pem"),
    ("RS512", "rsa.key.der", "rsa.pub.der"),
    ("PS256", "rsa.private.jwk.json", "rsa.pkcs1.pub.pem"),
    ("PS384", "rsa.key.pem", "rsa.pub.pem"),
    ("PS512", "rsa.pkcs1.pem", "rsa.pub.pem"),
    ("ES256", "ec256.sec1.pem", "ec256.pub.pem"),
    ("ES256", "ec256.private.jwk.json", "ec256.crt.pem"),
    ("ES384", "ec384.key.pem", "ec384.pub.pem"),
    ("ES512", "ec521.sec1.pem", "ec521.pub.pem"),
    ("ES512", "ec521.private.jwk.json", "ec521.pub.pem"),
    ("ES256K", "secp256k1.key.pem", "secp256k1.pub.pem"),
    ("EdDSA", "ed25519.private.jwk.json", "ed25519.pub.der"),
];

fn key(name: &str) -> String {
    fixture_path(&format!("keys/{name}"))
}

fn encode(args: &[&str]) -> String {
    let out = jwtctl()
        .args(["encode", "--now", "1800000000"])
        .args(args)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stderr.is_empty());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.ends_with('\n') && text.matches('\n').count() == 1,
        "one token and a newline: {text:?}"
    );
    text.trim_end().to_string()
}

fn parts(token: &str) -> (Value, Value) {
    use base64::Engine as _;
    let d = |s: &str| {
        serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(s)
                .unwrap(),
        )
        .unwrap()
    };
    let mut it = token.split('.');
    (d(it.next().unwrap()), d(it.next().unwrap()))
}

#[test]
fn every_algorithm_and_key_format_round_trips_through_verify() {
    for (alg, signing, verifying) in MATRIX {
        let token = encode(&[
            "--alg",
            alg,
            "--key",
            &key(signing),
            "--claim",
            "sub=me",
            "--exp",
            "15m",
        ]);
        let out = jwtctl()
            .args([
                "verify",
                "--json",
                "--now",
                "1800000001",
                "--key",
                &key(verifying),
                &token,
            ])
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{alg} {signing} -> {verifying}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        let v = &json_lines(&out.stdout)[0];
        assert_eq!(v["signature"]["verified"], true, "{alg}");
        assert_eq!(v["header"]["alg"], alg);
    }
}

#[test]
fn tokens_verify_in_an_independent_implementation() {
    use std::io::Write;
    let mut lines = String::new();
    for (alg, signing, verifying) in MATRIX {
        let token = encode(&[
            "--alg",
            alg,
            "--key",
            &key(signing),
            "--claim",
            "sub=oracle",
        ]);
        // joserfc reads public keys as SPKI PEM or JWK.
        let public = match alg {
            "HS256" | "HS384" | "HS512" => verifying,
            "ES256" => "ec256.pub.pem",
            "ES384" => "ec384.pub.pem",
            "ES512" => "ec521.pub.pem",
            "ES256K" => "secp256k1.pub.pem",
            "EdDSA" => "ed25519.pub.pem",
            _ => "rsa.pub.pem",
        };
        lines.push_str(&format!("{alg} {} {token}\n", key(public)));
    }
    let script = format!("{}/tests/oracle.py", env!("CARGO_MANIFEST_DIR"));
    let mut child = std::process::Command::new("python3")
        .arg(&script)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python3 is needed for the oracle test");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(lines.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        !stderr.contains("No module named"),
        "the oracle needs joserfc: pip install joserfc ({stderr})"
    );
    assert_eq!(
        stdout.lines().filter(|l| l.starts_with("ok ")).count(),
        MATRIX.len(),
        "{stdout}{stderr}"
    );
}

#[test]
fn claims_and_header_options() {
    let token = encode(&[
        r#"{"z":1,"a":{"n":[1,2]},"big":123456789012345678901234567890}"#,
        "--alg",
        "HS256",
        "--key",
        &key("hs256.jwk.json"),
        "--claim",
        "scope=read write",
        "--claim",
        "admin=false",
        "--claim",
        "n=42",
        "--claim",
        "z=2",
        "--nbf",
        "1m",
        "--exp",
        "2027-01-15T09:00:00Z",
        "--kid",
        "HS256-key",
        "--typ",
        "at+jwt",
        "--header",
        "cty=JWT",
        "--header",
        "x5t=\"abc\"",
    ]);
    let (header, payload) = parts(&token);
    assert_eq!(
        header.to_string(),
        r#"{"alg":"HS256","typ":"at+jwt","kid":"HS256-key","cty":"JWT","x5t":"abc"}"#
    );
    assert_eq!(
        payload.to_string(),
        r#"{"z":2,"a":{"n":[1,2]},"big":123456789012345678901234567890,"scope":"read write","admin":false,"n":42,"iat":1800000000,"nbf":1800000060,"exp":1800003600}"#
    );
    let jwk = key("hs256.jwk.json");
    let bare = ["--alg", "HS256", "--key", &jwk, "--no-iat", "--typ", ""];
    let (header, payload) = parts(&encode(&bare));
    // The JWK's own kid, where --kid gives none.
    assert_eq!(header.to_string(), r#"{"alg":"HS256","kid":"HS256-key"}"#);
    assert_eq!(payload.to_string(), "{}");
    // An empty --kid leaves it out, as an empty --typ leaves typ out.
    let token = encode(&[&bare[..], &["--kid", ""]].concat());
    assert_eq!(parts(&token).0.to_string(), r#"{"alg":"HS256"}"#);
}

#[test]
fn claims_from_stdin_and_file() {
    let out = jwtctl()
        .args([
            "encode",
            "-",
            "--alg",
            "HS256",
            "--no-iat",
            "--key",
            &key("hs256.jwk.json"),
        ])
        .write_stdin(r#"{"sub":"from-stdin"}"#)
        .output()
        .unwrap();
    assert_eq!(
        parts(String::from_utf8(out.stdout).unwrap().trim()).1["sub"],
        "from-stdin"
    );
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("claims.json");
    std::fs::write(&f, r#"{"sub":"from-file"}"#).unwrap();
    let token = encode(&[
        &format!("@{}", f.display()),
        "--alg",
        "HS256",
        "--key",
        &key("hs256.jwk.json"),
    ]);
    assert_eq!(parts(&token).1["sub"], "from-file");
    jwtctl()
        .args([
            "encode",
            "[1]",
            "--alg",
            "HS256",
            "--key",
            &key("hs256.jwk.json"),
        ])
        .assert()
        .code(3);
    jwtctl()
        .args([
            "encode",
            "{nope",
            "--alg",
            "HS256",
            "--key",
            &key("hs256.jwk.json"),
        ])
        .assert()
        .code(3);
}

#[test]
fn unsafe_tokens_need_asking() {
    jwtctl()
        .args(["encode", "--alg", "none"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--unsecured"));
    let token = encode(&["--alg", "none", "--unsecured", "--no-iat"]);
    assert!(token.ends_with('.'));
    assert_eq!(parts(&token).0["alg"], "none");
    jwtctl()
        .args(["encode", "--alg", "ES256", "--key", &key("ec256.pub.pem")])
        .assert()
        .code(6)
        .stderr(predicate::str::contains("public key, which cannot sign"));
    jwtctl()
        .args(["encode", "--alg", "ES256", "--key", &key("rsa.key.pem")])
        .assert()
        .code(6)
        .stderr(predicate::str::contains("cannot sign ES256"));
    jwtctl()
        .args(["encode", "--alg", "HS256", "--secret", "short"])
        .assert()
        .code(6)
        .stderr(predicate::str::contains("--allow-weak-key"));
    // Signed anyway, and said (as --allow-weak-key's help promises), the secret never shown.
    let out = jwtctl()
        .args([
            "encode",
            "--alg",
            "HS256",
            "--secret",
            "short",
            "--allow-weak-key",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8(out.stdout).unwrap().matches('.').count(),
        2
    );
    let said = String::from_utf8(out.stderr).unwrap();
    assert_eq!(
        said,
        "warning: signed with a weak key (--allow-weak-key): the HMAC secret is 5 bytes, \
         shorter than the 32 bytes HS256 needs\n"
    );
    jwtctl()
        .args(["encode", "--alg", "RS256", "--key", &key("rsa1024.key.pem")])
        .assert()
        .code(6)
        .stderr(predicate::str::contains("1024-bit"));
    jwtctl()
        .args(["encode", "--alg", "RS256"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--key PATH"));
    jwtctl()
        .args(["encode", "--alg", "HS999", "--secret", "x"])
        .assert()
        .code(2);
    jwtctl()
        .args([
            "encode",
            "--alg",
            "HS256",
            "--secret-file",
            &fixture_path("hs256.secret"),
            "--claim",
            "novalue",
        ])
        .assert()
        .code(2);
}

/// Claims and secrets are read with a bound: `/dev/zero` (or a log named by mistake) is refused
/// with a one-line error, not read until memory runs out.
#[cfg(unix)]
#[test]
fn claims_and_secrets_past_their_bounds_are_refused_not_read() {
    let secret = fixture_path("hs256.secret");
    let run = |args: &[&str], stdin: std::process::Stdio| {
        let out = process(&["encode", "--alg", "HS256"])
            .args(args)
            .stdin(stdin)
            .output()
            .unwrap();
        (out.status.code(), String::from_utf8(out.stderr).unwrap())
    };
    let zero = || std::fs::File::open("/dev/zero").unwrap().into();
    let over = "the claims in {} are over 1048576 bytes (--max-token-size)\n\
                hint: --max-token-size BYTES signs larger tokens\n";
    for (claims, name) in [("@/dev/zero", "/dev/zero"), ("-", "stdin")] {
        let (code, said) = run(&["--secret-file", &secret, claims], zero());
        assert_eq!(code, Some(3), "{said}");
        assert_eq!(said, format!("error: {}", over.replace("{}", name)));
    }
    // The bound is --max-token-size: up to it, the claims are signed.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("claims.json");
    std::fs::write(&file, format!(r#"{{"pad":"{}"}}"#, "x".repeat(90))).unwrap();
    let at_file = format!("@{}", file.display());
    let (code, said) = run(
        &["--max-token-size", "99", "--secret-file", &secret, &at_file],
        std::process::Stdio::null(),
    );
    assert_eq!(code, Some(3), "{said}");
    assert!(said.contains("over 99 bytes"), "{said}");
    let (code, said) = run(
        &[
            "--max-token-size",
            "100",
            "--secret-file",
            &secret,
            &at_file,
        ],
        std::process::Stdio::null(),
    );
    assert_eq!((code, said.as_str()), (Some(0), ""));
    let most = usize::MAX.to_string();
    let (code, said) = run(
        &[
            "--max-token-size",
            &most,
            "--secret-file",
            &secret,
            &at_file,
        ],
        std::process::Stdio::null(),
    );
    assert_eq!((code, said.as_str()), (Some(0), ""));
    // Claims that are not text.
    std::fs::write(&file, b"{\"sub\":\"\xff\"}").unwrap();
    let (code, said) = run(
        &["--secret-file", &secret, &at_file],
        std::process::Stdio::null(),
    );
    assert_eq!(code, Some(3), "{said}");
    assert!(said.ends_with("are not UTF-8 text\n"), "{said}");
    // A secret file past 4 MiB is no secret, in encode and verify alike.
    let (code, said) = run(&["--secret-file", "/dev/zero"], std::process::Stdio::null());
    assert_eq!(code, Some(6), "{said}");
    assert_eq!(said, "error: /dev/zero: over 4 MiB, not a secret file\n");
    let out = process(&[
        "verify",
        "--secret-file",
        "/dev/zero",
        &fixture("access.jwt"),
    ])
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(6));
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        "error: /dev/zero: over 4 MiB, not a secret file\n"
    );
}

/// A JWK's `alg`, `use` and `key_ops` bind signing as they bind verifying: encode makes no token
/// the same key would refuse.
#[test]
fn a_jwk_says_what_it_may_sign() {
    // Signs with `file` and `args`, and the same file verifies the token.
    let round_trip = |file: &str, args: &[&str]| {
        let token = encode(&[args, &["--key", file, "--exp", "1h"]].concat());
        jwtctl()
            .args(["verify", "--now", "1800000000", "--key", file, &token])
            .assert()
            .code(0);
        token
    };
    // `encode` with `args` refuses, saying `said`.
    let refused = |args: &[&str], said: &str| {
        jwtctl()
            .arg("encode")
            .args(args)
            .assert()
            .code(6)
            .stdout("")
            .stderr(format!("error: {said}\n"));
    };
    let jwk: Value =
        serde_json::from_str(&std::fs::read_to_string(key("rsa.private.jwk.json")).unwrap())
            .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let with = |name: &str, members: &[(&str, Value)]| {
        let mut j = jwk.clone();
        for (k, v) in members {
            j[*k] = v.clone();
        }
        let path = dir.path().join(name);
        std::fs::write(&path, j.to_string()).unwrap();
        path.display().to_string()
    };
    let rs256 = with(
        "rs256.jwk",
        &[("alg", "RS256".into()), ("use", "sig".into())],
    );
    let enc = with("enc.jwk", &[("use", "enc".into())]);
    let verify_only = with("v.jwk", &[("key_ops", serde_json::json!(["verify"]))]);
    let sign = with(
        "s.jwk",
        &[("key_ops", serde_json::json!(["sign", "verify"]))],
    );
    for (file, alg, refusal) in [
        (
            &rs256,
            "PS256",
            "refusing to sign PS256: the key is for RS256, not PS256",
        ),
        (
            &enc,
            "RS256",
            "refusing to sign RS256: the key's use is \"enc\", not \"sig\"",
        ),
        (
            &verify_only,
            "RS256",
            "refusing to sign RS256: the key's key_ops do not include \"sign\"",
        ),
    ] {
        refused(&["--alg", alg, "--key", file], refusal);
    }
    // The kid picks the key as verify would: one of another kid is not signed with.
    refused(
        &[
            "--alg",
            "HS256",
            "--kid",
            "other",
            "--key",
            &key("hs256.jwk.json"),
        ],
        "no key has kid \"other\" (the keys have: HS256-key): verify would not match a token of \
         that kid to them",
    );
    // A key of no kid signs under any.
    let token = encode(&["--alg", "PS256", "--key", &sign, "--kid", "any"]);
    assert_eq!(parts(&token).0["kid"], "any");
    // From a JWKS of private keys, the kid names the key; without one, nothing is guessed.
    let ec: Value =
        serde_json::from_str(&std::fs::read_to_string(key("ec256.private.jwk.json")).unwrap())
            .unwrap();
    let mut rsa = jwk.clone();
    rsa["kid"] = "r".into();
    let mut ec = ec;
    ec["kid"] = "e".into();
    let mut ec2 = ec.clone();
    ec2["kid"] = "e2".into();
    let set = dir.path().join("private.jwks");
    std::fs::write(
        &set,
        serde_json::json!({ "keys": [rsa, ec, ec2] }).to_string(),
    )
    .unwrap();
    let set = set.display().to_string();
    let token = round_trip(&set, &["--alg", "ES256", "--kid", "e"]);
    assert_eq!(parts(&token).0["kid"], "e");
    // Without --kid, the header names the key's own kid.
    let token = round_trip(&set, &["--alg", "RS256"]);
    assert_eq!(parts(&token).0["kid"], "r");
    let token = round_trip(&key("hs256.jwk.json"), &["--alg", "HS256"]);
    assert_eq!(parts(&token).0["kid"], "HS256-key");
    refused(
        &["--alg", "ES256", "--key", &set],
        "the key file holds 2 keys that can sign ES256: name the one to sign with by --kid",
    );
    // A PEM bundle of a private key and its certificate signs with the private key.
    let bundle = dir.path().join("bundle.pem");
    let pem = |name: &str| std::fs::read_to_string(key(name)).unwrap();
    std::fs::write(&bundle, pem("rsa.key.pem") + &pem("rsa.crt.pem")).unwrap();
    let bundle = bundle.display().to_string();
    let token = round_trip(&bundle, &["--alg", "RS256"]);
    assert_eq!(parts(&token).0.get("kid"), None, "PEM keys have no kid");
    round_trip(&bundle, &["--alg", "RS256", "--kid", "k1"]);
    refused(
        &["--alg", "ES256", "--key", &bundle],
        "the key file holds 2 keys, none a private key that can sign ES256",
    );
    // Two private keys and no kid: nothing tells them apart, --kid or not.
    let two = dir.path().join("two.pem");
    std::fs::write(&two, pem("rsa.key.pem") + &pem("rsa.pkcs1.pem")).unwrap();
    let two = two.display().to_string();
    for (kid, said) in [
        (
            &[][..],
            "the key file holds 2 keys that can sign RS256, and no kid to tell them apart: give \
             a file of the one key",
        ),
        (
            &["--kid", "x"],
            "no key has kid \"x\", and 2 keys without a kid can sign RS256: give a file of the \
             one key",
        ),
    ] {
        refused(
            &[&["--alg", "RS256", "--key", &two][..], kid].concat(),
            said,
        );
    }
    round_trip(&rs256, &["--alg", "RS256"]);
    round_trip(&sign, &["--alg", "PS256"]);
}

/// `--exp -1h` makes a token that expired an hour ago (for testing what rejects it); `--nbf -5m`
/// one valid from five minutes ago. A bare `-5` is Unix seconds, as `--now` reads it.
#[test]
fn times_in_the_past() {
    let secret = fixture_path("hs256.secret");
    let sign =
        |args: &[&str]| encode(&[&["--alg", "HS256", "--secret-file", &secret][..], args].concat());
    let (_, claims) = parts(&sign(&["--exp", "-1h", "--nbf", "-5m"]));
    assert_eq!(claims["exp"], 1800000000 - 3600);
    assert_eq!(claims["nbf"], 1800000000 - 300);
    let (_, claims) = parts(&sign(&["--exp=-5"]));
    assert_eq!(claims["exp"], -5);
    let expired = sign(&["--exp", "-1h"]);
    jwtctl()
        .args(["check-expiry", "--now", "1800000000", &expired])
        .assert()
        .code(1)
        .stdout(predicate::str::starts_with("expired"));
}
