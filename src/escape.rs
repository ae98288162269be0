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
pub fn json_plain(s: &[u8]) -> bool {
    #[cfg(target_arch = "x86_64")]
    if s.len() >= 16 {
        return first_special_sse2(s) == s.len();
    }
    first_special(s) == s.len()
}

/// Where the first byte of `s` that a plain JSON string cannot hold as it is (`"`, `\`, a
/// control, DEL or a non-ASCII byte) is; `s.len()` when there is none. Eight bytes at a time:
/// most strings in a token are short, and a search call per string would cost more than the
/// string.
#[inline]
pub fn first_special(s: &[u8]) -> usize {
    let mut words = s.chunks_exact(8);
    for (n, word) in (&mut words).enumerate() {
        let found = special_bytes(u64::from_le_bytes(word.try_into().unwrap_or_default()));
        if found != 0 {
            return n * 8 + found.trailing_zeros() as usize / 8;
        }
    }
    let rest = words.remainder();
    if rest.is_empty() {
        return s.len();
    }
    // The last bytes: an overlapping word when there are eight (the bytes read again were
    // plain), else the bytes padded with plain ones.
    let (start, word) = if s.len() >= 8 {
        let last = &s[s.len() - 8..];
        (
            s.len() - 8,
            u64::from_le_bytes(last.try_into().unwrap_or_default()),
        )
    } else {
        let pad = u64::from_le_bytes([b'a'; 8]);
        (
            0,
            rest.iter().rev().fold(pad, |w, &c| w << 8 | u64::from(c)),
        )
    };
    match special_bytes(word) {
        0 => s.len(),
        found => start + found.trailing_zeros() as usize / 8,
    }
}

/// Marks where `s` holds a `"`, one bit a byte (bit `k` of `quotes[w]` for byte `64 w + k`,
/// no bit past the end), unless a byte of `s` is one no plain JSON text holds anywhere: a
/// control, DEL, a non-ASCII byte or `\` (false, and `quotes` is left unfinished). Inside a
/// string such a byte is not plain (see [`first_special`]), outside one no JSON grammar takes it;
/// a text that passes holds strings that end at their next `"`, found without a look at their
/// bytes.
pub fn plain_quotes(s: &[u8], quotes: &mut Vec<u64>) -> bool {
    quotes.clear();
    #[cfg(target_arch = "x86_64")]
    return plain_quotes_sse2(s, quotes);
    #[cfg(not(target_arch = "x86_64"))]
    {
        for chunk in s.chunks(64) {
            let mut word = 0u64;
            for (k, &c) in chunk.iter().enumerate() {
                if c < 0x20 || c >= 0x7f || c == b'\\' {
                    return false;
                }
                word |= u64::from(c == b'"') << k;
            }
            quotes.push(word);
        }
        true
    }
}

/// The bits of the 16 bytes that are `"`, and of those that no plain text holds: below 0x20 as
/// signed bytes (a control, or 0x80 and above: not ASCII), DEL and `\`.
#[cfg(target_arch = "x86_64")]
#[inline]
fn sixteen(bytes: &[u8; 16]) -> (u32, u32) {
    use std::arch::x86_64::*;
    // SAFETY: the load reads the 16 bytes given; SSE2 is part of every x86_64 build.
    unsafe {
        let v = _mm_loadu_si128(bytes.as_ptr().cast());
        let below = _mm_cmplt_epi8(v, _mm_set1_epi8(0x20));
        let del = _mm_cmpeq_epi8(v, _mm_set1_epi8(0x7f));
        let backslash = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\\' as i8));
        let quote = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'"' as i8));
        let bad = _mm_or_si128(_mm_or_si128(below, del), backslash);
        (
            _mm_movemask_epi8(quote) as u32,
            _mm_movemask_epi8(bad) as u32,
        )
    }
}

/// [`plain_quotes`] sixteen bytes at a time.
#[cfg(target_arch = "x86_64")]
fn plain_quotes_sse2(s: &[u8], quotes: &mut Vec<u64>) -> bool {
    // The marks of the first `pieces` sixteen-byte pieces of 64 bytes, and whether any of their
    // bytes is one no plain text holds.
    let word = |block: &[u8; 64], pieces: usize| {
        let (mut w, mut bad) = (0u64, 0u32);
        for (n, piece) in block.as_chunks::<16>().0.iter().take(pieces).enumerate() {
            let (q, b) = sixteen(piece);
            w |= u64::from(q) << (16 * n);
            bad |= b;
        }
        (w, bad)
    };
    let (blocks, rest) = s.as_chunks::<64>();
    for block in blocks {
        let (w, bad) = word(block, 4);
        if bad != 0 {
            return false;
        }
        quotes.push(w);
    }
    if rest.is_empty() {
        return true;
    }
    // The last bytes, padded with a plain byte that is not a quote.
    let mut last = [b'a'; 64];
    last[..rest.len()].copy_from_slice(rest);
    let (w, bad) = word(&last, rest.len().div_ceil(16));
    if bad != 0 {
        return false;
    }
    quotes.push(w);
    true
}

/// The quotes [`plain_quotes`] marked, first to last.
pub struct Quotes<'a> {
    words: &'a [u64],
    /// The word read now, and its quotes not yet given.
    at: usize,
    bits: u64,
}

impl<'a> Quotes<'a> {
    pub fn new(words: &'a [u64]) -> Self {
        Quotes {
            words,
            at: 0,
            bits: words.first().copied().unwrap_or(0),
        }
    }
}

impl Iterator for Quotes<'_> {
    type Item = usize;

    /// Where the next quote is. (Its place is worked out from the bits alone: a parser that
    /// takes its strings' ends from here does not wait for a load at each one.)
    #[inline]
    fn next(&mut self) -> Option<usize> {
        while self.bits == 0 {
            self.at += 1;
            self.bits = *self.words.get(self.at)?;
        }
        let at = self.at * 64 + self.bits.trailing_zeros() as usize;
        self.bits &= self.bits - 1;
        Some(at)
    }
}

/// [`first_special`] of 16 bytes or more, sixteen at a time (SSE2 is part of every x86_64): a
/// warning's message or a long claim is read in a quarter of the steps of eight-byte words.
/// (The text view's parser searches the rest of a payload for a string's end, most often a few
/// bytes away: there the words are cheaper.)
#[cfg(target_arch = "x86_64")]
fn first_special_sse2(s: &[u8]) -> usize {
    const LANES: usize = 16;
    debug_assert!(s.len() >= LANES);
    // Bits of the special bytes among the 16 at `at`: the quotes and the bytes no plain text
    // holds. (Every `at` is at most `s.len() - LANES`; were it not, the byte there would count
    // as special, and the text be escaped.)
    let special = |at: usize| {
        s.get(at..)
            .and_then(<[u8]>::first_chunk::<LANES>)
            .map_or(1, |bytes| {
                let (quote, bad) = sixteen(bytes);
                quote | bad
            })
    };
    let mut at = 0;
    while at + LANES <= s.len() {
        let found = special(at);
        if found != 0 {
            return at + found.trailing_zeros() as usize;
        }
        at += LANES;
    }
    if at == s.len() {
        return at;
    }
    // The last bytes in an overlapping load: the bytes read again were plain.
    let last = s.len() - LANES;
    match special(last) {
        0 => s.len(),
        found => last + found.trailing_zeros() as usize,
    }
}

/// The high bit of each byte of `word` (little-endian) that is special (see [`first_special`]).
/// Exact for the lowest such byte; a byte above it may be marked too (a borrow or a carry runs
/// on), which a search for the first does not see.
fn special_bytes(word: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGH;
    let control = word.wrapping_sub(ONES * 0x20) & !word & HIGH;
    let high = (word.wrapping_add(ONES) | word) & HIGH;
    control | high | zero(word ^ (ONES * u64::from(b'"'))) | zero(word ^ (ONES * u64::from(b'\\')))
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

    /// The word- and vector-at-a-time searches find what a byte-by-byte one finds: every byte
    /// value at every place of strings up to 40 bytes long (eight-byte words below 16 bytes; two
    /// vectors and an overlapping last one above), after plain bytes and before special ones
    /// (which a borrow or carry could otherwise make it see first), and random strings.
    #[test]
    fn first_special_agrees_with_a_byte_loop() {
        let naive = |s: &[u8]| {
            s.iter()
                .position(|&c| !(0x20..0x7f).contains(&c) || c == b'"' || c == b'\\')
                .unwrap_or(s.len())
        };
        for len in 0..=40 {
            for at in 0..len {
                for c in 0..=255u8 {
                    for after in [b'a', 0x00, 0xff, 0x7f, 0x1f, b'"'] {
                        let mut s = vec![b'k'; len];
                        s[at] = c;
                        for x in &mut s[at + 1..] {
                            *x = after;
                        }
                        assert_eq!(first_special(&s), naive(&s), "{s:?}");
                        #[cfg(target_arch = "x86_64")]
                        if len >= 16 {
                            assert_eq!(first_special_sse2(&s), naive(&s), "{s:?}");
                        }
                        assert_eq!(json_plain(&s), naive(&s) == s.len());
                    }
                }
            }
            assert_eq!(first_special(&vec![b'~'; len]), len);
            assert!(json_plain(&vec![b'~'; len]));
        }
        let texts = random_texts(0x9e37_79b9_7f4a_7c15, 70, 5, |r| {
            if r.is_multiple_of(7) {
                (r >> 8) as u8
            } else {
                b' ' + (r >> 8) as u8 % 95
            }
        });
        for s in texts {
            assert_eq!(first_special(&s), naive(&s), "{s:?}");
            #[cfg(target_arch = "x86_64")]
            if s.len() >= 16 {
                assert_eq!(first_special_sse2(&s), naive(&s), "{s:?}");
            }
            assert_eq!(json_plain(&s), naive(&s) == s.len());
        }
    }

    /// 20,000 texts shorter than `longest` from a xorshift generator: byte `i` is `byte` of the
    /// generator's state turned left by `i * turn`.
    fn random_texts(
        mut seed: u64,
        longest: u64,
        turn: u32,
        byte: impl Fn(u64) -> u8,
    ) -> Vec<Vec<u8>> {
        (0..20_000)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                (0..seed % longest)
                    .map(|i| byte(seed.rotate_left(i as u32 * turn)))
                    .collect()
            })
            .collect()
    }

    /// `plain_quotes` marks what a byte loop marks and refuses what it refuses: every byte
    /// value at every place of texts up to 140 bytes long (whole 64-byte words, sixteen-byte
    /// pieces and a padded last piece), and random texts; `Quotes` gives the marks in order.
    #[test]
    fn plain_quotes_agrees_with_a_byte_loop() {
        let naive = |s: &[u8]| -> Option<Vec<usize>> {
            if s.iter().any(|&c| !(0x20..0x7f).contains(&c) || c == b'\\') {
                return None;
            }
            Some((0..s.len()).filter(|&i| s[i] == b'"').collect())
        };
        let ours = |s: &[u8]| -> Option<Vec<usize>> {
            let mut words = vec![u64::MAX; 3];
            plain_quotes(s, &mut words).then(|| {
                assert_eq!(words.len(), s.len().div_ceil(64), "{s:?}");
                Quotes::new(&words).collect()
            })
        };
        for len in 0..=140 {
            for at in 0..len {
                for c in 0..=255u8 {
                    let mut s = vec![b'k'; len];
                    s[at] = c;
                    assert_eq!(ours(&s), naive(&s), "{s:?}");
                }
                let mut s = vec![b'"'; len];
                s[at] = b'a';
                assert_eq!(ours(&s), naive(&s), "{s:?}");
            }
        }
        let texts = random_texts(0x2545_f491_4f6c_dd1d, 300, 3, |r| match r % 11 {
            0 | 1 => b'"',
            2 if r.is_multiple_of(97) => (r >> 8) as u8,
            _ => b' ' + (r >> 8) as u8 % 95,
        });
        for s in texts {
            assert_eq!(ours(&s), naive(&s), "{s:?}");
        }
    }

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
