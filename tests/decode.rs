//! `jwtctl decode` through the real binary: input forms, exit codes, output modes.

mod common;
use common::*;
use predicates::prelude::*;

fn at(minutes: i64) -> String {
    (T0 + minutes * 60).to_string()
}

#[test]
fn decodes_an_argument_with_times_in_words() {
    let t = hs(&format!(r#"{{"sub":"a","iat":{T0},"exp":{}}}"#, T0 + 900));
    jwtctl()
        .args(["decode", "--now", &format!("{}", T0 + 28), &t])
        .assert()
        .success()
        .stdout(predicate::str::contains("Token 1 (argument 1)"))
        .stdout(predicate::str::contains("\"sub\": \"a\""))
        .stdout(predicate::str::contains(
            "exp       2027-01-15T08:15:00Z  in 14m 32s",
        ))
        .stdout(predicate::str::contains(
            "iat       2027-01-15T08:00:00Z  28s ago",
        ))
        .stdout(predicate::str::contains(
            "lifetime  15m (exp - iat), 3% used",
        ))
        .stdout(predicate::str::contains(
            "Status      valid, expires in 14m 32s",
        ))
        .stdout(predicate::str::contains("Signature   not checked"));
}

#[test]
fn json_has_every_contract_field_and_the_exact_payload() {
    let payload = r#"{"z":1,"big":123456789012345678901234567890,"f":1.250,"nested":{"b":[1,{"c":null}],"a":"é"},"iat":1800000000,"exp":1800003600}"#;
    let out = jwtctl()
        .args(["decode", "--json", "--now", &at(30), &hs(payload)])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout.clone()).unwrap();
    assert!(text.contains(&format!("\"payload\":{payload}")), "{text}");
    let v = &json_lines(&out.stdout)[0];
    for field in [
        "source",
        "kind",
        "header",
        "payload",
        "signature",
        "times",
        "status",
        "expires_in_seconds",
        "lifetime_seconds",
        "warnings",
        "exit_code",
    ] {
        assert!(v.get(field).is_some(), "missing {field}");
    }
    assert_eq!(v["source"], "argument 1");
    assert_eq!(v["kind"], "jws");
    assert_eq!(v["status"], "valid");
    assert_eq!(v["expires_in_seconds"], 1800);
    assert_eq!(v["lifetime_seconds"], 3600);
    assert_eq!(v["signature"]["verified"], serde_json::Value::Null);
    assert_eq!(v["signature"]["alg"], "HS256");
    assert_eq!(v["times"]["exp"]["utc"], "2027-01-15T09:00:00Z");
    assert_eq!(v["times"]["iat"]["relative_seconds"], -1800);
    assert!(v["times"].get("nbf").is_none());
    assert_eq!(v["exit_code"], 0);
}

#[test]
fn stdin_dash_and_file_inputs() {
    let t = hs(r#"{"exp":1800000600}"#);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log");
    std::fs::write(&path, format!("start\nINFO token={t} ok\n")).unwrap();
    let out = jwtctl()
        .args([
            "decode",
            "--json",
            "--now",
            &at(0),
            "-",
            &format!("@{}", path.display()),
            &t,
        ])
        .write_stdin(format!("\n\nBearer {t}\n"))
        .output()
        .unwrap();
    let lines = json_lines(&out.stdout);
    let sources: Vec<_> = lines
        .iter()
        .map(|v| v["source"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        sources,
        [
            "stdin line 3".to_string(),
            format!("{} line 2, parameter token", path.display()),
            "argument 3".to_string(),
        ]
    );
    // No INPUT at all reads stdin.
    jwtctl()
        .args(["decode", "--json", "--now", &at(0)])
        .write_stdin(t.clone())
        .assert()
        .success()
        .stdout(predicate::str::contains("\"source\":\"stdin line 1\""));
}

#[test]
fn curl_transcript_finds_every_token_in_order_with_clock_skew() {
    let access = hs(r#"{"sub":"a","exp":1800000600}"#);
    let id = hs(r#"{"sub":"b","exp":1800000600}"#);
    let refresh = hs(r#"{"sub":"c","exp":1800000600}"#);
    let transcript = format!(
        "* Connected to api.example (127.0.0.1) port 443\n\
         > POST /token HTTP/1.1\n\
         > Authorization: Bearer {access}\n\
         >\n\
         < HTTP/1.1 200 OK\n\
         < Date: Fri, 15 Jan 2027 08:02:00 GMT\n\
         < Set-Cookie: session={refresh}; HttpOnly\n\
         <\n\
         {{\"id_token\":\"{id}\",\"token_type\":\"Bearer\"}}\n"
    );
    let out = jwtctl()
        .args(["decode", "--json", "--now", &at(0)])
        .write_stdin(transcript)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let lines = json_lines(&out.stdout);
    let got: Vec<_> = lines
        .iter()
        .map(|v| {
            (
                v["payload"]["sub"].as_str().unwrap(),
                v["source"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("a", "stdin line 3, header Authorization"),
            ("c", "stdin line 7, header Set-Cookie, cookie session"),
            ("b", "stdin line 9, JSON key \"id_token\""),
        ]
    );
    // The Date header is 2 minutes ahead of --now: every token of that input carries the warning,
    // including the one that came before the header.
    for v in &lines {
        let codes = warning_codes(v);
        assert!(codes.iter().any(|c| c == "clock_skew"), "{v}");
    }
}

#[test]
fn no_date_skew_within_thirty_seconds() {
    let t = hs(r#"{"exp":1800000600}"#);
    let out = jwtctl()
        .args(["decode", "--json", "--now", &at(0)])
        .write_stdin(format!(
            "HTTP/2 200\ndate: Fri, 15 Jan 2027 08:00:30 GMT\n\n{t}\n"
        ))
        .output()
        .unwrap();
    assert_eq!(
        json_lines(&out.stdout)[0]["warnings"],
        serde_json::json!([])
    );
}

#[test]
fn malformed_tokens_exit_3_naming_the_segment_and_others_still_report() {
    let good = hs(r#"{"exp":1800000600}"#);
    let bad_payload = format!("{}.e3!x.c2ln", b64(r#"{"alg":"HS256"}"#));
    let out = jwtctl()
        .args(["decode", "--json", "--now", &at(0), &bad_payload, &good])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let lines = json_lines(&out.stdout);
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["status"], "malformed");
    assert_eq!(lines[0]["exit_code"], 3);
    assert_eq!(lines[1]["status"], "valid");
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.starts_with("error: argument 1: malformed token: payload segment (2 of 3)"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn segment_count_and_header_errors() {
    for (input, needle) in [
        ("eyJhbGciOiJIUzI1NiJ9.e30", "2 segments"),
        ("a.b.c.d", "4 segments"),
        ("a.b.c.d.e.f", "6 segments"),
        (
            "W10.e30.c2ln",
            "header segment (1 of 3) is JSON but not an object",
        ),
        ("eyJhbGciOiJIUzI1NiJ9=.e30.c2ln", "padding"),
    ] {
        jwtctl()
            .args(["decode", input])
            .assert()
            .code(3)
            .stderr(predicate::str::contains(needle));
    }
}

#[test]
fn non_json_payload_keeps_the_header() {
    let t = format!(
        "{}.{}.c2ln",
        b64(r#"{"alg":"HS256","kid":"k1"}"#),
        b64("foo")
    );
    let out = jwtctl().args(["decode", "--json", &t]).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    let v = &json_lines(&out.stdout)[0];
    assert_eq!(v["header"]["kid"], "k1");
    assert_eq!(v["payload"], serde_json::Value::Null);
    assert!(v["error"].as_str().unwrap().contains("not a JWT"));
}

#[test]
fn no_token_found_exits_3_and_says_what_was_looked_for() {
    jwtctl()
        .args(["decode", "hello world"])
        .assert()
        .code(3)
        .stdout("")
        .stderr(predicate::str::contains(
            "error: no token found in argument 1: looked for a JWS",
        ));
    jwtctl()
        .args(["decode"])
        .write_stdin("nothing to see\n")
        .assert()
        .code(3)
        .stderr(predicate::str::contains("no token found in stdin"));
    jwtctl()
        .args(["decode", "@/nonexistent/file.txt"])
        .assert()
        .code(3)
        .stderr("error: cannot read /nonexistent/file.txt: No such file or directory\n");
}

#[test]
fn usage_errors_exit_2() {
    jwtctl()
        .args(["decode", "--leeway", "soon", "x"])
        .assert()
        .code(2);
    jwtctl()
        .args(["decode", "--now", "yesterday", "x"])
        .assert()
        .code(2);
    jwtctl()
        .args(["decode", "--color", "sometimes", "x"])
        .assert()
        .code(2);
    jwtctl().assert().code(2);
}

#[test]
fn unsecured_jwe_and_odd_algs() {
    let none = format!(
        "{}.{}.",
        b64(r#"{"alg":"none"}"#),
        b64(r#"{"exp":1800000600}"#)
    );
    let jwe = format!("{}..aXY.Y3Q.dGFn", b64(r#"{"alg":"dir","enc":"A256GCM"}"#));
    let es512 = token(r#"{"alg":"ES512"}"#, r#"{"exp":1800000600}"#);
    let es256k = token(r#"{"alg":"ES256K"}"#, r#"{"exp":1800000600}"#);
    let out = jwtctl()
        .args([
            "decode",
            "--json",
            "--now",
            &at(0),
            &none,
            &jwe,
            &es512,
            &es256k,
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let l = json_lines(&out.stdout);
    assert_eq!(l[0]["kind"], "unsecured");
    assert_eq!(l[0]["warnings"][0]["code"], "alg_none");
    assert_eq!(l[1]["kind"], "jwe");
    assert_eq!(l[1]["payload"], serde_json::Value::Null);
    assert_eq!(l[1]["header"]["enc"], "A256GCM");
    assert_eq!(l[1]["warnings"][0]["code"], "jwe_not_decrypted");
    assert_eq!(l[2]["signature"]["alg"], "ES512");
    assert_eq!(l[3]["signature"]["alg"], "ES256K");
}

#[test]
fn strict_exits_7_on_security_warnings() {
    let none = format!(
        "{}.{}.",
        b64(r#"{"alg":"none"}"#),
        b64(r#"{"exp":1800000600}"#)
    );
    jwtctl()
        .args(["decode", "--now", &at(0), &none])
        .assert()
        .code(0);
    jwtctl()
        .args(["decode", "--strict", "--now", &at(0), &none])
        .assert()
        .code(7);
    let no_exp = hs(r#"{"sub":"x"}"#);
    jwtctl()
        .args(["decode", "--strict", &no_exp])
        .assert()
        .code(7);
    let fine = hs(r#"{"exp":1800000600}"#);
    jwtctl()
        .args(["decode", "--strict", "--now", &at(0), &fine])
        .assert()
        .code(0);
}

#[test]
fn time_warnings_and_leeway() {
    let t = hs(&format!(
        r#"{{"iat":{},"nbf":{},"exp":{}}}"#,
        T0 + 20,
        T0 + 20,
        T0 + 600
    ));
    let out = jwtctl()
        .args(["decode", "--json", "--now", &at(0), &t])
        .output()
        .unwrap();
    let v = &json_lines(&out.stdout)[0];
    assert_eq!(v["status"], "not_yet_valid");
    let codes = warning_codes(v);
    assert_eq!(codes, ["iat_in_future", "nbf_in_future"]);
    let out = jwtctl()
        .args(["decode", "--json", "--now", &at(0), "--leeway", "30s", &t])
        .output()
        .unwrap();
    assert_eq!(json_lines(&out.stdout)[0]["status"], "valid");
    let ms = hs(&format!(r#"{{"iat":{T0},"exp":{}}}"#, (T0 + 600) * 1000));
    let out = jwtctl()
        .args(["decode", "--json", "--now", &at(0), &ms])
        .output()
        .unwrap();
    let v = &json_lines(&out.stdout)[0];
    let codes = warning_codes(v);
    assert!(
        codes.iter().any(|c| c == "millisecond_timestamp"),
        "{codes:?}"
    );
    assert_eq!(v["times"]["exp"]["utc"], serde_json::Value::Null);
    let bad = hs(r#"{"exp":"tomorrow","iat":-1,"nbf":1e400}"#);
    let out = jwtctl().args(["decode", "--json", &bad]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v = &json_lines(&out.stdout)[0];
    assert_eq!(v["status"], "invalid");
}

#[test]
fn control_characters_are_escaped_even_with_color_always() {
    // JSON escapes for C0, raw UTF-8 for C1 and the bidi override: both are valid JSON.
    let t = hs(
        "{\"name\":\"\\u001b]0;pwned\\u0007\\u001b[2J\\r\u{9b}31m\u{202e}evil\\u0000\",\"exp\":1800000600}",
    );
    for color in ["always", "never"] {
        let out = jwtctl()
            .args(["decode", "--color", color, "--now", &at(0), &t])
            .output()
            .unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        // Only our own SGR color codes may start with ESC, never the token's.
        let stripped = text.replace("\u{1b}[", "");
        assert!(!stripped.contains('\u{1b}'), "raw ESC in {color}: {text:?}");
        for c in ['\u{9b}', '\u{202e}', '\u{7}', '\0', '\r'] {
            assert!(!text.contains(c), "raw {c:?} in {color}");
        }
        assert!(text.contains("\\u001b]0;pwned"), "{text}");
        assert!(
            !text.contains("\u{1b}[2J"),
            "the token's clear-screen passed through"
        );
    }
    let out = jwtctl().args(["decode", "--json", &t]).output().unwrap();
    let raw = String::from_utf8(out.stdout.clone()).unwrap();
    assert!(!raw.contains('\u{9b}') && !raw.contains('\u{202e}') && !raw.contains('\u{1b}'));
    assert!(
        json_lines(&out.stdout)[0]["payload"]["name"]
            .as_str()
            .unwrap()
            .contains('\u{202e}')
    );
}

#[test]
fn color_switches() {
    let t = hs(r#"{"exp":1800000600}"#);
    let has_sgr = |args: &[&str], env: &[(&str, &str)]| {
        let mut c = jwtctl();
        c.args(["decode", "--now", &at(0)]).args(args).arg(&t);
        for (k, v) in env {
            c.env(k, v);
        }
        String::from_utf8(c.output().unwrap().stdout)
            .unwrap()
            .contains("\u{1b}[")
    };
    assert!(!has_sgr(&[], &[]), "auto: not a terminal");
    assert!(has_sgr(&["--color", "always"], &[]));
    assert!(has_sgr(&[], &[("CLICOLOR_FORCE", "1")]));
    assert!(!has_sgr(&[], &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]));
    assert!(!has_sgr(&["--color", "never"], &[("CLICOLOR_FORCE", "1")]));
}

#[test]
fn local_time_zone() {
    let t = hs(r#"{"exp":1800000600}"#);
    jwtctl()
        .env("TZ", "Asia/Kolkata")
        .args(["decode", "--local", "--now", &at(0), &t])
        .assert()
        .success()
        .stdout(predicate::str::contains("2027-01-15T13:40:00+05:30"));
}

#[test]
fn closed_pipe_ends_quietly() {
    use std::io::{Read, Write};
    let t = hs(r#"{"exp":1800000600}"#);
    let mut child = spawn(&["decode", "-"]);
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 16];
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        for _ in 0..20_000 {
            if writeln!(stdin, "{t}").is_err() {
                break;
            }
        }
    });
    stdout.read_exact(&mut first).unwrap();
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        !err.contains("panicked") && !err.contains("Broken pipe"),
        "{err}"
    );
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn oversized_token_is_refused_with_a_clear_error() {
    let big = hs(&format!(r#"{{"pad":"{}"}}"#, "x".repeat(3000)));
    let out = jwtctl()
        .args(["decode", "--max-token-size", "1000"])
        .write_stdin(format!("x {big} y"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(
        String::from_utf8(out.stderr)
            .unwrap()
            .contains("over the 1000 byte limit")
    );
}

/// A token given alone as an argument is held to the same limit as one in a file or stdin.
#[test]
fn an_oversized_token_argument_is_refused_like_one_in_a_file() {
    let t = hs(r#"{"exp":1800000600}"#);
    jwtctl()
        .args(["decode", "--max-token-size", "20", &t])
        .assert()
        .code(3)
        .stderr(predicate::str::contains(format!(
            "argument 1: malformed token: token of {} bytes is over the 20 byte limit \
             (--max-token-size)",
            t.len()
        )));
    jwtctl()
        .args(["decode", "--max-token-size", &t.len().to_string(), &t])
        .assert()
        .success();
}

#[test]
fn security_lint_in_decode_with_strict() {
    let secret_signed = hs256_signed(
        b"your-256-bit-secret",
        r#"{"alg":"HS256","typ":"JWT"}"#,
        r#"{"exp":1800000600}"#,
    );
    let kid = token(
        r#"{"alg":"RS256","typ":"JWT","kid":"../../../dev/null"}"#,
        r#"{"exp":1800000600}"#,
    );
    let sensitive = hs(r#"{"exp":1800000600,"password":"hunter2"}"#);
    let embedded = token(
        r#"{"alg":"RS256","typ":"JWT","jku":"https://evil.example/jwks"}"#,
        r#"{"exp":1800000600}"#,
    );
    for (t, code) in [
        (&secret_signed, "weak_secret"),
        (&kid, "suspicious_kid"),
        (&sensitive, "sensitive_claim"),
        (&embedded, "embedded_key"),
    ] {
        let out = jwtctl()
            .args(["decode", "--strict", "--now", &at(0), t])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(7), "{code}");
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.contains(&format!("{code}:")), "{code}: {text}");
        assert!(
            !text.contains("your-256-bit-secret"),
            "a secret was printed"
        );
        jwtctl()
            .args(["decode", "--now", &at(0), t])
            .assert()
            .code(0);
    }
    // no_typ is advice, not a security finding: --strict stays 0.
    let untyped = token(r#"{"alg":"RS256"}"#, r#"{"exp":1800000600}"#);
    jwtctl()
        .args(["decode", "--strict", "--now", &at(0), &untyped])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("no_typ:"));
}

/// A header or payload that gives a name twice is read as most parsers read it (the last value)
/// and said: other parsers take the first, or refuse the token. Advice, not a --strict finding.
#[test]
fn a_name_given_twice_is_said() {
    let secret = b"an-hs256-secret-of-32-bytes-at-least!!";
    let twice = hs256_signed(
        secret,
        r#"{"alg":"HS256","typ":"JWT","alg":"HS256"}"#,
        r#"{"sub":"user","exp":1800000600,"sub":"admin","e\u0078p":1800000700}"#,
    );
    let out = jwtctl()
        .args(["decode", "--json", "--strict", "--now", &at(0), &twice])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v = &json_lines(&out.stdout)[0];
    assert_eq!(warning_codes(v), ["duplicate_header", "duplicate_claim"]);
    assert_eq!(v["payload"]["sub"], "admin");
    assert_eq!(v["times"]["exp"]["unix"], 1800000700);
    let said = v["warnings"][1]["message"].as_str().unwrap();
    assert!(
        said.starts_with(r#"the payload gives "sub", "exp" more than once"#),
        "{said}"
    );
    // verify says it too, whether or not the signature holds.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("secret");
    std::fs::write(&file, secret).unwrap();
    let out = jwtctl()
        .args(["verify", "--json", "--now", &at(0), "--secret-file"])
        .arg(&file)
        .arg(&twice)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v = &json_lines(&out.stdout)[0];
    assert_eq!(v["signature"]["verified"], true);
    assert_eq!(warning_codes(v), ["duplicate_header", "duplicate_claim"]);
    // A name repeated inside a claim's object is that claim's business.
    let nested = hs(r#"{"exp":1800000600,"cnf":{"a":1,"a":2}}"#);
    let out = jwtctl()
        .args(["decode", "--json", "--now", &at(0), &nested])
        .output()
        .unwrap();
    assert!(warning_codes(&json_lines(&out.stdout)[0]).is_empty());
}

#[test]
fn no_input_on_a_terminal_gives_a_hint_and_exit_2() {
    // `script` gives the command a pseudo-terminal as its stdin.
    let bin = assert_cmd::cargo::cargo_bin("jwtctl");
    let out = std::process::Command::new("script")
        .args([
            "-qec",
            &format!("{} decode --color never", bin.display()),
            "/dev/null",
        ])
        .stdin(std::process::Stdio::null())
        .output()
        .expect("script(1) from util-linux runs the pty test");
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("error: no token given"), "{text}");
    assert!(text.contains("hint: pass a token"), "{text}");
}

#[test]
fn usage_errors_never_echo_control_characters() {
    let out = jwtctl()
        .args(["decode", "--now", "\u{1b}]0;x\u{7}\u{1b}[2J\u{9b}"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.starts_with("error: invalid value"), "{err}");
    assert!(
        !err.chars()
            .any(|c| c == '\u{1b}' || c == '\u{7}' || c == '\u{9b}'),
        "{err:?}"
    );
}

#[test]
fn a_refused_token_keeps_its_place_and_the_date_window_stays_open() {
    let big = hs(&format!(r#"{{"pad":"{}"}}"#, "x".repeat(3000)));
    let small = hs(r#"{"exp":1800000600}"#);
    let input = format!("{big}\n{small}\nDate: Fri, 15 Jan 2027 08:05:00 GMT\n");
    let out = jwtctl()
        .args([
            "decode",
            "--json",
            "--now",
            &at(0),
            "--max-token-size",
            "1000",
        ])
        .write_stdin(input)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let l = json_lines(&out.stdout);
    assert_eq!(l[0]["status"], "malformed");
    assert_eq!(l[0]["source"], "stdin line 1");
    assert_eq!(l[1]["source"], "stdin line 2");
    assert!(
        warning_codes(&l[1]).iter().any(|c| c == "clock_skew"),
        "{}",
        l[1]
    );
}

/// `jwtctl decode --json --threads THREADS` reading a pipe this test writes: the process, the
/// pipe, and each line it writes as it comes.
fn decode_on_a_pipe(
    threads: &str,
) -> (
    std::process::Child,
    std::process::ChildStdin,
    std::sync::mpsc::Receiver<String>,
) {
    use std::process::{Command, Stdio};
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("jwtctl"))
        .args(["decode", "--json", "--now", &at(0), "--threads", threads])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdin = child.stdin.take().unwrap();
    let lines = lines_as_they_come(child.stdout.take().unwrap());
    (child, stdin, lines)
}

/// Each line `stdout` gives, sent as it comes.
fn lines_as_they_come(stdout: std::process::ChildStdout) -> std::sync::mpsc::Receiver<String> {
    use std::io::BufRead;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            if tx.send(line.unwrap()).is_err() {
                return;
            }
        }
    });
    rx
}

/// A named pipe's reports are written when it ends, not after the next input, which may be
/// another pipe that nobody has opened yet.
#[test]
fn a_named_pipes_reports_come_before_the_next_input_opens() {
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().unwrap();
    let fifo = |name: &str| {
        let path = dir.path().join(name);
        let made = Command::new("mkfifo").arg(&path).status().unwrap();
        assert!(made.success());
        path
    };
    let (first, second) = (fifo("first"), fifo("second"));
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("jwtctl"))
        .args(["decode", "--json", "--now", &at(0)])
        .args([first.as_os_str(), second.as_os_str()].map(|p| {
            let mut arg = std::ffi::OsString::from("@");
            arg.push(p);
            arg
        }))
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let rx = lines_as_they_come(child.stdout.take().unwrap());
    let token = hs(r#"{"exp":1800000600}"#);
    std::fs::write(&first, format!("token={token}\n")).unwrap();
    let report = rx.recv_timeout(std::time::Duration::from_secs(20));
    if report.is_err() {
        child.kill().unwrap();
    }
    let report = report.expect("the first pipe's report waited for the second pipe");
    assert!(report.contains("first line 1, parameter token"), "{report}");
    std::fs::write(&second, format!("{token}\n")).unwrap();
    assert_eq!(child.wait().unwrap().code(), Some(0));
    let last = rx.recv_timeout(std::time::Duration::from_secs(20)).unwrap();
    assert!(last.contains("second line 1"), "{last}");
}

/// A named pipe (`@<(zcat app.log.gz)`, `mkfifo`) is read as stdin's pipe is: in blocks while
/// it keeps coming, and a report is written while its writer holds it open, not when it ends.
#[test]
fn a_named_pipe_held_open_gets_its_reports_as_they_come() {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().unwrap();
    for threads in ["1", "2"] {
        let path = dir.path().join(format!("fifo{threads}"));
        let made = Command::new("mkfifo").arg(&path).status().unwrap();
        assert!(made.success());
        let mut arg = std::ffi::OsString::from("@");
        arg.push(&path);
        let mut child = Command::new(assert_cmd::cargo::cargo_bin("jwtctl"))
            .args(["decode", "--json", "--now", &at(0), "--threads", threads])
            .arg(arg)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let rx = lines_as_they_come(child.stdout.take().unwrap());
        let mut writer = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        let token = |n: usize| hs(&format!(r#"{{"exp":1800000600,"n":{n}}}"#));
        let wait = std::time::Duration::from_secs(20);
        let mut expect = |range: std::ops::Range<usize>| {
            let lines: String = range.clone().map(|n| format!("{}\n", token(n))).collect();
            writer.write_all(lines.as_bytes()).unwrap();
            writer.flush().unwrap();
            for n in range {
                let report = rx.recv_timeout(wait);
                if report.is_err() {
                    child.kill().unwrap();
                }
                let report = report.unwrap_or_else(|_| {
                    panic!("--threads {threads}: report {n} not written while the pipe stays open")
                });
                assert!(report.contains(&format!(r#""n":{n}}}"#)), "{report}");
            }
        };
        // A few lines (the first 64 KiB wait a moment for a `Date:`), many, and one more.
        expect(0..10);
        expect(10..3000);
        expect(3000..3001);
        drop(writer);
        assert_eq!(child.wait().unwrap().code(), Some(0), "threads {threads}");
    }
}

/// A report is written as soon as its token is read when the input pauses (`tail -f | jwtctl`),
/// not when the input ends.
#[test]
fn a_paused_stream_gets_its_reports_at_once() {
    use std::io::Write;
    for threads in ["1", "2"] {
        let (mut child, mut stdin, rx) = decode_on_a_pipe(threads);
        writeln!(stdin, "token={}", hs(r#"{"exp":1800000600}"#)).unwrap();
        stdin.flush().unwrap();
        let line = rx
            .recv_timeout(std::time::Duration::from_secs(20))
            .expect("no report while the input stays open");
        assert!(
            line.contains(r#""source":"stdin line 1, parameter token""#),
            "{line}"
        );
        drop(stdin);
        assert_eq!(child.wait().unwrap().code(), Some(0), "threads {threads}");
    }
}

/// Past its first block, a pipe is read by all the threads while it keeps coming; when it
/// pauses, every report of what came is written before jwtctl waits, in order, and the tokens
/// after the pause follow theirs.
#[test]
fn a_pipe_that_pauses_after_many_blocks_gets_every_report_at_once() {
    use std::io::Write;
    // ~300 KiB before the pause: the first block and then blocks for the threads.
    let lines: Vec<String> = (0..2000)
        .map(|i| {
            format!(
                "line {i} token={}",
                hs(&format!(r#"{{"exp":1800000600,"n":{i}}}"#))
            )
        })
        .collect();
    for threads in ["1", "2"] {
        let (mut child, mut stdin, rx) = decode_on_a_pipe(threads);
        let wait = std::time::Duration::from_secs(20);
        stdin
            .write_all((lines[..1999].join("\n") + "\n").as_bytes())
            .unwrap();
        stdin.flush().unwrap();
        for n in 0..1999 {
            let report = rx.recv_timeout(wait).unwrap_or_else(|_| {
                panic!("--threads {threads}: report {n} not written while the input stays open")
            });
            assert!(report.contains(&format!(r#""n":{n}}}"#)), "{report}");
        }
        writeln!(stdin, "{}", lines[1999]).unwrap();
        stdin.flush().unwrap();
        let report = rx.recv_timeout(wait).expect("the report after the pause");
        assert!(report.contains(r#""n":1999}"#), "{report}");
        drop(stdin);
        assert_eq!(child.wait().unwrap().code(), Some(0), "threads {threads}");
        assert!(rx.recv_timeout(wait).is_err(), "nothing more");
    }
}

/// A line of many tokens on a pipe is cut into pieces for the threads as it comes; when it
/// pauses inside the line, the report of every token that came is written before jwtctl waits,
/// and the line's last tokens follow.
#[test]
fn a_pipe_that_pauses_inside_a_long_line_gets_every_report_at_once() {
    // More of the line than the most a block holds (256 KiB).
    pause_inside_a_long_line(3000, 2900, 300 * 1024..usize::MAX);
}

/// The same with less of the line come than the most a block holds, but more than a block
/// (128 KiB): it is cut into pieces when the pipe pauses, instead of waiting for its end.
#[test]
fn a_pipe_that_pauses_inside_a_line_longer_than_a_block_gets_its_reports() {
    pause_inside_a_long_line(1200, 1000, 140 * 1024..250 * 1024);
}

/// 100 lines of a token, then a JSON line of `tokens - 100` tokens of which `come` have come
/// (their bytes within `size`) when the pipe pauses: on one thread and two, each token's
/// report is written while the pipe is paused, and the others once the line ends.
fn pause_inside_a_long_line(tokens: usize, come: usize, size: std::ops::Range<usize>) {
    use std::io::Write;
    let pad = "p".repeat(60);
    let tokens: Vec<String> = (0..tokens)
        .map(|i| {
            let claims = format!(r#"{{"exp":1800000600,"pad":"{pad}","n":{i}}}"#);
            format!("\"{}\"", hs(&claims))
        })
        .collect();
    for threads in ["1", "2"] {
        let (mut child, mut stdin, rx) = decode_on_a_pipe(threads);
        let wait = std::time::Duration::from_secs(20);
        let expect = |range: std::ops::Range<usize>| {
            for n in range {
                let report = rx.recv_timeout(wait).unwrap_or_else(|_| {
                    panic!("--threads {threads}: report {n} not written while the input stays open")
                });
                assert!(report.contains(&format!(r#""n":{n}}}"#)), "{report}");
            }
        };
        // The first block, then part of a line longer than a block.
        let start = tokens[..100].join("\n") + "\n[" + &tokens[100..come].join(",") + ",";
        assert!(size.contains(&start.len()), "{}", start.len());
        stdin.write_all(start.as_bytes()).unwrap();
        stdin.flush().unwrap();
        expect(0..come);
        writeln!(stdin, "{}]", tokens[come..].join(",")).unwrap();
        stdin.flush().unwrap();
        expect(come..tokens.len());
        drop(stdin);
        assert_eq!(child.wait().unwrap().code(), Some(0), "threads {threads}");
        assert!(rx.recv_timeout(wait).is_err(), "nothing more");
    }
}

/// Standard streams closed when jwtctl starts are open on /dev/null while it runs, so that no
/// file or socket it opens later (a token file, a JWKS connection) takes their place and
/// receives what is written to them. Seen from outside: the descriptors of a run waiting on its
/// input.
#[test]
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn closed_standard_streams_are_held_open_on_dev_null() {
    use std::os::unix::process::CommandExt;
    use std::process::Stdio;
    use std::time::{Duration, Instant};
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("jwtctl"));
    cmd.args(["decode"]).stdin(Stdio::piped());
    // SAFETY: close is async-signal-safe and touches nothing of the parent's.
    unsafe {
        cmd.pre_exec(|| {
            libc::close(1);
            libc::close(2);
            Ok(())
        });
    }
    let mut child = cmd.spawn().unwrap();
    let link = |fd: u32| std::fs::read_link(format!("/proc/{}/fd/{fd}", child.id())).ok();
    // Until jwtctl has started (the descriptors are closed between fork and exec) and while it
    // waits for stdin, which this test holds open.
    let started = Instant::now();
    let seen = loop {
        let seen = [link(1), link(2)];
        let dev_null = Some(std::path::PathBuf::from("/dev/null"));
        if seen.iter().all(|l| *l == dev_null) || started.elapsed() > Duration::from_secs(10) {
            break seen;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    drop(child.stdin.take());
    child.wait().unwrap();
    assert_eq!(
        seen,
        [Some("/dev/null".into()), Some("/dev/null".into())],
        "stdout and stderr of a run started with them closed"
    );
}

/// A run with stdout closed says its output has nowhere to go (exit 3), and the token file it
/// opens (the lowest free descriptor would be stdout's) is never written to.
#[test]
#[cfg(target_os = "linux")]
fn a_closed_stdout_is_not_taken_by_an_input_file() {
    use std::os::unix::process::CommandExt;
    use std::process::Stdio;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tokens.txt");
    let t = hs(r#"{"exp":1800000600}"#);
    std::fs::write(&path, format!("{t}\n")).unwrap();
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("jwtctl"));
    cmd.args([
        "decode",
        "--now",
        "1800000000",
        &format!("@{}", path.display()),
    ])
    .stdin(Stdio::null())
    .stdout(Stdio::inherit())
    .stderr(Stdio::piped());
    // SAFETY: close is async-signal-safe and touches nothing of the parent's.
    unsafe {
        cmd.pre_exec(|| {
            libc::close(1);
            Ok(())
        });
    }
    let out = cmd.output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert_eq!(err, "error: cannot write output: stdout is closed\n");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), format!("{t}\n"));
}
