//! Hostile input through the real binary: size limits, deep and wide JSON, huge numbers, inputs
//! without newlines, and SIGINT during a long stream.

mod common;
use common::*;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A gibibyte without a single newline, a token at its end: streamed in bounded memory.
#[test]
fn a_gigabyte_without_newlines_streams_in_bounded_memory() {
    let token = hs(r#"{"exp":1800000600}"#);
    let mut child = spawn(&["decode", "--json", "--now", "1800000000"]);
    let pid = child.id();
    let mut stdin = child.stdin.take().unwrap();
    // Long base64-looking runs, broken by spaces: the scanner's worst case for bookkeeping.
    let chunk = "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0123456789 abc.def ".repeat(20_000);
    let mut written = 0usize;
    while written < 1 << 30 {
        stdin.write_all(chunk.as_bytes()).unwrap();
        written += chunk.len();
    }
    let peak = peak_rss_kib(pid);
    write!(stdin, " {token}").unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(json_lines(&out.stdout)[0]["source"], "stdin line 1");
    assert!(peak < 16 * 1024, "peak RSS {peak} KiB");
}

#[test]
fn an_endless_run_of_token_characters_is_refused_not_held() {
    // 64 MiB of one run that starts like a token: over the limit, refused with its length.
    let mut child = spawn(&["decode"]);
    let pid = child.id();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"eyJhbGciOiJIUzI1NiJ9.eyJ.").unwrap();
    let run = "A".repeat(1 << 20);
    for _ in 0..64 {
        stdin.write_all(run.as_bytes()).unwrap();
    }
    let peak = peak_rss_kib(pid);
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("over the 1048576 byte limit"), "{err}");
    assert!(peak < 16 * 1024, "peak RSS {peak} KiB");
}

#[test]
fn wide_deep_and_huge_payloads() {
    // 100,000 claims: decoded in well under the time a quadratic path would take.
    let mut wide = String::from("{");
    for i in 0..100_000 {
        wide.push_str(&format!("\"c{i}\":{i},"));
    }
    wide.push_str("\"exp\":1800000600}");
    let t = hs(&wide);
    let start = Instant::now();
    let out = jwtctl()
        .args([
            "decode",
            "--json",
            "--now",
            "1800000000",
            "--max-token-size",
            "8000000",
        ])
        .write_stdin(t)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(json_lines(&out.stdout)[0]["payload"]["c99999"], 99999);
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "{:?}",
        start.elapsed()
    );

    // Nesting beyond 128 levels is refused as malformed, never a stack overflow.
    let deep = format!("{{\"a\":{}1{}}}", "[".repeat(50_000), "]".repeat(50_000));
    let out = jwtctl()
        .arg("decode")
        .write_stdin(hs(&deep))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(
        String::from_utf8(out.stderr)
            .unwrap()
            .contains("nested too deeply")
    );

    // Huge numbers and long strings are kept exactly.
    let big = format!(
        r#"{{"n":{},"s":"{}","exp":1e400}}"#,
        "9".repeat(5000),
        "x".repeat(200_000)
    );
    let out = jwtctl()
        .args(["decode", "--json"])
        .write_stdin(hs(&big))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let line = String::from_utf8(out.stdout).unwrap();
    assert!(line.contains(&"9".repeat(5000)));
    assert_eq!(json_lines(line.as_bytes())[0]["status"], "invalid");
}

#[test]
fn sigint_stops_a_long_stream_promptly() {
    use std::os::unix::process::CommandExt;
    let mut command = Command::new(assert_cmd::cargo::cargo_bin("jwtctl"));
    command
        .args(["decode"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null());
    // SIGINT as a terminal would deliver it, even when this suite runs with it ignored (a
    // background job of a shell, nohup): an ignored signal is inherited across exec.
    // SAFETY: signal() is async-signal-safe, as the time between fork and exec requires.
    unsafe {
        command.pre_exec(|| {
            libc::signal(libc::SIGINT, libc::SIG_DFL);
            Ok(())
        });
    }
    let mut child = command.spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let feeder = std::thread::spawn(move || {
        let line = "log line without tokens\n".repeat(1000);
        while stdin.write_all(line.as_bytes()).is_ok() {}
    });
    std::thread::sleep(Duration::from_millis(200));
    let sent = Instant::now();
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    // Waited for at most 10 s: a process that ignores the signal fails the test, not hangs it.
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if sent.elapsed() > Duration::from_secs(10) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("still running 10 s after SIGINT");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    assert!(
        sent.elapsed() < Duration::from_secs(2),
        "took {:?}",
        sent.elapsed()
    );
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(status.signal(), Some(libc::SIGINT), "{status:?}");
    feeder.join().unwrap();
}

/// A signature of 75 KB: decode reads the token without holding the decoded signature, verify
/// refuses it by its length, and a bad character deep inside is named at its offset.
#[test]
fn a_huge_signature_is_checked_not_held() {
    let body = hs(r#"{"exp":1800000600}"#);
    let token = with_signature(&body, &"A".repeat(100_000));
    let out = stdout_ok(jwtctl().args(["decode", "--json", "--now", "1800000000", &token]));
    assert_eq!(json_lines(&out)[0]["status"], "valid");

    let out = jwtctl()
        .args([
            "verify",
            "--json",
            "--secret",
            "s3cr3t-long-enough-for-hs256",
            "--now",
            "1800000000",
        ])
        .arg(&token)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let report = &json_lines(&out.stdout)[0];
    assert_eq!(report["signature"]["verified"], false);
    let error = report["signature"]["error"].as_str().unwrap();
    assert!(
        error.contains("75000 bytes, longer than any JWS algorithm makes"),
        "{error}"
    );

    let bad = with_signature(&body, &format!("{}*{}", "A".repeat(60_000), "A".repeat(99)));
    let out = jwtctl().args(["decode", &bad]).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("signature segment (3 of 3) is not valid base64url: invalid character '*' at offset 60000"),
        "{err}"
    );
    // The last piece keeps the strict end: non-zero trailing bits are still refused.
    let loose = with_signature(&body, &format!("{}B", "A".repeat(100_002)));
    let out = jwtctl().args(["decode", &loose]).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("non-zero trailing bits"), "{err}");
}

/// A JWE's long segments are checked piece by piece, with the same verdicts.
#[test]
fn long_jwe_segments_are_checked_in_pieces() {
    let header = b64(r#"{"alg":"dir","enc":"A256GCM"}"#);
    let ok = format!(
        "{header}..{}.{}.{}",
        "A".repeat(16),
        "B".repeat(40_000),
        "A".repeat(22)
    );
    let out = stdout_ok(jwtctl().args(["decode", "--json", &ok]));
    assert_eq!(json_lines(&out)[0]["kind"], "jwe");
    let bad = format!(
        "{header}..{}.{}=.{}",
        "A".repeat(16),
        "B".repeat(40_000),
        "A".repeat(22)
    );
    let out = jwtctl().args(["decode", &bad]).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("ciphertext segment (4 of 5) is not valid base64url: invalid character '=' at offset 40000 (padding '=' is not allowed in base64url)"),
        "{err}"
    );
}

/// Output that cannot be written: a full device is a one-line error (exit 3), a closed pipe
/// ends the run quietly with the exit code it would have had; no command panics.
#[cfg(target_os = "linux")]
#[test]
fn output_that_cannot_be_written_is_an_error_or_an_end_never_a_panic() {
    let (token, secret) = (fixture_path("access.jwt"), fixture_path("hs256.secret"));
    let at_token = format!("@{token}");
    let now = ["--now", "2027-01-15T08:10:00Z"];
    let encode = "encode --alg HS256 --secret-file SECRET --claim sub=x";
    let commands = [
        "decode TOKEN",
        "decode --json TOKEN",
        "check-expiry TOKEN",
        "verify --secret-file SECRET TOKEN",
        encode,
        "completions bash",
        "man",
        "--help",
        "decode --help",
        "--version",
    ];
    for line in commands {
        let args: Vec<&str> = line
            .split(' ')
            .map(|a| match a {
                "TOKEN" => at_token.as_str(),
                "SECRET" => secret.as_str(),
                _ => a,
            })
            .collect();
        // Commands that judge tokens get a fixed clock.
        let timeless =
            ["completions", "man", "--version"].contains(&args[0]) || args.ends_with(&["--help"]);
        let command = |stdout: Stdio| {
            let mut c = process(&args[..1]);
            c.args(if timeless { &[][..] } else { &now[..] })
                .args(&args[1..])
                .stdout(stdout);
            c
        };
        let run = |stdout: Stdio| command(stdout).output().unwrap();
        let fine = run(Stdio::null());
        assert!(fine.stderr.is_empty(), "{args:?}");
        let full = run(std::fs::File::create("/dev/full").unwrap().into());
        let said = String::from_utf8(full.stderr).unwrap();
        assert_eq!(full.status.code(), Some(3), "{args:?}: {said}");
        assert!(
            said.starts_with("error: cannot write output: No space left on device")
                && said.lines().count() == 1,
            "{args:?}: {said}"
        );
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let closed = run(writer.into());
        assert_eq!(closed.status.code(), fine.status.code(), "{args:?}");
        assert!(
            closed.stderr.is_empty(),
            "{args:?}: {}",
            String::from_utf8_lossy(&closed.stderr)
        );
        // Started with stdout closed (`>&-`): output with nowhere to go is said, not lost.
        let mut shut = command(Stdio::null());
        // SAFETY: close() is async-signal-safe, as the time between fork and exec requires.
        unsafe {
            use std::os::unix::process::CommandExt;
            shut.pre_exec(|| {
                libc::close(1);
                Ok(())
            });
        }
        let shut = shut.output().unwrap();
        let said = String::from_utf8(shut.stderr).unwrap();
        assert_eq!(shut.status.code(), Some(3), "{args:?}: {said}");
        assert_eq!(
            said, "error: cannot write output: stdout is closed\n",
            "{args:?}"
        );
    }
    // A usage error that cannot be written to stderr still exits 2.
    let out = process(&["decode", "--bogus"])
        .stderr(std::fs::File::create("/dev/full").unwrap())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
