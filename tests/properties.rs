//! Property tests over the library: hostile bytes and JSON never panic, payloads survive
//! byte-exact, and the scanner finds every token hidden in random text.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jwtctl::input::{Cutter, DEFAULT_MAX_TOKEN, Event, Scanner, Within};
use proptest::prelude::*;
use serde_json::{Map, Value};

fn scan(bytes: &[u8], max: usize) -> Vec<Event> {
    let mut s = Scanner::new(bytes, "stdin", true, max);
    let mut out = Vec::new();
    while let Some(e) = s.next_event().unwrap() {
        out.push(e);
    }
    out
}

/// The events with the dots' places the scanner gave a token taken out, once checked: they
/// are where the token's two dots are, and it has no other. (Whether a token comes with them
/// depends on how the input came in: a line that is a token alone and read whole does.)
fn unplaced(events: Vec<Event>) -> Vec<Event> {
    events
        .into_iter()
        .map(|mut e| {
            if let Event::Token { text, dots, .. } = &mut e
                && let Some(places) = dots.take()
            {
                let all: Vec<usize> = text.match_indices('.').map(|(i, _)| i).collect();
                assert_eq!(all, places.places(), "{text}");
            }
            e
        })
        .collect()
}

/// A line that is a token alone, read whole, comes with its dots' places; read a byte at a
/// time it comes without: the same token either way (a case the property below found).
#[test]
fn a_token_line_read_whole_or_in_bytes_is_the_same_token() {
    let text = b"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln\n";
    let whole = scan(text, DEFAULT_MAX_TOKEN);
    assert!(
        matches!(&whole[..], [Event::Token { dots: Some(_), .. }]),
        "{whole:?}"
    );
    let mut s = Scanner::new(
        Pieces {
            rest: text,
            sizes: vec![1],
            next: 0,
        },
        "stdin",
        true,
        DEFAULT_MAX_TOKEN,
    );
    let mut pieced = Vec::new();
    while let Some(e) = s.next_event().unwrap() {
        pieced.push(e);
    }
    assert!(
        matches!(&pieced[..], [Event::Token { dots: None, .. }]),
        "{pieced:?}"
    );
    assert_eq!(unplaced(pieced), unplaced(whole));
}

/// A reader that gives its bytes in pieces of the sizes asked, in turn (a pipe's reads).
struct Pieces<'a> {
    rest: &'a [u8],
    sizes: Vec<usize>,
    next: usize,
}

impl std::io::Read for Pieces<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = std::io::BufRead::fill_buf(self)?.len().min(buf.len());
        buf[..n].copy_from_slice(&self.rest[..n]);
        std::io::BufRead::consume(self, n);
        Ok(n)
    }
}

impl std::io::BufRead for Pieces<'_> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        let size = self.sizes[self.next % self.sizes.len()];
        Ok(&self.rest[..size.min(self.rest.len())])
    }

    fn consume(&mut self, n: usize) {
        self.rest = &self.rest[n..];
        self.next += 1;
    }
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,20}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::vec((".{0,10}", inner), 0..8)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

fn claims() -> impl Strategy<Value = Map<String, Value>> {
    let time = prop_oneof![
        any::<i64>().prop_map(Value::from),
        // NumericDates jwtctl reads: past the year 9999 they have no UTC form (`"utc":null`),
        // from the year 5138 on they read as milliseconds.
        (-1_000i64..200_000_000_000_000).prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        json_value(),
    ];
    (
        prop::collection::vec(
            (
                prop::sample::select(vec!["iat", "nbf", "exp", "auth_time", "sub", "aud"]),
                time,
            ),
            0..6,
        ),
        prop::collection::vec((".{0,10}", json_value()), 0..4),
    )
        .prop_map(|(times, rest)| {
            let mut m = Map::new();
            for (k, v) in times {
                m.insert(k.to_string(), v);
            }
            for (k, v) in rest {
                m.insert(k, v);
            }
            m
        })
}

/// Claims that are mostly plain (ASCII, no escapes): the shapes real issuers write, with names
/// and values the lint looks for, numbers in every JSON form, and some keys repeated.
fn plain_claims() -> impl Strategy<Value = String> {
    let name = prop::sample::select(vec![
        "iss",
        "sub",
        "aud",
        "exp",
        "nbf",
        "iat",
        "auth_time",
        "jti",
        "scope",
        "password",
        "x-api_key",
        "Client_Secret",
        "pin",
        "card",
        "ssn_note",
        "tenant",
        "nested",
    ]);
    let number = prop::sample::select(vec![
        "0",
        "-0",
        "1800000600",
        "1800000000.5",
        "1.8e9",
        "1E5",
        "1e+5",
        "-1",
        "0.10",
        "123456789012345678901234567890",
        "1800000000000",
        "99999999999999999999",
        // The edges of the judge's integer reading: 18 digits, and 19.
        "999999999999999999",
        "1000000000000000000",
    ]);
    let leaf = prop_oneof![
        number.prop_map(str::to_string),
        prop::sample::select(vec![
            "\"https://auth.example.com\"",
            "\"4111 1111 1111 1111\"",
            "\"078-05-1120\"",
            "\"12345678901\"",
            "\"a b\"",
            "\"\"",
            "true",
            "false",
            "null",
            "[]",
            "{}",
            "[\"api\",\"web\"]",
            "\"esc\\\"aped\"",
            "\"caf\u{e9}\"",
        ])
        .prop_map(str::to_string),
    ];
    let value = leaf.prop_recursive(3, 24, 4, move |inner| {
        prop::collection::vec(
            (prop::sample::select(vec!["a", "password", "b", "a"]), inner),
            0..4,
        )
        .prop_map(|kv| {
            let body: Vec<String> = kv.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
            format!("{{{}}}", body.join(","))
        })
    });
    prop::collection::vec((name, value), 0..10).prop_map(|kv| {
        let body: Vec<String> = kv.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
        format!("{{{}}}", body.join(","))
    })
}

/// Whether every string of `v` (keys too) is printable ASCII without `"` or `\\`, and every
/// number is written without an exponent.
fn plain_tree(v: &Value) -> bool {
    let plain = |s: &str| {
        s.bytes()
            .all(|b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\')
    };
    match v {
        Value::Object(m) => m.iter().all(|(k, v)| plain(k) && plain_tree(v)),
        Value::Array(a) => a.iter().all(plain_tree),
        Value::String(s) => plain(s),
        Value::Number(n) => !n.to_string().contains(['e', 'E']),
        Value::Bool(_) | Value::Null => true,
    }
}

/// `s` with its ANSI color sequences taken out.
fn uncolored(s: &str) -> String {
    let mut plain = String::new();
    let mut rest = s;
    while let Some(at) = rest.find('\u{1b}') {
        plain.push_str(&rest[..at]);
        let after = &rest[at..];
        rest = &after[after.find('m').map_or(after.len(), |m| m + 1)..];
    }
    plain.push_str(rest);
    plain
}

/// The events of `line` (one line, its end last) cut into pieces by a [`Cutter`] asking for
/// `want` bytes and `most` tokens a piece, given `step` bytes more each time it needs more, each
/// piece scanned on its own from the state the cutter gave for its start; after `stop` pieces
/// the cutter declines and the rest of the line is scanned as a stream from where they ended.
fn scan_in_pieces(line: &[u8], max: usize, [want, most, step, stop]: [usize; 4]) -> Vec<Event> {
    let mut cutter = Cutter::new(max);
    let (mut at, mut events) = (0, Vec::new());
    let scan_from = |bytes: &[u8], within: &Within, events: &mut Vec<Event>| {
        let mut s = Scanner::resume(bytes, "stdin", max, 1, false).within(Some(within));
        while let Some(e) = s.next_event().unwrap() {
            events.push(e);
        }
    };
    for _ in 0..stop {
        if at == line.len() {
            return events;
        }
        let mut end = (at + step).min(line.len());
        let cut = loop {
            if let Some((cut, _)) = cutter.cut(&line[at..end], want, most) {
                break cut;
            }
            assert!(end < line.len(), "the line's end is a cut");
            end = (end + step).min(line.len());
        };
        scan_from(&line[at..at + cut], &cutter.piece_start(), &mut events);
        at += cut;
    }
    scan_from(&line[at..], &cutter.into_start(), &mut events);
    events
}

/// Pieces of a line: JSON, parameters, headers' words, runs of every size, stray bytes.
fn line_parts() -> impl Strategy<Value = String> {
    let part = prop_oneof![
        Just("eyJhbGciOiJIUzI1NiJ9".to_string()),
        Just("eyJzdWIiOiIxIn0".to_string()),
        Just(".".to_string()),
        Just("c2ln".to_string()),
        Just(" ".to_string()),
        Just("\"".to_string()),
        Just(":".to_string()),
        Just("=".to_string()),
        Just("&".to_string()),
        Just("{\"access_token\":\"".to_string()),
        Just("Bearer ".to_string()),
        Just("Cookie: ".to_string()),
        Just(", ".to_string()),
        Just("\u{e9}\r\t".to_string()),
        "[A-Za-z0-9_-]{1,40}",
        "[A-Za-z0-9_.-]{200,700}",
        " {1,300}",
    ];
    prop::collection::vec(part, 0..200).prop_map(|parts| parts.concat() + "\n")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// A line cut into pieces scans as the whole line, wherever the pieces end, however the
    /// bytes come, and when the cutting stops and the rest is scanned as a stream.
    #[test]
    fn a_line_in_pieces_scans_as_the_whole_line(
        line in line_parts(),
        max in prop_oneof![Just(60usize), Just(300), Just(DEFAULT_MAX_TOKEN)],
        want in 1usize..3000,
        most in 1usize..40,
        step in 1usize..900,
        stop in prop_oneof![Just(usize::MAX), 0usize..12],
    ) {
        let line = line.as_bytes();
        let whole = unplaced(scan(line, max));
        prop_assert_eq!(unplaced(scan_in_pieces(line, max, [want, most, step, stop])), whole);
    }

    #[test]
    fn arbitrary_bytes_never_panic_the_scanner_or_parser(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        for event in scan(&bytes, 512) {
            if let Event::Token { text, .. } = event {
                let _ = jwtctl::token::parse(&text);
            }
        }
        let _ = jwtctl::token::parse(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn arbitrary_segments_never_panic_the_parser(segs in prop::collection::vec("[A-Za-z0-9_=+/-]{0,40}", 0..7)) {
        let raw = segs.join(".");
        let _ = jwtctl::token::parse(&raw);
    }

    #[test]
    fn arbitrary_claims_never_panic_the_judge(c in claims(), now in any::<i64>(), leeway in 0i64..i64::MAX) {
        let j = jwtctl::claims::judge(&c, now, leeway);
        prop_assert!(!j.status.as_str().is_empty());
        for w in &j.warnings {
            prop_assert!(!w.message.is_empty());
        }
    }

    /// The text view lays out a payload from its compact text exactly as from its tree, and
    /// does so for every payload of printable ASCII without escapes or exponents.
    #[test]
    fn a_payload_is_laid_out_from_its_text_as_from_its_tree(c in claims()) {
        let tree = Value::Object(c);
        let text = serde_json::to_string(&tree).unwrap();
        let mut laid = String::new();
        let written = jwtctl::render::text::pretty_written(&mut laid, &text);
        prop_assert_eq!(written, plain_tree(&tree), "{}", text);
        if written {
            let mut want = String::new();
            jwtctl::render::text::pretty(&mut want, &tree, 1);
            prop_assert_eq!(laid, uncolored(&want));
        }
    }

    #[test]
    fn payloads_survive_byte_exact(c in claims()) {
        let payload = serde_json::to_string(&Value::Object(c)).unwrap();
        let raw = format!("{}.{}.c2ln", URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256"}"#), URL_SAFE_NO_PAD.encode(&payload));
        let t = jwtctl::token::parse(&raw).unwrap();
        let back = serde_json::to_string(t.claims().unwrap()).unwrap();
        prop_assert_eq!(back, payload);
    }

    /// What the scanner finds does not depend on how its input comes in pieces (it feeds a long
    /// read a piece at a time, cutting lines and tokens).
    #[test]
    fn the_scanner_finds_the_same_whatever_the_pieces(
        parts in prop::collection::vec(prop_oneof![
            Just("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln".to_string()),
            Just("eyJhbGciOiJub25lIn0.e30.".to_string()),
            Just("Authorization: Bearer ".to_string()),
            Just("{\"id_token\":\"".to_string()),
            Just("Date: Fri, 15 Jan 2027 08:02:00 GMT".to_string()),
            Just("HTTP/1.1 200 OK".to_string()),
            "[ \n\t\"'=:;,.a-zA-Z0-9_-]{1,40}",
        ], 1..60),
        sizes in prop::collection::vec(1usize..300, 1..8),
        max in prop_oneof![Just(DEFAULT_MAX_TOKEN), 20usize..60],
    ) {
        let text = parts.concat();
        let whole = scan(text.as_bytes(), max);
        let mut s = Scanner::new(Pieces { rest: text.as_bytes(), sizes, next: 0 }, "stdin", true, max);
        let mut pieced = Vec::new();
        while let Some(e) = s.next_event().unwrap() {
            pieced.push(e);
        }
        prop_assert_eq!(unplaced(pieced), unplaced(whole));
    }

    #[test]
    fn the_scanner_finds_every_embedded_token(
        fillers in prop::collection::vec("[ \n\t\"'=:;,{}()<>&?#%!]{1,3}[a-z ]{0,12}[ \n\"',;]{1,2}", 1..6),
        payloads in prop::collection::vec(claims(), 1..5),
    ) {
        let tokens: Vec<String> = payloads
            .iter()
            .map(|c| format!(
                "{}.{}.c2ln",
                URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256","typ":"JWT"}"#),
                URL_SAFE_NO_PAD.encode(serde_json::to_string(c).unwrap())
            ))
            .collect();
        let mut text = String::new();
        for (i, t) in tokens.iter().enumerate() {
            text.push_str(&fillers[i % fillers.len()]);
            text.push_str(t);
        }
        text.push_str(&fillers[0]);
        let found: Vec<String> = scan(text.as_bytes(), DEFAULT_MAX_TOKEN)
            .into_iter()
            .filter_map(|e| match e { Event::Token { text, .. } => Some(text), _ => None })
            .collect();
        prop_assert_eq!(found, tokens);
    }

    #[test]
    fn json_lines_are_what_serde_json_writes(
        c in claims(),
        extra in json_value(),
        name in "\\PC{0,12}|.{0,12}",
        garbage in "[A-Za-z0-9._!-]{0,30}",
        now in 1_000_000_000i64..2_000_000_000,
    ) {
        use jwtctl::commands::{Clock, inspect};
        use jwtctl::render::Render;
        use jwtctl::render::json::{JsonLines, View};
        use serde::Serialize;
        // The header's alg and kid are written once per header: any text, escaped alike.
        let alg = if name.len() % 3 == 0 { name.as_str() } else { "HS256" };
        let header = serde_json::json!({"alg": alg, "typ": "JWT", "kid": name, "x": extra});
        let raw = format!(
            "{}.{}.c2ln",
            URL_SAFE_NO_PAD.encode(serde_json::to_string(&header).unwrap()),
            URL_SAFE_NO_PAD.encode(serde_json::to_string(&Value::Object(c)).unwrap())
        );
        for text in [raw.as_str(), garbage.as_str()] {
            let source = jwtctl::input::Source {
                input: jwtctl::input::intern(&name),
                line: Some(3),
                // Without a header, a printable name takes the writer's direct path.
                header: (name.len() % 2 == 0).then(|| "Authorization".into()),
                key: None,
            };
            let mut r = inspect(text.to_string(), source, Clock { now, leeway: 0 });
            r.reasons.push(format!("a reason about {name}"));
            r.index = 7 + name.len() * 991;
            let mut fast = Vec::new();
            JsonLines.render(&r, &mut fast);
            let mut slow = Vec::new();
            let mut ser = serde_json::Serializer::with_formatter(&mut slow, jwtctl::escape::SafeJson);
            View(&r).serialize(&mut ser).unwrap();
            slow.push(b'\n');
            // Rendered before its index is known, with the index written in afterwards.
            let mut late = Vec::new();
            let hole = JsonLines.render_unnumbered(&r, &mut late).unwrap();
            let mut numbered = late[..hole].to_vec();
            numbered.extend_from_slice(r.index.to_string().as_bytes());
            numbered.extend_from_slice(&late[hole..]);
            prop_assert_eq!(&numbered, &fast);
            prop_assert_eq!(String::from_utf8(fast).unwrap(), String::from_utf8(slow).unwrap());
        }
    }

    #[test]
    fn plain_claims_read_as_the_tree_reads_them(
        payload in plain_claims(),
        now in 1_799_000_000i64..1_801_000_000,
        leeway in 0i64..600,
    ) {
        use jwtctl::commands::{Clock, inspect};
        use jwtctl::render::Render;
        use jwtctl::render::json::JsonLines;
        let token = |p: &str| format!(
            "{}.{}.c2ln",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256","typ":"JWT"}"#),
            URL_SAFE_NO_PAD.encode(p)
        );
        // The same claims with a space after the brace are never plain: the tree path.
        let spaced = format!("{{ {}", &payload[1..]);
        let (fast, slow) = (token(&payload), token(&spaced));
        let source = || jwtctl::input::Source { input: "t", line: None, header: None, key: None };
        let a = inspect(fast.clone(), source(), Clock { now, leeway });
        let b = inspect(slow.clone(), source(), Clock { now, leeway });
        let (ta, tb) = (a.token.as_ref().unwrap(), b.token.as_ref().unwrap());
        prop_assert_eq!(ta.claims(), tb.claims());
        let (ca, cb) = (ta.claim_set().unwrap(), tb.claim_set().unwrap());
        for name in ["iss", "sub", "aud", "exp", "nbf", "iat", "auth_time", "password", "nested", "x"] {
            prop_assert_eq!(ca.get_str(name), cb.get_str(name));
            prop_assert_eq!(ca.get(name).map(|v| v.into_owned()), cb.get(name).map(|v| v.into_owned()));
            prop_assert_eq!(ca.contains(name), cb.contains(name));
        }
        prop_assert_eq!(
            format!("{:?}", jwtctl::lint::lint_but_secret(ta)),
            format!("{:?}", jwtctl::lint::lint_but_secret(tb))
        );
        let (mut ja, mut jb) = (Vec::new(), Vec::new());
        JsonLines.render(&a, &mut ja);
        JsonLines.render(&b, &mut jb);
        prop_assert_eq!(String::from_utf8(ja).unwrap(), String::from_utf8(jb).unwrap());
        // The same text as a header: written as it is, or from the map, alike.
        let header = |h: &str| format!(
            "{}.{}.c2ln",
            URL_SAFE_NO_PAD.encode(h),
            URL_SAFE_NO_PAD.encode(r#"{"exp":1800000600}"#)
        );
        let c = inspect(header(&payload), source(), Clock { now, leeway });
        let d = inspect(header(&spaced), source(), Clock { now, leeway });
        let (mut jc, mut jd) = (Vec::new(), Vec::new());
        JsonLines.render(&c, &mut jc);
        JsonLines.render(&d, &mut jd);
        prop_assert_eq!(String::from_utf8(jc).unwrap(), String::from_utf8(jd).unwrap());
    }

    #[test]
    fn terminal_escaping_leaves_nothing_unsafe(s in any::<String>()) {
        let t = jwtctl::escape::text(&s);
        prop_assert!(!t.chars().any(jwtctl::escape::is_unsafe));
        let j = jwtctl::escape::json_string(&s);
        prop_assert!(!j.chars().any(jwtctl::escape::is_unsafe));
        let back: String = serde_json::from_str(&j).unwrap();
        prop_assert_eq!(back, s);
    }
}

#[test]
fn key_loaders_never_panic_on_garbage() {
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::new(ProptestConfig::with_cases(256));
    runner
        .run(&prop::collection::vec(any::<u8>(), 0..600), |bytes| {
            let _ = jwtctl::keys::parse_key_bytes(&bytes, "fuzz");
            let mut pem = b"-----BEGIN PUBLIC KEY-----\n".to_vec();
            pem.extend(
                base64::engine::general_purpose::STANDARD
                    .encode(&bytes)
                    .into_bytes(),
            );
            pem.extend(b"\n-----END PUBLIC KEY-----\n");
            let _ = jwtctl::keys::parse_key_bytes(&pem, "fuzz");
            Ok(())
        })
        .unwrap();
    runner
        .run(&json_value(), |v| {
            let _ = jwtctl::keys::parse_key_bytes(v.to_string().as_bytes(), "fuzz");
            let set = serde_json::json!({"keys": [v.clone(), {"kty": "EC", "crv": "P-256", "x": v, "y": "AA"}]});
            let _ = jwtctl::keys::parse_key_bytes(set.to_string().as_bytes(), "fuzz");
            Ok(())
        })
        .unwrap();
}
