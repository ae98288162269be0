//! `jwtctl check-expiry` through the real binary: every exit code, batches, streams.

mod common;
use common::*;
use predicates::prelude::*;

fn at(minutes: i64) -> String {
    (T0 + minutes * 60).to_string()
}

fn exp_in(minutes: i64) -> String {
    hs(&format!(r#"{{"iat":{T0},"exp":{}}}"#, T0 + minutes * 60))
}

#[test]
fn each_exit_code() {
    let fresh = exp_in(30);
    jwtctl()
        .args(["check-expiry", "--now", &at(0), &fresh])
        .assert()
        .code(0)
        .stdout(predicate::str::starts_with("valid "))
        .stdout(predicate::str::contains("in 30m"))
        .stdout(predicate::str::contains("2027-01-15T08:30:00Z"));
    jwtctl()
        .args(["check-expiry", "--now", &at(25), "--min-ttl", "10m", &fresh])
        .assert()
        .code(4)
        .stdout(predicate::str::starts_with("expiring "))
        .stdout(predicate::str::contains("expires within --min-ttl 10m"));
    jwtctl()
        .args(["check-expiry", "--now", &at(31), &fresh])
        .assert()
        .code(1)
        .stdout(predicate::str::starts_with("expired "))
        .stdout(predicate::str::contains("1m ago"));
    jwtctl()
        .args(["check-expiry", "--now", &at(31), "--leeway", "2m", &fresh])
        .assert()
        .code(0);
    let later = hs(&format!(r#"{{"nbf":{},"exp":{}}}"#, T0 + 600, T0 + 1200));
    jwtctl()
        .args(["check-expiry", "--now", &at(0), &later])
        .assert()
        .code(5)
        .stdout(predicate::str::starts_with("not_yet_valid"));
    let no_exp = hs(r#"{"sub":"x"}"#);
    jwtctl()
        .args(["check-expiry", &no_exp])
        .assert()
        .code(7)
        .stdout(predicate::str::contains("--allow-no-exp"));
    jwtctl()
        .args(["check-expiry", "--allow-no-exp", &no_exp])
        .assert()
        .code(0);
    jwtctl()
        .args([
            "check-expiry",
            "--now",
            &at(0),
            "--max-lifetime",
            "1h",
            &exp_in(60),
        ])
        .assert()
        .code(0);
    jwtctl()
        .args([
            "check-expiry",
            "--now",
            &at(0),
            "--max-lifetime",
            "1h",
            &exp_in(61),
        ])
        .assert()
        .code(7)
        .stdout(predicate::str::contains(
            "lifetime 1h 1m (exp - iat) is over --max-lifetime 1h",
        ));
    jwtctl()
        .args(["check-expiry", "not a token"])
        .assert()
        .code(3);
    jwtctl()
        .args(["check-expiry", "eyJhbGciOiJIUzI1NiJ9.e30"])
        .assert()
        .code(3);
    let bad_exp = hs(r#"{"exp":"soon"}"#);
    jwtctl().args(["check-expiry", &bad_exp]).assert().code(1);
}

#[test]
fn quiet_prints_nothing() {
    for (args, code) in [
        (vec!["-q", "--now", "1800000000"], 0),
        (vec!["--quiet", "--now", "1800003000"], 1),
    ] {
        jwtctl()
            .arg("check-expiry")
            .args(args)
            .arg(exp_in(30))
            .assert()
            .code(code)
            .stdout("")
            .stderr("");
    }
    jwtctl()
        .args(["check-expiry", "-q", "junk"])
        .assert()
        .code(3)
        .stdout("")
        .stderr("");
}

#[test]
fn several_tokens_take_the_most_severe_code() {
    let expiring = exp_in(5);
    let expired = exp_in(-5);
    let policy = hs(r#"{"sub":"no exp"}"#);
    let later = hs(&format!(r#"{{"nbf":{},"exp":{}}}"#, T0 + 600, T0 + 1200));
    let cases: Vec<(Vec<&str>, i32)> = vec![
        (vec![&expiring], 4),
        (vec![&expiring, &policy], 7),
        (vec![&policy, &later], 5),
        (vec![&later, &expired], 1),
        (vec![&expired, "eyJhbGciOiJIUzI1NiJ9.e30"], 3),
    ];
    for (tokens, code) in cases {
        jwtctl()
            .args(["check-expiry", "-q", "--min-ttl", "10m", "--now", &at(0)])
            .args(&tokens)
            .assert()
            .code(code);
    }
}

#[test]
fn a_file_of_tokens_and_json_lines() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tokens.txt");
    std::fs::write(
        &path,
        format!("{}\n{}\n{}\n", exp_in(30), exp_in(-1), exp_in(90)),
    )
    .unwrap();
    let out = jwtctl()
        .args([
            "check-expiry",
            "--json",
            "--now",
            &at(0),
            "--max-lifetime",
            "1h",
        ])
        .arg(format!("@{}", path.display()))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let l = json_lines(&out.stdout);
    let got: Vec<_> = l
        .iter()
        .map(|v| {
            (
                v["status"].as_str().unwrap(),
                v["exit_code"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(got, [("valid", 0), ("expired", 1), ("valid", 7)]);
    assert_eq!(l[0]["expires_in_seconds"], 1800);
    assert_eq!(l[1]["expires_in_seconds"], -60);
    assert!(
        l[2]["reasons"][0]
            .as_str()
            .unwrap()
            .contains("--max-lifetime")
    );
    assert_eq!(l[2]["source"], format!("{} line 3", path.display()));
}

/// A 200 MB log with one token at its very end is streamed: the process's peak memory, read
/// from /proc once nearly all of the log has gone through, stays far below the input's size.
#[test]
fn large_input_streams_in_bounded_memory() {
    use std::io::Write;
    let token = exp_in(30);
    let mut child = spawn(&["check-expiry", "--now", &at(0)]);
    let pid = child.id();
    let mut stdin = child.stdin.take().unwrap();
    let line = "2027-01-15T08:00:00Z INFO served in 12ms path=/api/orders?id=42 user=anonymous\n"
        .repeat(1000);
    let mut written = 0usize;
    while written < 200 * 1024 * 1024 {
        stdin.write_all(line.as_bytes()).unwrap();
        written += line.len();
    }
    let peak_kib = peak_rss_kib(pid);
    writeln!(stdin, "auth token={token}").unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(
        String::from_utf8(out.stdout)
            .unwrap()
            .contains("parameter token")
    );
    assert!(peak_kib < 32 * 1024, "peak RSS {peak_kib} KiB");
}

/// A million tokens on stdin: each checked, in bounded memory, with the most severe exit code.
#[test]
fn a_million_tokens_on_stdin() {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("jwtctl"))
        .args(["check-expiry", "--now", &at(0), "--min-ttl", "1m"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        use std::io::Read;
        let (mut lines, mut buf) = (0usize, vec![0u8; 1 << 16]);
        let mut last = Vec::new();
        loop {
            let n = stdout.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            lines += buf[..n].iter().filter(|&&b| b == b'\n').count();
            last = buf[..n].to_vec();
        }
        (lines, String::from_utf8_lossy(&last).into_owned())
    });
    let header = b64(r#"{"alg":"HS256","typ":"JWT"}"#);
    let mut batch = String::new();
    let mut peak = 0;
    for i in 0..1_000_000u64 {
        // The very last token expires within --min-ttl: exit 4.
        let exp = if i == 999_999 {
            T0 + 30
        } else {
            T0 + 600 + (i % 1000) as i64
        };
        batch.push_str(&format!(
            "{header}.{}.c2ln\n",
            b64(&format!(r#"{{"sub":"u{i}","iat":{T0},"exp":{exp}}}"#))
        ));
        if batch.len() > 1 << 16 {
            stdin.write_all(batch.as_bytes()).unwrap();
            batch.clear();
        }
        if i == 990_000 {
            peak = peak_rss_kib(pid);
        }
    }
    stdin.write_all(batch.as_bytes()).unwrap();
    drop(stdin);
    let status = child.wait().unwrap();
    let (lines, last) = reader.join().unwrap();
    assert_eq!(lines, 1_000_000);
    assert!(
        last.contains("stdin line 1000000") && last.contains("expiring"),
        "{last}"
    );
    assert_eq!(status.code(), Some(4));
    assert!(peak < 32 * 1024, "peak RSS {peak} KiB");
}

/// Batch work over several threads writes exactly what one thread writes, in input order.
#[test]
fn threads_keep_output_byte_identical() {
    let input = batch_input(5000);
    for (mode, input) in [
        (vec!["check-expiry"], &input),
        (vec!["check-expiry", "--json"], &input),
        (vec!["decode", "--json"], &input),
        (vec!["decode"], &input),
        (
            vec![
                "verify",
                "--json",
                "--secret",
                "wrong-secret-wrong-secret-wrong-secret",
            ],
            &input,
        ),
    ] {
        let run = |threads: &str| {
            jwtctl()
                .args(&mode)
                .args([
                    "--now",
                    &at(0),
                    "--threads",
                    threads,
                    "-",
                    "@/nonexistent",
                    "eyJ.x",
                ])
                .write_stdin(input.clone())
                .output()
                .unwrap()
        };
        let one = run("1");
        let two = run("2");
        let four = run("4");
        assert_eq!(one.stdout, two.stdout, "{mode:?}");
        assert_eq!(one.stdout, four.stdout, "{mode:?}");
        assert_eq!(one.stderr, two.stderr, "{mode:?}");
        assert_eq!(one.status.code(), two.status.code());
        assert_eq!(one.status.code(), Some(3));
        assert!(one.stdout.len() > 50_000);
    }
}

fn batch_input(n: i64) -> String {
    let mut input = String::from("HTTP/1.1 200 OK\nDate: Fri, 15 Jan 2027 08:05:00 GMT\n\n");
    for i in 0..n {
        let exp = T0 + (i % 97) * 60 - 600;
        match i % 500 {
            7 => input.push_str("eyJhbGciOiJIUzI1NiJ9.e3!x.c2ln\n"),
            8 => input.push_str(&format!("{}\n", hs(r#"{"sub":"no exp"}"#))),
            _ => input.push_str(&format!(
                "token={} line {i}\n",
                hs(&format!(r#"{{"sub":"u{i}","iat":{T0},"exp":{exp}}}"#))
            )),
        }
    }
    input
}
