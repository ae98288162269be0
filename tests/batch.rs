//! Files and pipes (stdin's, a FIFO named by @PATH) are read in blocks of whole lines, scanned
//! and judged on worker threads: the output must be what one thread writes for the same text.

mod common;
use common::*;
use std::io::Write;
use std::process::Command;

/// A log of ~1.6 MB: HTTP exchanges with `Date:` headers at its start and in its middle (each
/// changes the clock_skew of what follows), header, JSON, cookie and parameter labels, a
/// malformed token, candidates over --max-token-size, and lines longer than a block (each read
/// as a stream, or in pieces, the blocks going on after it): one before the second `Date:`, one
/// whose token comes before its length, one near the end, two of many tokens.
fn log() -> String {
    let mut s = String::from("HTTP/1.1 200 OK\r\nDate: Fri, 15 Jan 2027 08:02:00 GMT\r\n\r\n");
    let token = |i: i64| {
        hs(&format!(
            r#"{{"sub":"u{i}","iat":{T0},"exp":{}}}"#,
            T0 + (i % 89) * 60 - 900
        ))
    };
    for i in 0..6000 {
        match i % 100 {
            0 => s.push_str(&format!("> Authorization: Bearer {}\n", token(i))),
            1 => s.push_str(&format!(
                "{{\"access_token\":\"{}\",\"n\":{i}}}\n",
                token(i)
            )),
            2 => s.push_str(&format!("Set-Cookie: session={}; Path=/\n", token(i))),
            3 => s.push_str("bad eyJhbGciOiJIUzI1NiJ9.bm90IGpzb24.c2ln here\n"),
            4 => s.push_str(&format!("huge eyJ{}.eyJ.sig\n", "A".repeat(3000))),
            5 => s.push_str("a line without any token at all, just words and numbers 12345\n"),
            _ => s.push_str(&format!(
                "2027-01-15T08:00:00Z INFO req={i} url=/cb?code=x&id_token={} ok\n",
                token(i)
            )),
        }
        if i == 1500 {
            // A line of 1,200 tokens (JSON keys after a wide gap, some a `Bearer` value), a run
            // longer than a block in its middle: cut into pieces for the threads until the run,
            // read as a stream from there.
            s.push('[');
            for k in 0..1200 {
                match k {
                    600 => s.push_str(&format!("\"{}\",", "w".repeat(300_000))),
                    _ if k % 3 == 0 => s.push_str(&format!("\"Bearer {}\",", token(k))),
                    _ => s.push_str(&format!(
                        "{{\"id_token\" :{}\"{}\",\"n\":{k}}},",
                        " ".repeat(200),
                        token(k)
                    )),
                }
            }
            s.push_str("]\n");
        }
        if i == 5000 {
            // Cut into pieces to its end.
            s.push_str("X-Tokens: ");
            for k in 0..900 {
                s.push_str(&format!("k{k}={}&", token(k)));
            }
            s.push('\n');
        }
        if i == 2990 {
            s.push_str(&format!("{} {}\n", "y".repeat(400_000), token(i)));
        }
        if i == 3000 {
            s.push_str("< HTTP/1.1 401 Unauthorized\n< date: Fri, 15 Jan 2027 07:50:00 GMT\n");
        }
        if i == 4000 {
            s.push_str(&format!(
                "> X-Trace: {} {}\n",
                token(i),
                "z".repeat(300_000)
            ));
        }
    }
    s.push_str(&format!("{} {}\n", "x".repeat(1_200_000), token(7)));
    for i in 0..50 {
        s.push_str(&format!("tail {i} token={}\n", token(i)));
    }
    s
}

fn run(args: &[&str], stdin: Option<&str>) -> (Option<i32>, String, String) {
    let mut child = spawn(args);
    let mut pipe = child.stdin.take().unwrap();
    let text = stdin.unwrap_or_default().to_string();
    let writer = std::thread::spawn(move || {
        let _ = pipe.write_all(text.as_bytes());
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    (
        out.status.code(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn a_file_in_blocks_reads_as_one_stream_on_any_number_of_threads() {
    let text = log();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log");
    std::fs::write(&path, &text).unwrap();
    let file = format!("@{}", path.display());
    let now = T0.to_string();
    for mode in [
        &["check-expiry", "--json"][..],
        &["check-expiry"][..],
        &["decode"][..],
    ] {
        let args = |threads: &'static str, input: &str| -> Vec<String> {
            let mut a: Vec<String> = mode.iter().map(|s| s.to_string()).collect();
            a.extend(
                [
                    "--now",
                    &now,
                    "--max-token-size",
                    "2000",
                    "--threads",
                    threads,
                    input,
                ]
                .map(String::from),
            );
            a
        };
        let call = |threads, input: &str, stdin| {
            let a = args(threads, input);
            run(&a.iter().map(String::as_str).collect::<Vec<_>>(), stdin)
        };
        let one = call("1", &file, None);
        assert_eq!(one.0, Some(3), "{mode:?}: {}", one.2);
        for threads in ["2", "4"] {
            let many = call(threads, &file, None);
            assert!(
                one == many,
                "{mode:?}: --threads {threads} differs from --threads 1"
            );
        }
        // The same text on a pipe, read in blocks as it comes.
        let piped = call("2", "-", Some(&text));
        let named = |s: &str| s.replace("stdin line", &format!("{} line", path.display()));
        assert_eq!(piped.0, one.0, "{mode:?}");
        assert!(
            named(&piped.1) == one.1,
            "{mode:?}: a pipe and a file give different reports"
        );
        assert!(
            named(&piped.2) == one.2,
            "{mode:?}: a pipe and a file give different errors"
        );
        // And through a FIFO, read in blocks as it comes, as stdin's pipe is.
        let (by_fifo, fifo) = through_fifo(dir.path(), &text, |input| call("2", input, None));
        let named = |s: &str| s.replace(&fifo, &path.display().to_string());
        assert_eq!(by_fifo.0, one.0, "{mode:?}");
        assert!(
            named(&by_fifo.1) == one.1,
            "{mode:?}: a FIFO and a file give different reports"
        );
        assert!(
            named(&by_fifo.2) == one.2,
            "{mode:?}: a FIFO and a file give different errors"
        );
    }
    // What the blocks hold is all there: every token, each skew, every label kind.
    let (_, out, _) = call_json(&file, &now);
    let reports = json_lines(out.as_bytes());
    assert_eq!(reports.len(), 6000 - 60 + 3 + 50 + 1199 + 900);
    // Both Date headers speak: 2 minutes ahead at the start, 10 minutes behind from the middle.
    let skew = |r: &serde_json::Value| {
        r["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|w| w["code"] == "clock_skew")
            .map(|w| w["message"].as_str().unwrap().to_string())
    };
    let first = skew(&reports[0]).expect("skew at the start");
    let later = skew(&reports[reports.len() - 1]).expect("skew at the end");
    assert_ne!(first, later);
    let last = &reports[reports.len() - 1];
    assert_eq!(
        last["source"],
        format!("{} line 6060, parameter token", path.display())
    );
    for label in [
        "header Authorization",
        "JSON key \"access_token\"",
        "cookie session",
        "parameter id_token",
        "line 1505, JSON key \"id_token\"",
        "line 5010, header X-Tokens, parameter k899",
    ] {
        assert!(
            reports
                .iter()
                .any(|r| r["source"].as_str().unwrap().contains(label)),
            "{label}"
        );
    }
    assert!(out.contains("over the 2000 byte limit"));
}

/// `text` written into a FIFO made in `dir` while `call` reads it (`@FIFO`): what `call` gave,
/// and the FIFO's path.
fn through_fifo(
    dir: &std::path::Path,
    text: &str,
    call: impl FnOnce(&str) -> (Option<i32>, String, String),
) -> ((Option<i32>, String, String), String) {
    let fifo = dir.join("fifo");
    let _ = std::fs::remove_file(&fifo);
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let feed = {
        let (fifo, text) = (fifo.clone(), text.to_string());
        std::thread::spawn(move || std::fs::write(fifo, text))
    };
    let got = call(&format!("@{}", fifo.display()));
    feed.join().unwrap().unwrap();
    (got, fifo.display().to_string())
}

/// Each of `threads` writes what one thread wrote (`one`).
fn same_as_one_thread(call: impl Fn(&str) -> String, one: &str, threads: &[&str]) {
    for threads in threads {
        assert!(
            call(threads) == one,
            "--threads {threads} differs from --threads 1"
        );
    }
}

fn call_json(file: &str, now: &str) -> (Option<i32>, String, String) {
    run(
        &[
            "check-expiry",
            "--json",
            "--now",
            now,
            "--max-token-size",
            "2000",
            file,
        ],
        None,
    )
}

/// Tokens over 512 KiB are judged on the calling thread once the batches in flight are written:
/// the reports keep their order, as one thread writes them.
#[test]
fn huge_tokens_among_small_ones_keep_their_place() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.log");
    let mut text = String::new();
    let mut line = 0;
    let mut big_lines = Vec::new();
    for round in 0..3 {
        for i in 0..400 {
            text.push_str(&format!(
                "t{i} {}\n",
                hs(&format!(r#"{{"sub":"u{i}","exp":{}}}"#, 1_800_000_600 + i))
            ));
            line += 1;
        }
        let t = hs(&format!(r#"{{"sub":"big{round}","exp":1800000600}}"#));
        text.push_str(&with_signature(&t, &"A".repeat(600_000)));
        text.push('\n');
        line += 1;
        big_lines.push(line);
    }
    std::fs::write(&path, &text).unwrap();
    let path = path.display().to_string();
    let call = |threads: &str| {
        let args = [
            "decode",
            "--json",
            "--now",
            "1800000000",
            "--threads",
            threads,
        ];
        let out = stdout_ok(jwtctl().args(args).arg(format!("@{path}")));
        String::from_utf8(out).unwrap()
    };
    let one = call("1");
    let reports = json_lines(one.as_bytes());
    assert_eq!(reports.len(), 3 * 401);
    for (n, r) in reports.iter().enumerate() {
        assert_eq!(r["source"], format!("{path} line {}", n + 1));
        assert_eq!(r["status"], "valid");
    }
    for l in big_lines {
        assert!(
            reports[l - 1]["payload"]["sub"]
                .as_str()
                .unwrap()
                .starts_with("big")
        );
    }
    same_as_one_thread(call, &one, &["2", "4"]);
}

/// A file's plain blocks are read, judged and written by all the threads in turn; when the
/// reader of the output goes away, every thread stops and the run ends quietly.
#[test]
fn a_closed_pipe_stops_every_thread_quietly() {
    use std::io::Read;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("many.log");
    let t = hs(r#"{"sub":"u","exp":1800000600}"#);
    std::fs::write(&path, format!("{t}\n").repeat(20_000)).unwrap();
    let file = format!("@{}", path.display());
    for threads in ["2", "3"] {
        let mut child = spawn(&["decode", "--json", "--threads", threads, &file]);
        drop(child.stdin.take());
        let mut stdout = child.stdout.take().unwrap();
        let mut first = [0u8; 16];
        stdout.read_exact(&mut first).unwrap();
        drop(stdout);
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(err.is_empty(), "--threads {threads}: {err}");
        assert_eq!(out.status.code(), Some(0), "--threads {threads}");
    }
}

/// `Date:` lines every few hundred lines: the threads cut their blocks before each and read it
/// in turn (the blocks after it are judged in the skew it gives), on one thread it is scanned
/// in order. Each token keeps its line, index and the skew of the Date before it.
#[test]
fn date_lines_between_plain_blocks_keep_their_order() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dates.log");
    let mut text = String::new();
    for i in 0..4000 {
        if i % 500 == 250 {
            // Alternately 2 minutes ahead and 10 minutes behind.
            let date = if (i / 500) % 2 == 0 {
                "Fri, 15 Jan 2027 08:02:00 GMT"
            } else {
                "Fri, 15 Jan 2027 07:50:00 GMT"
            };
            text.push_str(&format!("Date: {date}\n"));
        }
        text.push_str(&format!(
            "{}\n",
            hs(&format!(r#"{{"sub":"u{i}","exp":{}}}"#, T0 + 600))
        ));
    }
    std::fs::write(&path, &text).unwrap();
    let file = format!("@{}", path.display());
    let now = T0.to_string();
    let call = |threads: &str| {
        let out = stdout_ok(jwtctl().args([
            "check-expiry",
            "--json",
            "--now",
            &now,
            "--threads",
            threads,
            &file,
        ]));
        String::from_utf8(out).unwrap()
    };
    let one = call("1");
    let reports = json_lines(one.as_bytes());
    assert_eq!(reports.len(), 4000);
    let mut line = 0;
    for (i, r) in reports.iter().enumerate() {
        line += 1 + usize::from(i % 500 == 250);
        assert_eq!(r["index"], i + 1);
        assert_eq!(r["source"], format!("{} line {line}", path.display()));
        let skew = r["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|w| w["code"] == "clock_skew")
            .map(|w| w["message"].as_str().unwrap().to_string());
        // The first 250 tokens are in the input's first 64 KiB: they wait for the Date that
        // follows them, as the README says.
        let ahead = (i.saturating_sub(250) / 500) % 2 == 0;
        let message = skew.unwrap_or_else(|| panic!("token {i} has no clock_skew"));
        assert_eq!(message.contains("ahead"), ahead, "token {i}: {message}");
    }
    same_as_one_thread(call, &one, &["2", "3"]);
}

/// Lines that would change how later lines are read, holding tokens themselves (an `HTTP/`
/// that is no request line, a `Date:` with a token after it), between plain stretches and
/// `Date:` lines alone: the threads leave such lines to be scanned in order, and every thread
/// count writes what one thread writes.
#[test]
fn lines_that_change_the_reading_and_hold_tokens_keep_their_order() {
    let line = |i: u32| {
        let token = hs(&format!(r#"{{"sub":"u{i}","exp":{}}}"#, T0 + 600));
        match i % 700 {
            100..=160 => format!("t={token} proto=HTTP/3\n"),
            300 => format!("Date: Fri, 15 Jan 2027 08:02:00 GMT {token}\n"),
            500 => format!("Date: Fri, 15 Jan 2027 07:5{}:00 GMT\n{token}\n", i % 7),
            _ => format!("{token}\n"),
        }
    };
    let text: String = (0..3000).map(line).collect();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mixed.log");
    std::fs::write(&path, &text).unwrap();
    let file = format!("@{}", path.display());
    let now = T0.to_string();
    let call = |threads: &str| {
        let mut decode = jwtctl();
        decode.args(["decode", "--json", "--now", &now, "--threads", threads]);
        String::from_utf8(stdout_ok(decode.arg(&file))).unwrap()
    };
    let one = call("1");
    let reports = json_lines(one.as_bytes());
    assert_eq!(reports.len(), 3000);
    let skewed = reports
        .iter()
        .filter(|r| {
            r["warnings"]
                .as_array()
                .unwrap()
                .iter()
                .any(|w| w["code"] == "clock_skew")
        })
        .count();
    assert!(skewed > 2000, "{skewed} of 3000 have a clock_skew");
    same_as_one_thread(call, &one, &["2", "3"]);
}

/// Where one secret verifies HS256, verify takes a file's tokens sixteen at a time (AVX-512) or
/// four at a time (the SHA extensions) and computes their HMACs together: each report must be
/// the one the token gets alone (as an argument). Good tokens of one to eight SHA-256 blocks
/// side by side, tampered and wrongly keyed ones in every place of a group of four and of
/// sixteen, and groups broken by other algorithms and by malformed tokens.
#[test]
fn verify_several_at_a_time_reports_as_each_token_alone() {
    let secret = b"a-secret-for-the-batch-test-0123456789";
    let good = |i: usize| {
        hs256_signed(
            secret,
            r#"{"alg":"HS256","typ":"JWT"}"#,
            &format!(
                r#"{{"sub":"u{i}","pad":"{}","iat":{T0},"exp":{}}}"#,
                "p".repeat(i * 23 % 400),
                T0 + 600
            ),
        )
    };
    let tampered = |i: usize| {
        // A signature byte changed (the middle of the segment: its bits are all significant).
        let t = good(i);
        let at = t.len() - 20;
        let c = if &t[at..=at] == "A" { "B" } else { "A" };
        format!("{}{c}{}", &t[..at], &t[at + 1..])
    };
    let other_secret = |i: usize| {
        hs256_signed(
            b"another-secret-for-the-batch-test-0123",
            r#"{"alg":"HS256"}"#,
            &format!(r#"{{"sub":"w{i}","exp":{}}}"#, T0 + 60),
        )
    };
    let hs384 = signed("HS384").0;
    let rs256 = signed("RS256").0;
    // The first 64 KiB of an input are read as a stream (tokens there wait for a Date: header
    // that may follow them), one token at a time: the tokens under test come after them.
    let lead: Vec<String> = (0..400).map(|i| good(i % 24)).collect();
    let mut tokens = Vec::new();
    for i in 0..24 {
        tokens.push(good(i));
    }
    let mut bad = 0;
    for group in [4, 16] {
        for lane in 0..group {
            for k in 0..group {
                tokens.push(if k == lane {
                    tampered(lane)
                } else {
                    good((lane + k) % 24)
                });
            }
            for k in 0..group {
                tokens.push(if k == lane {
                    other_secret(k)
                } else {
                    good(k % 24)
                });
            }
            bad += 2;
        }
    }
    tokens.extend([good(1), hs384.clone(), good(2), good(3), good(4)]);
    tokens.extend([good(5), rs256, good(6), good(7), good(8), good(9)]);
    tokens.extend([
        good(10),
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIi.c2ln".into(),
        good(11),
    ]);
    tokens.extend([good(12), good(13), good(14)]);
    let dir = tempfile::tempdir().unwrap();
    let secret_file = dir.path().join("secret");
    std::fs::write(&secret_file, secret).unwrap();
    let secret_file = secret_file.display().to_string();
    let file = dir.path().join("tokens.txt");
    std::fs::write(&file, [&lead[..], &tokens[..]].concat().join("\n") + "\n").unwrap();
    let now = T0.to_string();
    let verify = |input: &str| {
        let (code, out, err) = run(
            &[
                "verify",
                "--json",
                "--now",
                &now,
                "--threads",
                "1",
                "--secret-file",
                &secret_file,
                input,
            ],
            None,
        );
        (code, json_lines(out.as_bytes()), err)
    };
    let (code, together, _) = verify(&format!("@{}", file.display()));
    // Bad signatures (1), an RS256 token no secret can verify (6), a malformed token (3).
    assert_eq!(code, Some(3));
    assert_eq!(together.len(), lead.len() + tokens.len());
    let (lead_reports, together) = together.split_at(lead.len());
    assert!(
        lead_reports
            .iter()
            .all(|r| r["signature"]["verified"] == true)
    );
    let mut verified = 0;
    // Each different token verified alone once.
    let mut alone = std::collections::HashMap::new();
    for (n, (token, report)) in tokens.iter().zip(together).enumerate() {
        let mut report = report.clone();
        let alone = alone.entry(token).or_insert_with(|| {
            let (_, mut alone, _) = verify(token);
            assert_eq!(alone.len(), 1, "token {n}");
            let mut alone = alone.remove(0);
            let r = alone.as_object_mut().unwrap();
            r.remove("source");
            r.remove("index");
            alone
        });
        let r = report.as_object_mut().unwrap();
        r.remove("source");
        r.remove("index");
        assert_eq!(report, *alone, "token {n}: {token}");
        verified += usize::from(report["signature"]["verified"] == true);
    }
    // The good ones, and only they.
    assert_eq!(verified, tokens.len() - bad - 1 - 1 - 1);
}

/// A worker makes each token's report in the report the token before it left (and reuses its
/// buffers): whatever the order, every report of a block says what the token says alone,
/// nothing of the one before (warnings, errors, times, a JWE's or a malformed token's state).
#[test]
fn a_reused_report_carries_nothing_from_the_token_before() {
    let clean = hs(&format!(r#"{{"sub":"u","iat":{T0},"exp":{}}}"#, T0 + 600));
    let loud = token(
        r#"{"alg":"none","jwk":{"kty":"oct"},"kid":"../../etc/passwd"}"#,
        &format!(
            r#"{{"password":"hunter2","iat":{},"nbf":{},"exp":{}}}"#,
            T0 + 9000,
            T0 + 9000,
            T0 - 60
        ),
    );
    let not_claims = token(r#"{"alg":"HS256"}"#, "[1,2]");
    let malformed = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIi.c2ln".to_string();
    let jwe = format!("{}.a.b.c.d", b64(r#"{"alg":"RSA-OAEP","enc":"A256GCM"}"#));
    let millis = hs(&format!(r#"{{"exp":{}}}"#, (T0 + 600) * 1000));
    let kinds = [clean, loud, not_claims, malformed, jwe, millis];
    // The first 64 KiB of an input are read as a stream: the tokens under test come after.
    let lead: Vec<String> = (0..400).map(|_| kinds[0].clone()).collect();
    let mut tokens = Vec::new();
    for a in 0..kinds.len() {
        for b in 0..kinds.len() {
            tokens.extend([kinds[a].clone(), kinds[b].clone()]);
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tokens.txt");
    std::fs::write(&file, [&lead[..], &tokens[..]].concat().join("\n") + "\n").unwrap();
    let now = T0.to_string();
    let decode = |threads: &str, input: &str| {
        let (_, out, _) = run(
            &[
                "decode",
                "--json",
                "--now",
                &now,
                "--threads",
                threads,
                input,
            ],
            None,
        );
        json_lines(out.as_bytes())
    };
    let alone: Vec<serde_json::Value> = kinds
        .iter()
        .map(|t| {
            let mut r = decode("1", t);
            assert_eq!(r.len(), 1, "{t}");
            r.remove(0)
        })
        .collect();
    for threads in ["1", "2"] {
        let together = decode(threads, &format!("@{}", file.display()));
        assert_eq!(together.len(), lead.len() + tokens.len());
        for (n, (token, report)) in tokens.iter().zip(&together[lead.len()..]).enumerate() {
            let want = &alone[kinds.iter().position(|k| k == token).unwrap()];
            let mut report = report.clone();
            let mut want = want.clone();
            for r in [&mut report, &mut want] {
                let r = r.as_object_mut().unwrap();
                r.remove("source");
                r.remove("index");
            }
            assert_eq!(report, want, "--threads {threads}, token {n}: {token}");
        }
    }
}

/// Small tokens, whose reports are many times their size, are read in smaller blocks; a block
/// that holds more tokens than a block's reports may (a line of 2,500 tokens, or small tokens
/// right after large ones, cut for the large) is scanned as a stream and judged in batches,
/// in its place. Whatever the path (one thread, blocks on two, a pipe, a FIFO) and the view (JSON, the one-line text, the full text that numbers reports
/// as it renders them), the output is the same, every token in input order.
#[test]
fn crowded_blocks_keep_every_token_in_its_place() {
    let small = |i: usize| hs(&format!(r#"{{"n":{i}}}"#));
    let large = |i: usize| {
        hs(&format!(
            r#"{{"n":{i},"sub":"user-{i}","pad":"{}","exp":{}}}"#,
            "p".repeat(300),
            T0 + 600
        ))
    };
    let mut text = String::new();
    let mut n = 0;
    let mut next = || {
        n += 1;
        n
    };
    // Past the first 64 KiB (read as a stream): small tokens, one a line.
    for _ in 0..3000 {
        text.push_str(&format!("{}\n", small(next())));
    }
    // Lines of 2,500 tokens each (~200 KB: two are more than the blocks in flight may hold),
    // between short lines.
    for _ in 0..4 {
        let line: Vec<String> = (0..2500).map(|_| small(next())).collect();
        text.push_str(&format!("many {}\n", line.join(" ")));
        text.push_str(&format!("one {}\n", small(next())));
    }
    // Large tokens (blocks cut for them), then small ones 20 to a line.
    for _ in 0..600 {
        text.push_str(&format!("{}\n", large(next())));
    }
    for _ in 0..150 {
        let line: Vec<String> = (0..20).map(|_| small(next())).collect();
        text.push_str(&format!("{}\n", line.join(" ")));
    }
    for _ in 0..300 {
        text.push_str(&format!("{}\n", large(next())));
    }
    let total = n;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crowded.log");
    std::fs::write(&path, &text).unwrap();
    let file = format!("@{}", path.display());
    let now = T0.to_string();
    for mode in [
        &["decode", "--json"][..],
        &["check-expiry"][..],
        &["decode"][..],
    ] {
        let call = |threads: &str, input: &str, stdin: Option<&str>| {
            let mut a: Vec<&str> = mode.to_vec();
            a.extend(["--now", &now, "--threads", threads, input]);
            run(&a, stdin)
        };
        let one = call("1", &file, None);
        // check-expiry: the small tokens have no exp.
        let exit = if mode[0] == "check-expiry" { 7 } else { 0 };
        assert_eq!(one.0, Some(exit), "{mode:?}: {}", one.2);
        assert!(one.1.lines().count() >= total, "{mode:?}");
        if mode == ["decode", "--json"] {
            let reports = json_lines(one.1.as_bytes());
            assert_eq!(reports.len(), total);
            for (i, r) in reports.iter().enumerate() {
                assert_eq!(r["index"], i + 1);
                assert_eq!(r["payload"]["n"], i + 1, "report {}", i + 1);
            }
        }
        for threads in ["2", "3"] {
            let many = call(threads, &file, None);
            assert!(
                one == many,
                "{mode:?}: --threads {threads} differs from --threads 1"
            );
        }
        let named = |s: &str, name: &str| s.replace(name, &path.display().to_string());
        let piped = call("2", "-", Some(&text));
        assert!(
            named(&piped.1, "stdin") == one.1,
            "{mode:?}: a pipe and a file give different reports"
        );
        let (by_fifo, fifo) = through_fifo(dir.path(), &text, |input| call("2", input, None));
        assert!(
            named(&by_fifo.1, &fifo) == one.1,
            "{mode:?}: a FIFO and a file give different reports"
        );
    }
}

/// Complaints about malformed tokens are written a block at a time, yet with stdout and stderr
/// in one file (`2>&1`) each still comes before its token's report, and an unreadable input's
/// error after the complaints of the input before it: one thread or three, a file or a pipe.
#[test]
fn complaints_come_before_their_reports_in_one_file() {
    let dir = tempfile::tempdir().unwrap();
    let good = hs(r#"{"sub":"u","exp":1800000600}"#);
    let text: String = (0..12_000)
        .map(|i| match i % 3 {
            0 => "eyJ9.e30.x\n".to_string(),
            _ => format!("{good}\n"),
        })
        .collect();
    let path = dir.path().join("mixed.log");
    std::fs::write(&path, &text).unwrap();
    let file = format!("@{}", path.display());
    let missing = format!("@{}", dir.path().join("missing.log").display());
    let now = T0.to_string();
    for threads in ["1", "3"] {
        for piped in [false, true] {
            let merged = dir.path().join("merged");
            let sink = std::fs::File::create(&merged).unwrap();
            let mut cmd = process(&["--now", &now, "decode", "--json", "--threads", threads]);
            cmd.stdout(sink.try_clone().unwrap()).stderr(sink);
            let status = if piped {
                let mut child = cmd
                    .args(["-", &missing, &file])
                    .stdin(std::process::Stdio::piped())
                    .spawn()
                    .unwrap();
                let mut pipe = child.stdin.take().unwrap();
                let text = text.clone();
                let writer = std::thread::spawn(move || pipe.write_all(text.as_bytes()));
                let status = child.wait().unwrap();
                writer.join().unwrap().unwrap();
                status
            } else {
                cmd.args([&file, &missing, &file]).status().unwrap()
            };
            assert_eq!(status.code(), Some(3), "--threads {threads}, piped {piped}");
            let merged = std::fs::read_to_string(&merged).unwrap();
            // Complaints said and not yet matched by their report, oldest first.
            let mut complained = std::collections::VecDeque::new();
            let (mut reports, mut errors, mut missing_at) = (0, 0, None);
            for (n, line) in merged.lines().enumerate() {
                let at = format!("--threads {threads}, piped {piped}, line {}", n + 1);
                if let Some(error) = line.strip_prefix("error: ") {
                    errors += 1;
                    if error.starts_with("cannot read") {
                        assert!(missing_at.is_none(), "{at}: {line}");
                        missing_at = Some(reports);
                        assert!(complained.is_empty(), "{at}: {complained:?} not reported");
                    } else {
                        let source = error.split(": malformed token").next().unwrap();
                        complained.push_back(source.to_string());
                    }
                    continue;
                }
                let report: serde_json::Value = serde_json::from_str(line).unwrap();
                reports += 1;
                if report["status"] == "malformed" {
                    let said = complained.pop_front();
                    assert_eq!(said.as_deref(), report["source"].as_str(), "{at}");
                }
            }
            assert!(complained.is_empty(), "{complained:?} not reported");
            assert_eq!(reports, 24_000, "--threads {threads}, piped {piped}");
            assert_eq!(errors, 8_001, "--threads {threads}, piped {piped}");
            assert_eq!(
                missing_at,
                Some(12_000),
                "--threads {threads}, piped {piped}"
            );
        }
    }
}

/// The full text view numbers its reports as they are written, whichever thread rendered them:
/// `Token 1` first with no blank line before it, then each next number after one blank line,
/// from a file on one thread or three and from a pipe. The tokens (of ~450 bytes) come after
/// 90 KB of lines without any: on a pipe, the first is rendered before its number is known.
#[test]
fn the_text_view_numbers_every_report_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let filler = "a line of a log that holds no token at all\n".repeat(2_000);
    let text: String = (0..3_000)
        .map(|i| {
            let scope = "read ".repeat(50);
            let claims = format!(r#"{{"sub":"u{i}","exp":1800000600,"scope":"{scope}"}}"#);
            format!("{}\n", hs(&claims))
        })
        .fold(filler, |text, line| text + &line);
    let path = dir.path().join("tokens.txt");
    std::fs::write(&path, &text).unwrap();
    let file = format!("@{}", path.display());
    let now = T0.to_string();
    let mut outputs = Vec::new();
    for (threads, input) in [("1", Some(&file)), ("3", Some(&file)), ("3", None)] {
        let mut args = vec!["--now", &now, "decode", "--threads", threads];
        args.extend(input.map(String::as_str));
        let (code, out, err) = run(&args, input.is_none().then_some(text.as_str()));
        assert_eq!(code, Some(0), "--threads {threads}: {err}");
        let reports: Vec<&str> = out.split("\n\n").collect();
        assert_eq!(reports.len(), 3_000, "--threads {threads}");
        for (i, report) in reports.iter().enumerate() {
            let title = format!("Token {} (", i + 1);
            assert!(report.starts_with(&title), "--threads {threads}: {report}");
            assert!(
                report.contains(&format!("line {})", 2_000 + i + 1)),
                "{report}"
            );
        }
        outputs.push(out);
    }
    assert_eq!(outputs[0], outputs[1]);
    assert_eq!(outputs[0].replace(&file[1..], "stdin"), outputs[2]);
}

/// The largest `--max-token-size` (usize::MAX) is no limit: what a scan holds of a run is the
/// limit and a little more, which must not wrap around to a few bytes (every token was lost:
/// "no token found") or, in a build checking overflow, panic.
#[test]
fn the_largest_token_limit_is_no_limit() {
    use base64::Engine as _;
    let token = hs(r#"{"exp":1800000600}"#);
    let big = format!(
        "eyJhbGciOiJIUzI1NiJ9.{}.c2ln",
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(format!(r#"{{"pad":"{}"}}"#, "x".repeat(300_000)))
    );
    let line = vec![token.as_str(); 5000].join(" ");
    let text = format!("{line}\n{big}\n{token}\n");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tokens.txt");
    std::fs::write(&path, &text).unwrap();
    let file = format!("@{}", path.display());
    let most = usize::MAX.to_string();
    for threads in ["1", "2"] {
        for (input, stdin) in [(file.as_str(), None), ("-", Some(text.as_str()))] {
            let call = |limit: &str| {
                run(
                    &[
                        "decode",
                        "--json",
                        "--now",
                        "1800000000",
                        "--threads",
                        threads,
                        "--max-token-size",
                        limit,
                        input,
                    ],
                    stdin,
                )
            };
            let (code, out, err) = call(&most);
            assert_eq!(code, Some(0), "{threads} {input}: {err}");
            assert_eq!(out.lines().count(), 5002, "{threads} {input}");
            assert!(out == call("1000000000").1, "{threads} {input}");
        }
    }
}
