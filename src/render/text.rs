//! Text for people: the full view (decode, verify) and the one-line view (check-expiry).
//! Every string that came from a token or an input passes through `escape` first.

use super::Render;
use crate::claims::{Status, TimeClaim};
use crate::escape;
use crate::report::Report;
use crate::time::{display, duration_words, relative_words};
use crate::token::{Kind, Payload};
use colored::Colorize;
use serde_json::Value;
use std::fmt::Write as _;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// Header, payload, times, status, warnings, signature.
    Full,
    /// One line per token: status, time left, absolute time, reason.
    Line,
    /// Nothing at all: the exit code speaks.
    Quiet,
}

/// The text view.
pub struct Text {
    layout: Layout,
    local: bool,
    now: i64,
}

impl Text {
    pub fn new(layout: Layout, local: bool, now: i64) -> Self {
        Text { layout, local, now }
    }
}

impl Render for Text {
    fn render(&self, r: &Report, out: &mut Vec<u8>) {
        self.render_at(r, Some(r.index), out);
    }

    fn render_unnumbered(&self, r: &Report, out: &mut Vec<u8>) -> Option<usize> {
        self.render_at(r, None, out)
    }

    fn separator(&self) -> &'static [u8] {
        // Only the full layout shows the index, with a blank line before all but the first.
        match self.layout {
            Layout::Full => b"\n",
            Layout::Line | Layout::Quiet => b"",
        }
    }

    fn speaks(&self) -> bool {
        self.layout != Layout::Quiet
    }
}

impl Text {
    /// A report numbered `index`, or left for its writer to number: then where, in what was
    /// added to `out`, the index's digits belong.
    fn render_at(&self, r: &Report, index: Option<usize>, out: &mut Vec<u8>) -> Option<usize> {
        let mut text = String::with_capacity(1024);
        let hole = match self.layout {
            Layout::Quiet => return None,
            Layout::Full => full(&mut text, r, index, self.local, self.now),
            Layout::Line => {
                line(&mut text, r, self.local);
                None
            }
        };
        out.extend_from_slice(text.as_bytes());
        hole
    }
}

fn status_word(s: Status) -> colored::ColoredString {
    paint(s, s.as_str())
}

fn paint(s: Status, w: &str) -> colored::ColoredString {
    match s {
        Status::Valid => w.green().bold(),
        Status::Expiring | Status::NoExp | Status::NotYetValid | Status::Encrypted => {
            w.yellow().bold()
        }
        Status::Expired | Status::Invalid | Status::Malformed => w.red().bold(),
    }
}

/// The status in one line of words.
fn verdict(r: &Report, local: bool) -> String {
    let exp = r.judgement.as_ref().and_then(|j| j.time("exp"));
    let when = |t: &TimeClaim| display(t.unix, local).unwrap_or_else(|| t.unix.to_string());
    let detail = match r.status {
        Status::Valid | Status::Expiring => match exp {
            Some(e) => format!("expires {} ({})", relative_words(e.relative), when(e)),
            None => String::new(),
        },
        Status::Expired => match exp {
            Some(e) => format!("{} ({})", relative_words(e.relative), when(e)),
            None => String::new(),
        },
        Status::NotYetValid => {
            let j = r.judgement.as_ref();
            let later = ["nbf", "iat"]
                .iter()
                .filter_map(|n| j.and_then(|j| j.time(n)))
                .max_by_key(|t| t.unix);
            match later {
                Some(t) => format!("{} is {}", t.name, relative_words(t.relative)),
                None => String::new(),
            }
        }
        Status::NoExp => "no exp claim: it never expires".into(),
        Status::Encrypted => "a JWE: its claims are encrypted".into(),
        Status::Invalid | Status::Malformed => r.error.clone().unwrap_or_default(),
    };
    if detail.is_empty() {
        status_word(r.status).to_string()
    } else if r.status == Status::Expired {
        format!("{} {}", status_word(r.status), escape::text(&detail))
    } else {
        format!("{}, {}", status_word(r.status), escape::text(&detail))
    }
}

/// Whether text is colored (`--color`, or a terminal): uncolored, the view writes its plain
/// parts directly, without the color formatter's strings.
fn colors() -> bool {
    colored::control::SHOULD_COLORIZE.should_colorize()
}

fn heading(out: &mut String, name: &str) {
    if colors() {
        let _ = writeln!(out, "{}", name.bold());
    } else {
        out.push_str(name);
        out.push('\n');
    }
}

fn field(out: &mut String, name: &str, value: &str) {
    if colors() {
        let _ = writeln!(out, "{}{value}", format!("{name:<12}").bold());
    } else {
        // What the formatter writes: the name padded to 12 characters.
        let _ = write!(out, "{name:<12}");
        out.push_str(value);
        out.push('\n');
    }
}

/// The full view of `r`, numbered `index`, or else without it (and with the blank line before
/// it, which its writer leaves out for the first): then where its digits belong in `out`.
fn full(
    out: &mut String,
    r: &Report,
    index: Option<usize>,
    local: bool,
    now: i64,
) -> Option<usize> {
    if index.is_none_or(|i| i > 1) {
        out.push('\n');
    }
    let colors = colors();
    // The title is styled as a whole, its number with it: the number goes where the mark is.
    let title = if colors {
        "Token #".bold().underline().to_string()
    } else {
        String::new()
    };
    // (Uncolored, there is no title to split: `Token ` and nothing after the number.)
    let (before, after) = title.split_once('#').unwrap_or(("Token ", ""));
    out.push_str(before);
    let hole = match index {
        Some(i) => {
            let _ = write!(out, "{i}");
            None
        }
        None => Some(out.len()),
    };
    if colors {
        let _ = writeln!(out, "{after} {}", format!("({})", r.source).dimmed());
    } else {
        let _ = writeln!(out, "{after} ({})", r.source);
    }
    if let Some(t) = &r.token {
        let kind = match t.kind {
            Kind::Jws => "JWS (signed)",
            Kind::Jwe => "JWE (encrypted)",
            Kind::Unsecured => "unsecured JWS (alg none)",
        };
        field(out, "Kind", kind);
        // Uncolored, a header or payload whose text is plain JSON is laid out from its bytes
        // (see `pretty_written`), without a tree made and copied for it.
        heading(out, "Header");
        if colors
            || !t
                .header
                .as_written()
                .is_some_and(|w| pretty_written(out, w))
        {
            pretty(out, &Value::Object(t.header.map().clone()), 1);
        }
        out.push('\n');
        match &t.payload {
            Payload::Claims(c) => {
                heading(out, "Payload");
                if colors || !c.as_written().is_some_and(|w| pretty_written(out, w)) {
                    pretty(out, &Value::Object(c.map().clone()), 1);
                }
                out.push('\n');
            }
            Payload::NotClaims(_) => field(out, "Payload", "not a JSON object (see status)"),
            Payload::Encrypted => field(out, "Payload", "encrypted, not decrypted"),
        }
    }
    if let Some(j) = &r.judgement
        && !j.times.is_empty()
    {
        heading(out, "Times");
        for t in j.times.iter() {
            let abs = display(t.unix, local).unwrap_or_else(|| format!("{} (beyond 9999)", t.unix));
            let _ = write!(out, "  {:<10}{abs}  ", t.name);
            if colors {
                let _ = write!(out, "{}", relative_words(t.relative).dimmed());
            } else {
                out.push_str(&relative_words(t.relative));
            }
            out.push('\n');
        }
        if let (Some(life), Some(iat)) = (j.lifetime, j.time("iat"))
            && life > 0
        {
            let used = (now.saturating_sub(iat.unix)) as f64 / life as f64;
            let used = used.clamp(0.0, 1.0);
            let filled = (used * 10.0).round() as usize;
            let bar = format!("[{}{}]", "#".repeat(filled), "-".repeat(10 - filled));
            let _ = writeln!(
                out,
                "  {:<10}{} (exp - iat), {:.0}% used {bar}",
                "lifetime",
                duration_words(life),
                used * 100.0
            );
        }
    }
    field(out, "Status", &verdict(r, local));
    for reason in &r.reasons {
        let _ = writeln!(out, "{:<12}{}", "", escape::text(reason));
    }
    if !r.warnings.is_empty() {
        heading(out, "Warnings");
        for w in &r.warnings {
            let _ = writeln!(
                out,
                "  {} {}",
                format!("{}:", w.code).yellow().bold(),
                escape::text(&w.message)
            );
        }
    }
    if r.token.is_some() {
        let s = &r.signature;
        let line = match s.verified {
            None => match &s.error {
                Some(e) => format!("not checked: {}", escape::text(e)),
                None => {
                    "not checked (decode never verifies; use `jwtctl verify` with a key)".into()
                }
            },
            Some(true) => format!(
                "{} with {}",
                "verified".green().bold(),
                escape::text(s.key.map_or("the key", |k| &k.text))
            ),
            Some(false) => format!(
                "{}: {}",
                "NOT verified".red().bold(),
                escape::text(s.error.as_deref().unwrap_or("bad signature"))
            ),
        };
        field(out, "Signature", &line);
    }
    hole
}

fn line(out: &mut String, r: &Report, local: bool) {
    let exp = r.judgement.as_ref().and_then(|j| j.time("exp"));
    let (rel, abs) = match exp {
        Some(e) => (
            relative_words(e.relative),
            display(e.unix, local).unwrap_or_else(|| e.unix.to_string()),
        ),
        None => ("-".to_string(), "-".to_string()),
    };
    let word = paint(r.status, &format!("{:<13}", r.status.as_str()));
    let _ = write!(out, "{word} {rel:<12} {abs:<20}  {}", r.source);
    let why = r.error.iter().chain(r.reasons.iter());
    for (i, reason) in why.enumerate() {
        let sep = if i == 0 { "  " } else { "; " };
        let _ = write!(out, "{sep}{}", escape::text(reason));
    }
    out.push('\n');
}

/// [`pretty`] of an object at depth 1, uncolored, laid out from its compact text: what
/// `pretty` writes for the tree the text parses to, for a text the tree writes back exactly
/// (an `as_written` text: no key twice) of printable ASCII without whitespace, whose strings
/// have no escape and whose numbers no exponent (serde_json keeps a number's digits as written,
/// and such a string is written back as it is). Anything else, or
/// nesting deeper than [`WRITTEN_DEPTH`], leaves `out` as it was and gives false: the caller
/// lays out the tree.
pub fn pretty_written(out: &mut String, text: &str) -> bool {
    let start = out.len();
    let mut w = Written { text, i: 0 };
    out.push_str("  ");
    let whole = text.starts_with('{') && w.value(out, 1) && w.i == text.len();
    if !whole {
        out.truncate(start);
    }
    whole
}

/// Objects and arrays nested deeper than this are laid out from the tree.
const WRITTEN_DEPTH: usize = 64;

/// A compact JSON text being laid out by [`pretty_written`], read up to `i`.
struct Written<'a> {
    text: &'a str,
    i: usize,
}

impl Written<'_> {
    fn at(&self) -> Option<u8> {
        self.text.as_bytes().get(self.i).copied()
    }

    fn value(&mut self, out: &mut String, depth: usize) -> bool {
        match self.at() {
            Some(b'{') => self.container(out, depth, b'}'),
            Some(b'[') => self.container(out, depth, b']'),
            Some(b'"') => self.string(out),
            Some(_) => self.scalar(out),
            None => false,
        }
    }

    /// An object (`close` `}`: its keys written before their values) or an array.
    fn container(&mut self, out: &mut String, depth: usize, close: u8) -> bool {
        if depth > WRITTEN_DEPTH {
            return false;
        }
        let object = close == b'}';
        self.i += 1;
        if self.at() == Some(close) {
            self.i += 1;
            out.push_str(if object { "{}" } else { "[]" });
            return true;
        }
        out.push_str(if object { "{\n" } else { "[\n" });
        loop {
            for _ in 0..=depth {
                out.push_str("  ");
            }
            if object {
                if !self.string(out) || self.at() != Some(b':') {
                    return false;
                }
                self.i += 1;
                out.push_str(": ");
            }
            if !self.value(out, depth + 1) {
                return false;
            }
            match self.at() {
                Some(b',') => {
                    self.i += 1;
                    out.push_str(",\n");
                }
                Some(c) if c == close => {
                    self.i += 1;
                    out.push('\n');
                    for _ in 0..depth {
                        out.push_str("  ");
                    }
                    out.push(char::from(close));
                    return true;
                }
                _ => return false,
            }
        }
    }

    /// A string of printable ASCII without `"` or `\\`, quotes and all.
    fn string(&mut self, out: &mut String) -> bool {
        let rest = &self.text.as_bytes()[self.i..];
        if rest.first() != Some(&b'"') {
            return false;
        }
        let len = escape::first_special(&rest[1..]);
        if rest.get(1 + len) != Some(&b'"') {
            return false;
        }
        out.push_str(&self.text[self.i..self.i + len + 2]);
        self.i += len + 2;
        true
    }

    /// true, false, null, or a number without an exponent (-, digits, a fraction).
    fn scalar(&mut self, out: &mut String) -> bool {
        let rest = &self.text[self.i..];
        let len = rest
            .bytes()
            .position(|c| matches!(c, b',' | b']' | b'}'))
            .unwrap_or(rest.len());
        let word = &rest[..len];
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit());
        let number = |s: &str| {
            let s = s.strip_prefix('-').unwrap_or(s);
            let (whole, fraction) = s.split_once('.').unwrap_or((s, "0"));
            digits(whole) && digits(fraction) && (whole == "0" || !whole.starts_with('0'))
        };
        if !matches!(word, "true" | "false" | "null") && !number(word) {
            return false;
        }
        out.push_str(word);
        self.i += len;
        true
    }
}

/// Pretty, colored JSON, indented by `depth` levels of two spaces, terminal-safe.
pub fn pretty(out: &mut String, v: &Value, depth: usize) {
    let pad = |out: &mut String, d: usize| {
        for _ in 0..d {
            out.push_str("  ");
        }
    };
    if depth == 1 {
        pad(out, 1);
    }
    match v {
        Value::Object(m) if m.is_empty() => out.push_str("{}"),
        Value::Object(m) => {
            out.push_str("{\n");
            for (i, (k, val)) in m.iter().enumerate() {
                pad(out, depth + 1);
                let _ = write!(out, "{}: ", escape::json_string(k).blue().bold());
                pretty(out, val, depth + 1);
                if i + 1 < m.len() {
                    out.push(',');
                }
                out.push('\n');
            }
            pad(out, depth);
            out.push('}');
        }
        Value::Array(a) if a.is_empty() => out.push_str("[]"),
        Value::Array(a) => {
            out.push_str("[\n");
            for (i, val) in a.iter().enumerate() {
                pad(out, depth + 1);
                pretty(out, val, depth + 1);
                if i + 1 < a.len() {
                    out.push(',');
                }
                out.push('\n');
            }
            pad(out, depth);
            out.push(']');
        }
        Value::String(s) => {
            let _ = write!(out, "{}", escape::json_string(s).green());
        }
        Value::Number(n) => {
            let _ = write!(out, "{}", n.to_string().cyan());
        }
        Value::Bool(b) => {
            let _ = write!(out, "{}", b.to_string().magenta());
        }
        Value::Null => {
            let _ = write!(out, "{}", "null".magenta());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `pretty`'s lines with its colors taken out.
    fn uncolored_pretty(text: &str) -> String {
        let mut out = String::new();
        pretty(&mut out, &serde_json::from_str(text).unwrap(), 1);
        // Each ESC starts a color sequence, which ends with an m.
        let mut parts = out.split('\u{1b}');
        let first = parts.next().unwrap_or_default().to_string();
        parts.fold(first, |mut plain, part| {
            plain.push_str(&part[part.find('m').map_or(part.len(), |m| m + 1)..]);
            plain
        })
    }

    /// Compact objects of printable ASCII are laid out from their bytes as `pretty` lays out
    /// their trees; anything else is left to the tree, `out` as it was.
    #[test]
    fn a_written_object_is_laid_out_as_its_tree() {
        for text in [
            r#"{}"#,
            r#"{"a":1}"#,
            r#"{"iss":"https://auth.example.com","aud":["api","web"],"exp":1800000900}"#,
            r#"{"a":[],"b":{},"c":[[],[{}]],"d":{"e":{"f":[1,-2,0.5,-0,0.10]}}}"#,
            r#"{"t":true,"f":false,"n":null,"s":"","x":"a b ~!@#$%^&*()"}"#,
            r#"{"big":123456789012345678901234567890,"neg":-1800000000}"#,
            r#"{"a":[1,[2,[3,[4]]]],"b":"]},{["}"#,
        ] {
            let mut out = String::from("before ");
            assert!(pretty_written(&mut out, text), "{text}");
            assert_eq!(out, format!("before {}", uncolored_pretty(text)), "{text}");
        }
        for text in [
            r#"{"a":"esc\"aped"}"#,
            "{\"a\":\"caf\u{e9}\"}",
            "{\"a\":\"bell\u{7}\"}",
            r#"{"a":1e5}"#,
            r#"{"a":1.8E9}"#,
            r#"{"a": 1}"#,
            r#"{"a":01}"#,
            r#"{"a":1.}"#,
            r#"{"a":tru}"#,
            r#"{"a":1"#,
            r#"{"a":1}x"#,
            r#"[1,2]"#,
            r#""s""#,
            "",
        ] {
            let mut out = String::from("before");
            assert!(!pretty_written(&mut out, text), "{text}");
            assert_eq!(out, "before");
        }
        // Nesting deeper than WRITTEN_DEPTH is left to the tree.
        let nested = |n: usize| format!("{{\"a\":{}1{}}}", "[".repeat(n), "]".repeat(n));
        assert!(!pretty_written(&mut String::new(), &nested(WRITTEN_DEPTH)));
        let mut out = String::new();
        assert!(pretty_written(&mut out, &nested(WRITTEN_DEPTH - 1)));
        assert_eq!(out, uncolored_pretty(&nested(WRITTEN_DEPTH - 1)));
    }
}
