//! `--json`: one JSON object per token per line, every field of the contract.

use super::Render;
use crate::claims::{Status, TimeClaim, Warning};
use crate::escape::SafeJson;
use crate::report::Report;
use crate::token::{Kind, Payload};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

/// The JSON Lines view.
pub struct JsonLines;

/// The report as the contract's JSON object through serde: the reference that
/// [`write_report`], which the command uses, is held byte-equal to (tests/properties.rs). Any
/// field added to one must be added to the other.
pub struct View<'a>(pub &'a Report);

impl Serialize for View<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let r = self.0;
        let token = r.token.as_ref();
        let payload = match token.map(|t| &t.payload) {
            Some(Payload::Claims(c)) => Some(c.map()),
            _ => None,
        };
        let mut m = s.serialize_map(Some(16))?;
        m.serialize_entry("source", &r.source.to_string())?;
        m.serialize_entry("index", &r.index)?;
        m.serialize_entry("kind", &token.map(|t| t.kind.as_str()))?;
        m.serialize_entry("header", &token.map(|t| t.header.map()))?;
        m.serialize_entry("payload", &payload)?;
        m.serialize_entry("signature", &SignatureView(r))?;
        m.serialize_entry(
            "times",
            &TimesView(r.judgement.as_ref().map_or(&[], |j| &j.times[..])),
        )?;
        m.serialize_entry("status", r.status.as_str())?;
        m.serialize_entry("error", &r.error)?;
        m.serialize_entry("reasons", &r.reasons)?;
        m.serialize_entry("expires_in_seconds", &r.expires_in())?;
        m.serialize_entry("lifetime_seconds", &r.lifetime())?;
        m.serialize_entry("warnings", &WarningsView(&r.warnings))?;
        m.serialize_entry("exit_code", &r.exit.code())?;
        m.end()
    }
}

struct SignatureView<'a>(&'a Report);

impl Serialize for SignatureView<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let g = &self.0.signature;
        let mut m = s.serialize_map(Some(5))?;
        m.serialize_entry("alg", &self.0.alg())?;
        m.serialize_entry("verified", &g.verified)?;
        m.serialize_entry("kid", &self.0.kid())?;
        m.serialize_entry("key", &g.key.map(|k| &*k.text))?;
        m.serialize_entry("error", &g.error)?;
        m.end()
    }
}

struct TimesView<'a>(&'a [TimeClaim]);

impl Serialize for TimesView<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for t in self.0 {
            m.serialize_entry(t.name, &TimeView(t))?;
        }
        m.end()
    }
}

struct TimeView<'a>(&'a TimeClaim);

impl Serialize for TimeView<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let t = self.0;
        let mut m = s.serialize_map(Some(3))?;
        m.serialize_entry("unix", &t.unix)?;
        m.serialize_entry("utc", &t.utc())?;
        m.serialize_entry("relative_seconds", &t.relative)?;
        m.end()
    }
}

struct WarningsView<'a>(&'a [Warning]);

impl Serialize for WarningsView<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for w in self.0 {
            seq.serialize_element(&WarningView(w))?;
        }
        seq.end()
    }
}

struct WarningView<'a>(&'a Warning);

impl Serialize for WarningView<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry("code", self.0.code)?;
        m.serialize_entry("message", &self.0.message)?;
        m.end()
    }
}

impl Render for JsonLines {
    fn render(&self, report: &Report, out: &mut Vec<u8>) {
        write_report(report, out);
        out.push(b'\n');
    }

    fn render_unnumbered(&self, report: &Report, out: &mut Vec<u8>) -> Option<usize> {
        let start = out.len();
        let at = write_parts(report, out, None);
        out.push(b'\n');
        at.map(|at| at - start)
    }
}

/// The bytes of [`View`] serialized by serde_json with [`SafeJson`] (a property test holds them
/// equal), written directly: most strings in a report are plain ASCII and are copied whole
/// instead of being escaped byte by byte.
pub fn write_report(r: &Report, out: &mut Vec<u8>) {
    write_parts(r, out, Some(r.index));
}

/// [`write_report`] with the index given, or left out: then where its digits belong.
fn write_parts(r: &Report, out: &mut Vec<u8>, index: Option<usize>) -> Option<usize> {
    let token = r.token.as_ref();
    let payload = match token.map(|t| &t.payload) {
        Some(Payload::Claims(c)) => Some(c),
        _ => None,
    };
    out.extend_from_slice(b"{\"source\":");
    source(&r.source, out);
    out.extend_from_slice(b",\"index\":");
    let hole = match index {
        Some(i) => {
            int(i, out);
            None
        }
        None => Some(out.len()),
    };
    kind_and_header(token.map(|t| t.kind), out);
    match token {
        Some(t) => match t.header.as_written() {
            Some(text) => out.extend_from_slice(text.as_bytes()),
            None => object(t.header.map(), out),
        },
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"payload\":");
    match payload {
        Some(c) => match c.as_written() {
            Some(text) => out.extend_from_slice(text.as_bytes()),
            None => object(c.map(), out),
        },
        None => out.extend_from_slice(b"null"),
    }
    let g = &r.signature;
    // A header's alg and kid are written once, for every token that shares the header.
    let json = |s: Option<&str>| {
        let mut v = Vec::new();
        opt_string(s, &mut v);
        v.into_boxed_slice()
    };
    let (alg, kid): (&[u8], &[u8]) = match token {
        Some(t) => {
            let [alg, kid] = t.header.json_alg_kid(|| [json(t.alg()), json(t.kid())]);
            (alg, kid)
        }
        None => (b"null", b"null"),
    };
    out.extend_from_slice(b",\"signature\":{\"alg\":");
    out.extend_from_slice(alg);
    // (Each a copy of a fixed size: see `kind_and_header`.)
    match g.verified {
        Some(true) => out.extend_from_slice(b",\"verified\":true,\"kid\":"),
        Some(false) => out.extend_from_slice(b",\"verified\":false,\"kid\":"),
        None => out.extend_from_slice(b",\"verified\":null,\"kid\":"),
    }
    out.extend_from_slice(kid);
    out.extend_from_slice(b",\"key\":");
    match g.key {
        // The same key for token after token: its JSON string is made once.
        Some(k) => out.extend_from_slice(k.json.get_or_init(|| {
            let mut json = Vec::new();
            string(&k.text, &mut json);
            json.into_boxed_slice()
        })),
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"error\":");
    opt_string(g.error.as_deref(), out);
    out.extend_from_slice(b"},\"times\":{");
    let times = r.judgement.as_ref().map_or(&[][..], |j| &j.times[..]);
    for (i, t) in times.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        time_name(t.name, out);
        int(t.unix, out);
        // The opening quote is taken back when the time has no UTC form. (The quotes go with
        // the names beside them: one copy each.)
        out.extend_from_slice(b",\"utc\":\"");
        if crate::time::push_utc(t.unix, out) {
            out.extend_from_slice(b"\",\"relative_seconds\":");
        } else {
            out.pop();
            out.extend_from_slice(b"null,\"relative_seconds\":");
        }
        int(t.relative, out);
        out.push(b'}');
    }
    status_and_error(r.status, out);
    opt_string(r.error.as_deref(), out);
    out.extend_from_slice(b",\"reasons\":[");
    for (i, reason) in r.reasons.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        string(reason, out);
    }
    out.extend_from_slice(b"],\"expires_in_seconds\":");
    opt_int(r.expires_in(), out);
    out.extend_from_slice(b",\"lifetime_seconds\":");
    opt_int(r.lifetime(), out);
    out.extend_from_slice(b",\"warnings\":[");
    for (i, w) in r.warnings.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"code\":");
        word(w.code, out);
        out.extend_from_slice(b",\"message\":");
        match w.plain_message() {
            Some(m) => {
                debug_assert!(crate::escape::json_plain(m.as_bytes()), "{m}");
                out.push(b'"');
                out.extend_from_slice(m.as_bytes());
                out.push(b'"');
            }
            None => string(&w.message, out),
        }
        out.push(b'}');
    }
    out.extend_from_slice(b"],\"exit_code\":");
    int(r.exit.code(), out);
    out.push(b'}');
    hole
}

// jwtctl's own names, each written with the punctuation around it in one copy of a fixed size
// (a copy of a length known only when it runs is a call to the C library's `memcpy`, one of the
// JSON line's larger costs): `,"kind":KIND,"header":`, `"NAME":{"unix":` for a time claim,
// `},"status":STATUS,"error":`. A test holds each to the name's own text.

/// `,"kind":KIND,"header":`.
fn kind_and_header(kind: Option<Kind>, out: &mut Vec<u8>) {
    match kind {
        Some(Kind::Jws) => out.extend_from_slice(b",\"kind\":\"jws\",\"header\":"),
        Some(Kind::Jwe) => out.extend_from_slice(b",\"kind\":\"jwe\",\"header\":"),
        Some(Kind::Unsecured) => out.extend_from_slice(b",\"kind\":\"unsecured\",\"header\":"),
        None => out.extend_from_slice(b",\"kind\":null,\"header\":"),
    }
}

/// `"NAME":{"unix":` for a time claim.
fn time_name(name: &'static str, out: &mut Vec<u8>) {
    match name.as_bytes() {
        b"iat" => out.extend_from_slice(b"\"iat\":{\"unix\":"),
        b"nbf" => out.extend_from_slice(b"\"nbf\":{\"unix\":"),
        b"exp" => out.extend_from_slice(b"\"exp\":{\"unix\":"),
        _ => {
            word(name, out);
            out.extend_from_slice(b":{\"unix\":");
        }
    }
}

/// `},"status":STATUS,"error":`.
fn status_and_error(status: Status, out: &mut Vec<u8>) {
    macro_rules! put {
        ($name:literal) => {
            out.extend_from_slice(concat!("},\"status\":\"", $name, "\",\"error\":").as_bytes())
        };
    }
    match status {
        Status::Valid => put!("valid"),
        Status::Expired => put!("expired"),
        Status::NotYetValid => put!("not_yet_valid"),
        Status::Expiring => put!("expiring"),
        Status::NoExp => put!("no_exp"),
        Status::Invalid => put!("invalid"),
        Status::Malformed => put!("malformed"),
        Status::Encrypted => put!("encrypted"),
    }
}

/// A JSON string. Printable ASCII without `"` or `\` is copied as it is; anything else goes
/// through serde_json and [`SafeJson`], which escape it exactly as the contract's JSON does.
fn string(s: &str, out: &mut Vec<u8>) {
    if crate::escape::json_plain(s.as_bytes()) {
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    } else {
        let mut ser = serde_json::Serializer::with_formatter(&mut *out, SafeJson);
        // Writing into memory cannot fail.
        let _ = s.serialize(&mut ser);
    }
}

/// One of jwtctl's own names (a kind, status, claim or warning code): plain ASCII, written
/// without a look at its bytes.
fn word(s: &'static str, out: &mut Vec<u8>) {
    debug_assert!(crate::escape::json_plain(s.as_bytes()));
    out.push(b'"');
    out.extend_from_slice(s.as_bytes());
    out.push(b'"');
}

/// A token's source as its `Display` says it, in a JSON string. Its parts written one by one
/// when each is printable ASCII without `"` or `\` (a path, a header name, a JSON key), without
/// building the text first (escaped for the terminal, then for JSON by serde_json for a JSON key's
/// quotes: a one-line JSON dump, ~2,700 instructions a token, 16% of `decode --json`).
fn source(s: &crate::input::Source, out: &mut Vec<u8>) {
    use crate::input::KeyKind;
    let plain = |t: &str| crate::escape::json_plain(t.as_bytes());
    if !(plain(s.input)
        && s.header.as_deref().is_none_or(plain)
        && s.key.as_ref().is_none_or(|(_, name)| plain(name)))
    {
        string(&s.to_string(), out);
        return;
    }
    out.push(b'"');
    out.extend_from_slice(s.input.as_bytes());
    if let Some(line) = s.line {
        out.extend_from_slice(b" line ");
        int(line, out);
    }
    if let Some(header) = &s.header {
        out.extend_from_slice(b", header ");
        out.extend_from_slice(header.as_bytes());
    }
    if let Some((kind, name)) = &s.key {
        out.extend_from_slice(match kind {
            KeyKind::Json => br#", JSON key \""#,
            KeyKind::Parameter => b", parameter ",
            KeyKind::Cookie => b", cookie ",
        });
        out.extend_from_slice(name.as_bytes());
        if *kind == KeyKind::Json {
            out.extend_from_slice(br#"\""#);
        }
    }
    out.push(b'"');
}

fn opt_string(s: Option<&str>, out: &mut Vec<u8>) {
    match s {
        Some(s) => string(s, out),
        None => out.extend_from_slice(b"null"),
    }
}

fn int(n: impl itoa::Integer, out: &mut Vec<u8>) {
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

fn opt_int(n: Option<i64>, out: &mut Vec<u8>) {
    match n {
        Some(n) => int(n, out),
        None => out.extend_from_slice(b"null"),
    }
}

fn object(map: &serde_json::Map<String, serde_json::Value>, out: &mut Vec<u8>) {
    out.push(b'{');
    for (i, (k, v)) in map.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        string(k, out);
        out.push(b':');
        value(v, out);
    }
    out.push(b'}');
}

/// A JSON value as serde_json writes it compactly; numbers keep the token's text.
fn value(v: &serde_json::Value, out: &mut Vec<u8>) {
    use serde_json::Value;
    match v {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => {
            use std::io::Write as _;
            // Writing into memory cannot fail.
            let _ = write!(out, "{n}");
        }
        Value::String(s) => string(s, out),
        Value::Array(a) => {
            out.push(b'[');
            for (i, item) in a.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                value(item, out);
            }
            out.push(b']');
        }
        Value::Object(m) => object(m, out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A source is written as its text in a JSON string, whatever its parts hold: plain ones
    /// written part by part, others (quotes, controls, non-ASCII) escaped as a whole.
    #[test]
    fn a_source_is_its_text_as_a_json_string() {
        use crate::input::{KeyKind, Source};
        let names = [
            "app.log",
            "argument 2",
            "id_token",
            "X-Token",
            "a\"b",
            "c\\d",
            "\u{1b}[31m",
            "é",
            "",
        ];
        let mut sources = Vec::new();
        for input in ["app.log", "a \"b\".log", "\u{202e}x"] {
            for line in [None, Some(1), Some(18_446_744_073_709_551_615)] {
                for header in [None].into_iter().chain(names.map(Some)) {
                    for key in [KeyKind::Json, KeyKind::Parameter, KeyKind::Cookie] {
                        for name in [None].into_iter().chain(names.map(Some)) {
                            sources.push(Source {
                                input,
                                line,
                                header: header.map(str::to_string),
                                key: name.map(|n| (key, n.to_string())),
                            });
                        }
                    }
                }
            }
        }
        for s in sources {
            let mut out = Vec::new();
            source(&s, &mut out);
            let mut whole = Vec::new();
            string(&s.to_string(), &mut whole);
            assert_eq!(
                String::from_utf8(out).unwrap(),
                String::from_utf8(whole).unwrap(),
                "{s:?}"
            );
        }
    }

    /// The names written with their punctuation are the names' own text, for every value.
    #[test]
    fn fixed_names_are_the_names() {
        let written = |f: &dyn Fn(&mut Vec<u8>)| {
            let mut out = Vec::new();
            f(&mut out);
            String::from_utf8(out).unwrap()
        };
        for kind in [Kind::Jws, Kind::Jwe, Kind::Unsecured] {
            assert_eq!(
                written(&|o| kind_and_header(Some(kind), o)),
                format!(r#","kind":"{}","header":"#, kind.as_str())
            );
        }
        assert_eq!(
            written(&|o| kind_and_header(None, o)),
            r#","kind":null,"header":"#
        );
        for name in crate::claims::TIME_CLAIMS {
            assert_eq!(
                written(&|o| time_name(name, o)),
                format!(r#""{name}":{{"unix":"#)
            );
        }
        for status in [
            Status::Valid,
            Status::Expired,
            Status::NotYetValid,
            Status::Expiring,
            Status::NoExp,
            Status::Invalid,
            Status::Malformed,
            Status::Encrypted,
        ] {
            assert_eq!(
                written(&|o| status_and_error(status, o)),
                format!(r#"}},"status":"{}","error":"#, status.as_str())
            );
        }
    }
}
