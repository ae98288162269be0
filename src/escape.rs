//! The one place where text from a token or an input is made safe to show on a terminal.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Characters that must never reach a terminal as they are: C0 and C1 controls (ESC, CR, NUL,
/// the 8-bit CSI), DEL, and the invisible direction marks and overrides that can reorder what a
/// reader sees (Trojan Source).
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}'
                | '\u{200E}'
                | '\u{200F}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2066}'..='\u{2069}'
                | '\u{FEFF}'
        )
}

/// Whether a JSON string's body can be written as it is: printable ASCII without `"` or `\`.
/// Sixteen bytes at a time (each block's test is vectorized), the rest one by one.
pub fn json_plain(s: &[u8]) -> bool {
    let odd = |c: u8| c.wrapping_sub(0x20) >= 0x5f || c == b'"' || c == b'\\';
    let mut blocks = s.chunks_exact(16);
    for block in &mut blocks {
        if block.iter().fold(false, |any, &c| any | odd(c)) {
            return false;
        }
    }
    !blocks.remainder().iter().any(|&c| odd(c))
}

/// Plain text for a terminal: unsafe characters become visible escapes (`\n`, `\u{1b}`).
pub fn text(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\0' => out.push_str("\\0"),
            c if is_unsafe(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Appends a fragment of a JSON string body, escaping as `\uXXXX` what serde_json passes through
/// unescaped but a terminal would act on (DEL, C1 controls, direction overrides). The result is
/// still the same JSON string value.
pub fn json_fragment(fragment: &str, out: &mut String) {
    for c in fragment.chars() {
        if is_unsafe(c) {
            let _ = write!(out, "\\u{:04x}", c as u32);
        } else {
            out.push(c);
        }
    }
}

/// A whole JSON string literal, quotes included, safe for a terminal.
pub fn json_string(s: &str) -> String {
    // serde_json escapes quotes, backslashes and C0; the rest is ours.
    let quoted = serde_json::to_string(s).unwrap_or_else(|_| String::from("\"\""));
    if !quoted.chars().any(is_unsafe) {
        return quoted;
    }
    let mut out = String::with_capacity(quoted.len() + 8);
    json_fragment(&quoted, &mut out);
    out
}

/// A serde_json formatter that writes compact JSON whose strings never carry a character a
/// terminal would act on, so `--json` output is safe to print as well as to parse.
pub struct SafeJson;

impl serde_json::ser::Formatter for SafeJson {
    fn write_string_fragment<W>(&mut self, writer: &mut W, fragment: &str) -> std::io::Result<()>
    where
        W: ?Sized + std::io::Write,
    {
        // In ASCII the only unsafe characters are controls and DEL; the writer escapes
        // controls before this is called, but checking them costs nothing.
        // (A count, not a search that stops early: the loop is vectorized.)
        let ascii_safe = |f: &str| {
            f.bytes()
                .map(|b| usize::from(b.wrapping_sub(0x20) >= 0x5f))
                .sum::<usize>()
                == 0
        };
        if ascii_safe(fragment) || !fragment.chars().any(is_unsafe) {
            return writer.write_all(fragment.as_bytes());
        }
        let mut out = String::with_capacity(fragment.len() + 8);
        json_fragment(fragment, &mut out);
        writer.write_all(out.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_each_dangerous_class() {
        assert_eq!(text("a\u{1b}[31mred"), "a\\u{1b}[31mred");
        assert_eq!(text("line\r\nnext"), "line\\r\\nnext");
        assert_eq!(text("nul\0"), "nul\\0");
        assert_eq!(text("c1\u{9b}2J"), "c1\\u{9b}2J");
        assert_eq!(text("del\u{7f}"), "del\\u{7f}");
        assert_eq!(text("bidi\u{202e}txt"), "bidi\\u{202e}txt");
        assert_eq!(text("iso\u{2066}x\u{2069}"), "iso\\u{2066}x\\u{2069}");
    }

    #[test]
    fn leaves_ordinary_text_alone() {
        assert!(matches!(text("héllo wörld ✓ 日本"), Cow::Borrowed(_)));
    }

    #[test]
    fn json_strings_stay_valid_json() {
        let s = "x\u{1b}[2J\u{9b}\u{202e}\"\\";
        let lit = json_string(s);
        assert!(!lit.chars().any(is_unsafe), "{lit}");
        let back: String = serde_json::from_str(&lit).unwrap();
        assert_eq!(back, s);
    }

    #[test]
    fn formatter_escapes_c1_and_bidi() {
        let v = serde_json::json!({"k\u{202e}": "v\u{9b}\u{1b}"});
        let mut buf = Vec::new();
        let mut ser = serde_json::Serializer::with_formatter(&mut buf, SafeJson);
        serde::Serialize::serialize(&v, &mut ser).unwrap();
        let out = String::from_utf8(buf).unwrap();
        assert!(!out.chars().any(is_unsafe), "{out}");
        let back: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(back, v);
    }
}
