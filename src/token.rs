//! The one token parser every command shares: segments, base64url, header and payload as JSON
//! values kept as they were written (claim order, number text), and the token's kind.

use crate::spare::Shelf;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};
use std::cell::RefCell;
use std::collections::VecDeque;
use std::fmt;
use std::ops::Range;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

/// What kind of compact serialization a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A signed JWS (three segments).
    Jws,
    /// An encrypted JWE (five segments): only its header can be read.
    Jwe,
    /// A JWS whose `alg` is `none`, in any spelling.
    Unsecured,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Jws => "jws",
            Kind::Jwe => "jwe",
            Kind::Unsecured => "unsecured",
        }
    }
}

/// The payload, as far as it could be read.
#[derive(Debug, Clone)]
pub enum Payload {
    /// A JSON object: the claims of a JWT.
    Claims(Claims),
    /// A JWS whose payload is not a JSON object: not a JWT, but its signature can still be
    /// checked. The reason names what is wrong.
    NotClaims(String),
    /// A JWE: the payload is encrypted.
    Encrypted,
}

/// A token's header, in the token's order.
pub type Header = Arc<HeaderMap>;

/// A header's parameters, and its text when it is plain (see [`Claims`]): then `--json` copies
/// the text, which is exactly what writing the map would give.
#[derive(Debug, Clone)]
pub struct HeaderMap {
    map: Map<String, Value>,
    written: Option<String>,
    /// Its `alg` and `kid` as the JSON view writes them, made on first use: the tokens of one
    /// issuer share a header (see [`HEADERS`]), so these are written once, not once a token.
    json_alg_kid: OnceLock<[Box<[u8]>; 2]>,
    /// The lint's findings about the header alone, made on first use (see [`HeaderMap::lints`]).
    lints: OnceLock<[Option<crate::claims::Warning>; 3]>,
    /// Its `alg`, when jwtctl knows it, found on first use.
    algorithm: OnceLock<Option<crate::verify::Alg>>,
    /// The names it gives more than once (see [`read_json`]).
    repeated: Vec<String>,
}

impl HeaderMap {
    pub fn map(&self) -> &Map<String, Value> {
        &self.map
    }

    /// What the lint finds in the header alone, as `make` finds it, found once.
    pub fn lints(
        &self,
        make: impl FnOnce() -> [Option<crate::claims::Warning>; 3],
    ) -> &[Option<crate::claims::Warning>; 3] {
        self.lints.get_or_init(make)
    }

    /// The header's `alg` and `kid` as `make` writes them, made once.
    pub fn json_alg_kid(&self, make: impl FnOnce() -> [Box<[u8]>; 2]) -> &[Box<[u8]>; 2] {
        self.json_alg_kid.get_or_init(make)
    }

    /// The header's text when writing the map back would give exactly these bytes.
    pub fn as_written(&self) -> Option<&str> {
        self.written.as_deref()
    }

    /// The parameter names the header gives more than once (the last value counts).
    pub fn repeated(&self) -> &[String] {
        &self.repeated
    }
}

impl std::ops::Deref for HeaderMap {
    type Target = Map<String, Value>;

    fn deref(&self) -> &Map<String, Value> {
        &self.map
    }
}

/// A token whose header was read. The payload may still be unusable (see [`Payload`]).
#[derive(Debug, Clone)]
pub struct Token {
    pub raw: String,
    pub kind: Kind,
    /// Shared by the tokens of one thread that carry the same header segment.
    pub header: Header,
    pub payload: Payload,
    /// Length of `header.payload`, the JWS signing input, within `raw`.
    pub signing_input_len: usize,
    /// The decoded JWS signature (empty for JWE and for an empty segment, and when it is longer
    /// than [`MAX_SIGNATURE`]: then only its length is known).
    pub signature: Vec<u8>,
    /// The decoded signature's length.
    pub signature_len: usize,
}

/// The longest signature kept: no JWS algorithm makes one longer (RSA-16384 signs in 2 KiB).
pub const MAX_SIGNATURE: usize = 4096;

/// Segments longer than this are checked piece by piece instead of being decoded whole.
const CHECK_IN_PIECES: usize = 16 * 1024;

impl Token {
    /// Empties `slot`, giving its token's buffers (its text, decoded payload and signature) to
    /// [`crate::spare`] and its payload's entry list to this module's spares, for the next
    /// tokens of a batch. The token is read where it is: moved out first, its fields were read
    /// back from the copy before its stores were done (~1% of a batch waited there).
    pub fn recycle(slot: &mut Option<Token>) {
        let Some(token) = slot else {
            return;
        };
        crate::spare::give(std::mem::take(&mut token.raw).into_bytes());
        crate::spare::give(std::mem::take(&mut token.signature));
        if let Payload::Claims(c) = &mut token.payload {
            crate::spare::give(std::mem::take(&mut c.text).into_bytes());
            if let Some(plain) = &mut c.plain {
                Shelf::give(&SPARE_ENTRIES, std::mem::take(&mut plain.top));
            }
        }
        // A header the memo (or another token) holds too goes back for the next token that has
        // it (see [`SPARE_HEADERS`]); one held by this token alone is dropped.
        let keep = Arc::strong_count(&token.header) > 1;
        if let Some(token) = slot.take()
            && keep
        {
            SPARE_HEADERS.with_borrow_mut(|spare| {
                if spare.len() == SPARE_HEADERS_MAX {
                    // Full of headers no token takes back any more: let them go.
                    spare.clear();
                }
                spare.push(token.header);
            });
        }
    }

    pub fn signing_input(&self) -> &[u8] {
        &self.raw.as_bytes()[..self.signing_input_len]
    }

    /// The header's `alg` when it is a string.
    pub fn alg(&self) -> Option<&str> {
        self.header_get("alg").and_then(Value::as_str)
    }

    /// The header's `alg` when it names an algorithm jwtctl knows (found once per header).
    pub fn algorithm(&self) -> Option<crate::verify::Alg> {
        *self
            .header
            .algorithm
            .get_or_init(|| self.alg().and_then(crate::verify::Alg::from_name))
    }

    pub fn kid(&self) -> Option<&str> {
        self.header_get("kid").and_then(Value::as_str)
    }

    /// A header parameter.
    pub fn header_get(&self, name: &str) -> Option<&Value> {
        header_param(&self.header, name)
    }

    /// The claims as a tree (parsed on first use).
    pub fn claims(&self) -> Option<&Map<String, Value>> {
        self.claim_set().map(Claims::map)
    }

    /// The claims, with lookups that need no tree.
    pub fn claim_set(&self) -> Option<&Claims> {
        match &self.payload {
            Payload::Claims(c) => Some(c),
            _ => None,
        }
    }
}

/// A JWT's claims. Most payloads are plain: compact JSON whose strings are printable ASCII
/// without escapes and whose objects repeat no key. Those are checked and indexed in one pass
/// over the text, and the tree serde_json builds is made only when something asks for it (the
/// text view, verify's claim checks, a lint that may fire); `--json` copies their text, which is
/// exactly what writing the tree would give. Any other payload is parsed into a tree at once.
#[derive(Debug, Clone)]
pub struct Claims {
    text: String,
    /// The top-level entries of a plain payload: key and value ranges in `text`.
    plain: Option<Plain>,
    /// Boxed: rarely made, and a report (which holds its token) is moved whole between steps.
    tree: OnceLock<Box<Map<String, Value>>>,
    /// The names the top-level object repeats (see [`read_json`]); a plain payload repeats
    /// none. Boxed as the tree is.
    repeated: Option<Box<[String]>>,
}

#[derive(Debug, Clone)]
struct Plain {
    top: Vec<(Range<usize>, Range<usize>)>,
    /// Where in `top` each of [`KNOWN_CLAIMS`] is, found in the same pass: the judge asks for
    /// these of every token.
    known: Places,
    /// A key anywhere is named like a secret, or a string value anywhere looks like a card or
    /// social security number: the sensitive-claim lint must look at the tree. Found in the
    /// same pass (a look at a key's last two letters and a value's length and first byte rules
    /// out most strings).
    maybe_sensitive: bool,
}

impl Claims {
    /// From a payload's text; when it is not a JSON object, what serde_json made of it.
    fn new(text: Vec<u8>) -> Result<Claims, Result<Value, serde_json::Error>> {
        if let Some(plain) = plain(&text) {
            // `plain` read the whole text, and takes nothing but ASCII: JSON's punctuation,
            // digits, `true`/`false`/`null` and strings of printable ASCII (`plain_quotes`
            // refuses any other byte). Checked again only in debug builds.
            debug_assert!(text.is_ascii());
            // SAFETY: ASCII is UTF-8.
            let text = unsafe { String::from_utf8_unchecked(text) };
            return Ok(Claims {
                text,
                plain: Some(plain),
                tree: OnceLock::new(),
                repeated: None,
            });
        }
        match read_json(&text) {
            (Ok(Value::Object(map)), repeated) => Ok(Claims {
                text: String::new(),
                plain: None,
                tree: OnceLock::from(Box::new(map)),
                repeated: (!repeated.is_empty()).then(|| repeated.into_boxed_slice()),
            }),
            (other, _) => Err(other),
        }
    }

    /// The names the payload's object gives more than once (the last value counts).
    pub fn repeated(&self) -> &[String] {
        self.repeated.as_deref().unwrap_or_default()
    }

    /// The claims as a tree, in the token's order, numbers as written.
    pub fn map(&self) -> &Map<String, Value> {
        self.tree.get_or_init(|| {
            // A plain text is valid JSON: this parse cannot fail.
            Box::new(match serde_json::from_str::<Value>(&self.text) {
                Ok(Value::Object(m)) => m,
                _ => Map::new(),
            })
        })
    }

    /// The payload's text when writing the tree back would give exactly these bytes.
    pub fn as_written(&self) -> Option<&str> {
        self.plain.as_ref().map(|_| self.text.as_str())
    }

    /// For a plain payload, the text of a top-level claim's value (None inside when absent);
    /// None when the payload is not plain and the tree must be asked.
    fn plain_raw(&self, name: &str) -> Option<Option<&str>> {
        Some(self.plain_bytes(name)?.map(plain_str))
    }

    /// [`Claims::plain_raw`] as bytes: the judge asks every token for a few claims, and a
    /// known claim is read from its noted place without a search or a `str`'s checks (small
    /// enough to inline, where a name the caller spells out is matched when compiling).
    #[inline(always)]
    fn plain_bytes(&self, name: &str) -> Option<Option<&[u8]>> {
        let p = self.plain.as_ref()?;
        Some(match known_claim(name.as_bytes()) {
            Some(k) => p
                .known
                .get(k)
                .map(|i| &self.text.as_bytes()[p.top[usize::from(i)].1.clone()]),
            None => self.search(p, name),
        })
    }

    /// The value of the top-level entry named `name`, searched for.
    fn search(&self, p: &Plain, name: &str) -> Option<&[u8]> {
        let text = self.text.as_bytes();
        p.top
            .iter()
            // Claim names are short and most differ in their length or first byte: those are
            // told apart without a call to compare the bytes.
            .find(|(k, _)| {
                let key = &text[k.clone()];
                key.len() == name.len()
                    && key.first() == name.as_bytes().first()
                    && key == name.as_bytes()
            })
            .map(|(_, v)| &text[v.clone()])
    }

    /// One top-level claim.
    pub fn get(&self, name: &str) -> Option<std::borrow::Cow<'_, Value>> {
        use std::borrow::Cow;
        match self.plain_raw(name) {
            Some(raw) => raw.and_then(plain_value).map(Cow::Owned),
            None => self.map().get(name).map(Cow::Borrowed),
        }
    }

    /// A top-level claim that is a string.
    pub fn get_str(&self, name: &str) -> Option<&str> {
        match self.plain_bytes(name) {
            // Plain strings hold no escapes: the text between the quotes is the value.
            Some(raw) => match raw? {
                [b'"', value @ .., b'"'] => Some(plain_str(value)),
                _ => None,
            },
            None => self.map().get(name).and_then(Value::as_str),
        }
    }

    /// Whether a top-level claim of this name is present.
    pub fn contains(&self, name: &str) -> bool {
        match self.plain_raw(name) {
            Some(raw) => raw.is_some(),
            None => self.map().contains_key(name),
        }
    }

    /// Whether a claim may be named like a secret or hold a card or social security number.
    pub fn maybe_sensitive(&self) -> bool {
        self.plain.as_ref().is_none_or(|p| p.maybe_sensitive)
    }
}

impl crate::claims::ClaimSource for Claims {
    fn claim(&self, name: &str) -> Option<std::borrow::Cow<'_, Value>> {
        self.get(name)
    }

    fn integer(&self, name: &str) -> Option<Option<i64>> {
        match self.plain_bytes(name)? {
            None => Some(None),
            // Up to 18 digits always fit an i64, and serde_json reads them as one.
            Some(raw) => crate::bytes::digits_value(raw).map(Some),
        }
    }
}

/// Bytes of a plain text as a `str`: a plain text is ASCII (see `Claims::new`), so any run of
/// its bytes is UTF-8. Checked again only in debug builds.
fn plain_str(bytes: &[u8]) -> &str {
    debug_assert!(bytes.is_ascii());
    // SAFETY: ASCII is UTF-8.
    unsafe { std::str::from_utf8_unchecked(bytes) }
}

/// A value of a plain text, as serde_json reads it.
fn plain_value(raw: &str) -> Option<Value> {
    // A plain integer of up to 18 digits is an i64, as serde_json reads it.
    if let Some(n) = crate::bytes::digits_value(raw.as_bytes()) {
        return Some(Value::from(n));
    }
    match raw.as_bytes().first()? {
        b'-' | b'0'..=b'9' => raw.parse().ok().map(Value::Number),
        _ => serde_json::from_str(raw).ok(),
    }
}

/// The claims whose place in a plain payload is noted as it is read.
/// (The judge asks every token for each time claim, auth_time too, present or not.)
const KNOWN_CLAIMS: [&str; 7] = ["exp", "nbf", "iat", "iss", "aud", "sub", "auth_time"];

/// Where each of [`KNOWN_CLAIMS`] is among a payload's top-level entries: a byte each in one
/// word, [`Places::ABSENT`] for a claim not there. (One word, written whole: an array of
/// `Option<u8>` written a byte at a time and then moved whole made the move wait for the
/// bytes.)
#[derive(Debug, Clone, Copy)]
struct Places(u64);

impl Places {
    const ABSENT: u8 = u8::MAX;
    const NONE: Places = Places(u64::MAX);

    fn get(self, claim: usize) -> Option<u8> {
        let place = (self.0 >> (8 * claim)) as u8;
        (place != Self::ABSENT).then_some(place)
    }

    /// `place` is below [`PLAIN_KEYS`]: it fits a byte, and is never `ABSENT`.
    fn set(&mut self, claim: usize, place: usize) {
        const { assert!(KNOWN_CLAIMS.len() <= 8 && PLAIN_KEYS < Places::ABSENT as usize) };
        debug_assert!(place < PLAIN_KEYS);
        let shift = 8 * claim;
        self.0 = self.0 & !(0xff << shift) | (place as u64 & 0xff) << shift;
    }
}

/// Three-letter names as one number each: told apart by one switch instead of a comparison
/// each (every key of every payload is looked up here).
#[inline]
fn known_claim(name: &[u8]) -> Option<usize> {
    const fn word(name: &[u8; 3]) -> u32 {
        u32::from_le_bytes([name[0], name[1], name[2], 0])
    }
    const EXP: u32 = word(b"exp");
    const NBF: u32 = word(b"nbf");
    const IAT: u32 = word(b"iat");
    const ISS: u32 = word(b"iss");
    const AUD: u32 = word(b"aud");
    const SUB: u32 = word(b"sub");
    match *name {
        [a, b, c] => match u32::from_le_bytes([a, b, c, 0]) {
            EXP => Some(0),
            NBF => Some(1),
            IAT => Some(2),
            ISS => Some(3),
            AUD => Some(4),
            SUB => Some(5),
            _ => None,
        },
        [b'a', b'u', b't', b'h', b'_', b't', b'i', b'm', b'e'] => Some(6),
        _ => None,
    }
}

/// A key's bucket for the duplicate check (see [`PlainParser::object`]).
#[inline]
fn key_hash(name: &[u8]) -> u32 {
    let (first, last) = (name.first().copied(), name.last().copied());
    (name.len() as u32)
        .wrapping_mul(31)
        .wrapping_add(u32::from(first.unwrap_or(0)).wrapping_mul(7))
        .wrapping_add(u32::from(last.unwrap_or(0)))
}

/// Objects nested deeper than this are not plain (serde_json's own limit is 128).
const PLAIN_DEPTH: usize = 64;
/// Objects with more keys than this are not plain (the duplicate check may compare every pair).
const PLAIN_KEYS: usize = 64;

thread_local! {
    /// Entry lists of plain payloads given back by [`Token::recycle`], for the next ones.
    static SPARE_ENTRIES: RefCell<Shelf<(Range<usize>, Range<usize>)>> =
        const { RefCell::new(Shelf::new()) };
}

/// Room for the entries of most payloads.
const ENTRIES: usize = 16;

/// Checks and indexes a plain payload (see [`Claims`]); None for anything else.
fn plain(text: &[u8]) -> Option<Plain> {
    thread_local! {
        /// The key stack, kept between payloads instead of allocated for each. (One buffer a
        /// thread, used within this call only: a [`Shelf`] like the entry lists', which
        /// tokens in flight hold, costs ~50 more instructions a token.)
        static KEYS: std::cell::Cell<Vec<Range<usize>>> = const { std::cell::Cell::new(Vec::new()) };
        /// The bits of the quotes, kept the same way.
        static QUOTES: std::cell::Cell<Vec<u64>> = const { std::cell::Cell::new(Vec::new()) };
    }
    let mut quotes = QUOTES.take();
    // One pass over the bytes first: a text that is plain holds no escape, so each string
    // ends at the next quote, which its bit tells.
    if !crate::escape::plain_quotes(text, &mut quotes) {
        QUOTES.set(quotes);
        return None;
    }
    let mut keys = KEYS.take();
    keys.clear();
    let top = Shelf::take(&SPARE_ENTRIES, ENTRIES);
    let mut p = PlainParser {
        b: text,
        quotes: crate::escape::Quotes::new(&quotes),
        i: 0,
        depth: 0,
        keys,
        top,
        known: Places::NONE,
        sensitive: false,
    };
    let whole = p.object(true).is_some() && p.i == text.len();
    let PlainParser {
        keys,
        top,
        known,
        sensitive,
        ..
    } = p;
    if keys.capacity() <= 1024 {
        KEYS.set(keys);
    }
    if quotes.capacity() <= 1024 {
        QUOTES.set(quotes);
    }
    if !whole {
        Shelf::give(&SPARE_ENTRIES, top);
        return None;
    }
    Some(Plain {
        top,
        known,
        maybe_sensitive: sensitive,
    })
}

struct PlainParser<'a> {
    b: &'a [u8],
    /// The quotes of `b` not yet read (see [`crate::escape::plain_quotes`]): every quote of a
    /// plain text opens or closes a string, and strings are read in order.
    quotes: crate::escape::Quotes<'a>,
    i: usize,
    depth: usize,
    /// The keys of the objects being read, innermost last.
    keys: Vec<Range<usize>>,
    top: Vec<(Range<usize>, Range<usize>)>,
    known: Places,
    /// A key read so far is named like a secret, or a string value looks like a card or social
    /// security number.
    sensitive: bool,
}

impl PlainParser<'_> {
    #[inline]
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    #[inline]
    fn eat(&mut self, c: u8) -> Option<()> {
        (self.peek()? == c).then(|| self.i += 1)
    }

    fn value(&mut self) -> Option<()> {
        let c = self.peek()?;
        // Strings and numbers first, told apart by two tests rather than a jump through a table.
        if c == b'"' {
            let body = self.string()?;
            self.sensitive = self.sensitive || crate::lint::card_or_ssn(&self.b[body]);
            return Some(());
        }
        if c.is_ascii_digit() {
            return self.number();
        }
        match c {
            b'{' => self.object(false),
            b'[' => self.array(),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            b'-' | b'0'..=b'9' => self.number(),
            _ => None,
        }
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        self.b[self.i..]
            .starts_with(word)
            .then(|| self.i += word.len())
    }

    /// A string of printable ASCII without escapes; the range between the quotes. (The text
    /// holds no byte a plain string cannot: the string ends at the next quote.)
    #[inline]
    fn string(&mut self) -> Option<Range<usize>> {
        // The next quote is the one at `i`, if a string starts here: the quotes before it
        // were read with their strings.
        if self.quotes.next()? != self.i {
            return None;
        }
        let start = self.i + 1;
        let end = self.quotes.next()?;
        self.i = end + 1;
        Some(start..end)
    }

    /// RFC 8259's number grammar without an exponent.
    fn number(&mut self) -> Option<()> {
        let digits = |p: &mut Self| {
            let n = crate::bytes::leading_digits(&p.b[p.i..]);
            p.i += n;
            n
        };
        let _ = self.eat(b'-');
        match self.peek()? {
            b'0' => self.i += 1,
            b'1'..=b'9' => {
                digits(self);
            }
            _ => return None,
        }
        if self.eat(b'.').is_some() && digits(self) == 0 {
            return None;
        }
        // serde_json writes an exponent back in its own form (1.8e9 as 1.8e+9): such a number
        // is not written as is, so the payload is not plain.
        if matches!(self.peek(), Some(b'e' | b'E')) {
            return None;
        }
        Some(())
    }

    fn array(&mut self) -> Option<()> {
        self.eat(b'[')?;
        self.depth += 1;
        if self.depth > PLAIN_DEPTH {
            return None;
        }
        if self.eat(b']').is_none() {
            loop {
                self.value()?;
                if self.eat(b',').is_none() {
                    self.eat(b']')?;
                    break;
                }
            }
        }
        self.depth -= 1;
        Some(())
    }

    fn object(&mut self, top: bool) -> Option<()> {
        self.eat(b'{')?;
        self.depth += 1;
        if self.depth > PLAIN_DEPTH {
            return None;
        }
        // This object's keys are the end of the shared stack.
        let first_key = self.keys.len();
        // A bit for each key seen, chosen by its length and first and last bytes: only a key
        // whose bit is set already is compared with the others.
        let mut seen = 0u64;
        if self.eat(b'}').is_none() {
            loop {
                let key = self.string()?;
                let name = &self.b[key.clone()];
                let keys = &self.keys[first_key..];
                if keys.len() >= PLAIN_KEYS {
                    return None;
                }
                let bit = 1u64 << (key_hash(name) % 64);
                if seen & bit != 0 {
                    // Most keys differ in length or first byte: told apart without a compare
                    // call.
                    let same = |k: &Range<usize>| {
                        k.len() == name.len()
                            && self.b.get(k.start) == name.first()
                            && &self.b[k.clone()] == name
                    };
                    if keys.iter().any(same) {
                        return None;
                    }
                }
                seen |= bit;
                self.sensitive = self.sensitive || crate::lint::sensitive_name_bytes(name);
                self.eat(b':')?;
                let start = self.i;
                self.value()?;
                if top {
                    if let Some(k) = known_claim(name) {
                        self.known.set(k, self.top.len());
                    }
                    self.top.push((key.clone(), start..self.i));
                }
                self.keys.push(key);
                if self.eat(b',').is_none() {
                    self.eat(b'}')?;
                    break;
                }
            }
        }
        self.keys.truncate(first_key);
        self.depth -= 1;
        Some(())
    }
}

/// Why a token could not be parsed at all, naming the segment at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

fn error(message: String) -> ParseError {
    ParseError { message }
}

const JWS_SEGMENTS: [&str; 3] = ["header", "payload", "signature"];
const JWE_SEGMENTS: [&str; 5] = [
    "header",
    "encrypted key",
    "initialization vector",
    "ciphertext",
    "authentication tag",
];

/// Whether segments go to the vectorized base64url decoder: from the start of a batch on. Its
/// first use asks the CPU what it supports (`cpuid`, see [`crate::bytes`]), which costs a
/// one-token run more than the decoder saves it.
static VECTOR_BASE64: AtomicBool = AtomicBool::new(false);

/// From now on segments are decoded by the vectorized decoder (called when a batch starts); the
/// CPU is asked what it offers the scanner too (see [`crate::cpu`]).
pub fn batch_started() {
    VECTOR_BASE64.store(true, Ordering::Relaxed);
    crate::cpu::offers(crate::cpu::AVX2);
}

/// Decodes one base64url segment (RFC 7515: no padding, no other alphabet, canonical bits).
fn decode_segment(name: &str, index: usize, of: usize, seg: &str) -> Result<Vec<u8>, ParseError> {
    // The vectorized decoders (see `base64url`) refuse what the base64 crate refuses (unit tests
    // hold them to it); a refused segment is decoded again by the crate, which says why.
    if VECTOR_BASE64.load(Ordering::Relaxed) {
        let mut bytes = crate::spare::take(seg.len() / 4 * 3 + 2);
        if crate::base64url::decode_append(seg.as_bytes(), &mut bytes) {
            return Ok(bytes);
        }
        crate::spare::give(bytes);
    }
    URL_SAFE_NO_PAD.decode(seg).map_err(|e| {
        let why = match e {
            base64::DecodeError::InvalidByte(offset, byte) => {
                let hint = match byte {
                    b'=' => " (padding '=' is not allowed in base64url)",
                    b'+' | b'/' => " (standard base64, not base64url)",
                    _ => "",
                };
                format!(
                    "invalid character {} at offset {offset}{hint}",
                    describe_byte(byte)
                )
            }
            base64::DecodeError::InvalidLength(_) => {
                format!("its length ({}) is impossible for base64url", seg.len())
            }
            base64::DecodeError::InvalidLastSymbol { offset, .. } => {
                format!("its last character (offset {offset}) has non-zero trailing bits")
            }
            base64::DecodeError::InvalidPadding => "padding is not allowed in base64url".into(),
        };
        error(format!(
            "{name} segment ({} of {of}) is not valid base64url: {why}",
            index + 1
        ))
    })
}

/// Checks one base64url segment as [`decode_segment`] does and returns its decoded length,
/// without holding the decoded bytes when the segment is long.
fn check_segment(name: &str, index: usize, of: usize, seg: &str) -> Result<usize, ParseError> {
    if seg.len() <= CHECK_IN_PIECES {
        return decode_segment(name, index, of, seg).map(|v| v.len());
    }
    // Pieces of whole 4-character groups: only the last may end in a partial group.
    let mut buf = [0u8; 3 * 1024];
    let mut len = 0;
    for piece in seg.as_bytes().chunks(4 * 1024) {
        match URL_SAFE_NO_PAD.decode_slice(piece, &mut buf) {
            Ok(n) => len += n,
            // The error as a whole decode states it (offsets from the segment's start).
            Err(_) => return decode_segment(name, index, of, seg).map(|v| v.len()),
        }
    }
    Ok(len)
}

fn describe_byte(b: u8) -> String {
    if b.is_ascii_graphic() {
        format!("'{}'", b as char)
    } else {
        format!("0x{b:02x}")
    }
}

/// Describes a JSON error in a segment without quoting the (possibly hostile) bytes.
/// A JSON text read as `serde_json::from_slice::<Value>` reads it (a name an object repeats
/// keeps its first place and takes its last value), and the names its top-level object repeats,
/// each once: parsers differ on which of two values counts (RFC 7519 §4 lets a parser take the
/// last or refuse), so a token read one way may be read another elsewhere, and a repeat is said.
/// A name spelled with escapes (`"e\u0078p"`) is the name it spells.
fn read_json(text: &[u8]) -> (Result<Value, serde_json::Error>, Vec<String>) {
    use serde::de::{DeserializeSeed, Deserializer, MapAccess, Visitor};
    use serde_json::map::Entry;

    /// The top-level object, its repeats noted.
    struct Top<'r>(&'r mut Vec<String>);

    impl<'de> DeserializeSeed<'de> for Top<'_> {
        type Value = Value;
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
            d.deserialize_map(self)
        }
    }

    impl<'de> Visitor<'de> for Top<'_> {
        type Value = Value;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
            let mut map = Map::new();
            while let Some(name) = access.next_key::<String>()? {
                let value: Value = access.next_value()?;
                match map.entry(name) {
                    Entry::Vacant(e) => {
                        e.insert(value);
                    }
                    Entry::Occupied(mut e) => {
                        if !self.0.contains(e.key()) {
                            self.0.push(e.key().clone());
                        }
                        e.insert(value);
                    }
                }
            }
            Ok(Value::Object(map))
        }
    }

    let mut repeated = Vec::new();
    // Anything but an object is read as before, its errors as serde_json says them.
    if text.trim_ascii_start().first() != Some(&b'{') {
        return (serde_json::from_slice(text), repeated);
    }
    let mut de = serde_json::Deserializer::from_slice(text);
    let read = Top(&mut repeated)
        .deserialize(&mut de)
        .and_then(|value| de.end().map(|()| value));
    (read, repeated)
}

fn json_error(name: &str, e: &serde_json::Error) -> String {
    let what = match e.classify() {
        serde_json::error::Category::Eof => "is truncated JSON".to_string(),
        _ if e.to_string().contains("recursion limit") => {
            "is JSON nested too deeply (over 128 levels)".to_string()
        }
        _ if e.to_string().contains("UTF-8") || e.to_string().contains("unicode") => {
            format!("is not valid UTF-8 JSON (column {})", e.column())
        }
        _ => format!(
            "is not valid JSON (line {} column {})",
            e.line(),
            e.column()
        ),
    };
    format!("{name} {what}")
}

/// A parameter of a header: a few entries are looked through, which costs less than hashing
/// the name.
fn header_param<'h>(header: &'h Map<String, Value>, name: &str) -> Option<&'h Value> {
    if header.len() <= 8 {
        header.iter().find(|(k, _)| *k == name).map(|(_, v)| v)
    } else {
        header.get(name)
    }
}

/// Headers decoded lately on this thread, newest first, by their segment's text: the tokens of
/// one issuer repeat one header, which is then decoded once.
const HEADER_MEMO: usize = 8;
/// Longer header segments are not remembered.
const HEADER_MEMO_LEN: usize = 512;

thread_local! {
    static HEADERS: RefCell<VecDeque<(Box<str>, Header)>> = const { RefCell::new(VecDeque::new()) };
    /// The headers of recycled tokens, last recycled last: a token whose header the memo
    /// finds takes its handle back from here when the last one recycled is that header. Moving
    /// a handle leaves its count of holders as it is, where `Arc::clone` for each token and the
    /// drop at its recycling are two locked updates of it (~1.5% of a batch).
    static SPARE_HEADERS: RefCell<Vec<Header>> = const { RefCell::new(Vec::new()) };
}

/// Handles kept by [`SPARE_HEADERS`] at most: more than the tokens a thread judges together.
const SPARE_HEADERS_MAX: usize = 64;

/// A handle to `h` for a new token: the last one recycled when it is `h`'s (taken back with its
/// count as it is), else a new one.
fn spare_or_clone(h: &Header) -> Header {
    SPARE_HEADERS
        .with_borrow_mut(|spare| match spare.last() {
            Some(last) if Arc::ptr_eq(last, h) => spare.pop(),
            _ => None,
        })
        .unwrap_or_else(|| Arc::clone(h))
}

/// The header of a token of `n` segments, from its first segment.
fn header(segment: &str, n: usize) -> Result<Header, ParseError> {
    let memo = segment.len() <= HEADER_MEMO_LEN;
    if memo
        && let Some(h) = HEADERS.with_borrow(|m| {
            m.iter()
                .find(|(text, _)| **text == *segment)
                .map(|(_, h)| spare_or_clone(h))
        })
    {
        return Ok(h);
    }
    let bytes = decode_segment("header", 0, n, segment)?;
    let (value, repeated) = read_json(&bytes);
    let value = value.map_err(|e| {
        error(format!(
            "header segment (1 of {n}) {}",
            json_error("", &e).trim_start()
        ))
    })?;
    let Value::Object(map) = value else {
        return Err(error(format!(
            "header segment (1 of {n}) is JSON but not an object"
        )));
    };
    // A plain text is ASCII.
    let written = plain(&bytes).and_then(|_| String::from_utf8(bytes).ok());
    let h = Arc::new(HeaderMap {
        map,
        written,
        json_alg_kid: OnceLock::new(),
        lints: OnceLock::new(),
        algorithm: OnceLock::new(),
        repeated,
    });
    if memo {
        HEADERS.with_borrow_mut(|m| {
            m.truncate(HEADER_MEMO - 1);
            m.push_front((segment.into(), Arc::clone(&h)));
        });
    }
    Ok(h)
}

/// The places of a JWS's two dots in its text, as the scanner finds them (see
/// [`crate::input::Event::Token`]) and [`parse_placed`] takes them: in one word, which
/// keeps a batch's job (its text, source and skew) within the 128 bytes that are moved without
/// a call to copy memory (as two words they made it 144 bytes, and `memmove` went from ~8% to
/// ~15% of a batch's samples).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dots(std::num::NonZeroU64);

impl Dots {
    /// The two places, if both fit 32 bits (a text read whole is far shorter) and are not both
    /// zero (two dots are not in one place).
    pub fn new([first, second]: [usize; 2]) -> Option<Dots> {
        let (first, second) = (u32::try_from(first).ok()?, u32::try_from(second).ok()?);
        std::num::NonZeroU64::new(u64::from(first) | u64::from(second) << 32).map(Dots)
    }

    /// The first dot's place, then the second's.
    pub fn places(self) -> [usize; 2] {
        let word = self.0.get();
        [(word & 0xffff_ffff) as usize, (word >> 32) as usize]
    }
}

/// How many dots a token's text has; the places of the first four (the ends of its first four
/// segments) are put in `ends`. (A batch's tokens mostly come with their two dots placed by the
/// scanner: see [`parse_placed`].)
fn dots(raw: &[u8], ends: &mut [usize; 4]) -> usize {
    let mut dots = 0;
    for dot in crate::bytes::positions(b'.', raw) {
        if let Some(end) = ends.get_mut(dots) {
            *end = dot;
        }
        dots += 1;
    }
    dots
}

/// Parses a compact JWS (3 segments) or JWE (5 segments).
pub fn parse(raw: &str) -> Result<Token, ParseError> {
    parse_owned(raw.to_string())
}

/// [`parse`], keeping the text it is given as the token's `raw` instead of a copy.
pub fn parse_owned(raw: String) -> Result<Token, ParseError> {
    parse_placed(raw, None)
}

/// [`parse_owned`] of a text whose dots may be known: `dots`, the places of its two dots when
/// it has exactly two and no other (the scanner finds them on its way through a line that is a
/// token alone, see [`crate::input::Event::Token`]); else they are looked for here, as they are
/// when the places given are not two dots in order.
pub fn parse_placed(raw: String, dots: Option<Dots>) -> Result<Token, ParseError> {
    let mut ends = [0; 4];
    let bytes = raw.as_bytes();
    let dots = match dots.map(Dots::places) {
        Some([first, second])
            if first < second
                && bytes.get(first) == Some(&b'.')
                && bytes.get(second) == Some(&b'.') =>
        {
            debug_assert_eq!(self::dots(bytes, &mut [0; 4]), 2, "{raw}");
            ends[0] = first;
            ends[1] = second;
            2
        }
        _ => self::dots(bytes, &mut ends),
    };
    let n = dots + 1;
    if n != 3 && n != 5 {
        return Err(error(format!(
            "{n} segment{} where a JWS has 3 and a JWE 5",
            if n == 1 { "" } else { "s" }
        )));
    }
    let mut segments = [""; 5];
    let mut start = 0;
    for (segment, &end) in segments.iter_mut().zip(&ends[..dots]) {
        *segment = &raw[start..end];
        start = end + 1;
    }
    segments[n - 1] = &raw[start..];
    let segments = &segments[..n];
    if segments[0].is_empty() {
        return Err(error(format!("header segment (1 of {n}) is empty")));
    }
    let header = header(segments[0], n)?;

    if n == 5 {
        for (i, seg) in segments.iter().enumerate().skip(1) {
            check_segment(JWE_SEGMENTS[i], i, n, seg)?;
        }
        return Ok(Token {
            raw,
            kind: Kind::Jwe,
            header,
            payload: Payload::Encrypted,
            signing_input_len: 0,
            signature: Vec::new(),
            signature_len: 0,
        });
    }

    let payload_bytes = decode_segment(JWS_SEGMENTS[1], 1, n, segments[1])?;
    let (signature, signature_len) = if segments[2].len() * 3 / 4 <= MAX_SIGNATURE {
        let s = decode_segment(JWS_SEGMENTS[2], 2, n, segments[2])?;
        let len = s.len();
        (s, len)
    } else {
        (
            Vec::new(),
            check_segment(JWS_SEGMENTS[2], 2, n, segments[2])?,
        )
    };
    let empty = payload_bytes.is_empty();
    let payload = match Claims::new(payload_bytes) {
        Ok(claims) => Payload::Claims(claims),
        Err(Ok(_)) => {
            Payload::NotClaims("payload segment (2 of 3) is JSON but not an object".into())
        }
        Err(Err(_)) if empty => Payload::NotClaims("payload segment (2 of 3) is empty".into()),
        Err(Err(e)) => Payload::NotClaims(json_error("payload segment (2 of 3)", &e)),
    };
    let unsecured = header_param(&header, "alg")
        .and_then(Value::as_str)
        .is_some_and(|a| a.trim().eq_ignore_ascii_case("none"));
    let signing_input_len = segments[0].len() + 1 + segments[1].len();
    Ok(Token {
        raw,
        kind: if unsecured {
            Kind::Unsecured
        } else {
            Kind::Jws
        },
        header,
        payload,
        signing_input_len,
        signature,
        signature_len,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A JWS is read from its two outer dots without a look between them (`parse_owned`): a dot
    /// anywhere in the payload is still a fourth segment, and two are a JWE.
    #[test]
    fn a_dot_between_the_outer_two_is_always_counted() {
        let (h, p, sig) = (
            "eyJhbGciOiJIUzI1NiJ9",
            "eyJzdWIiOiIxIiwiZXhwIjoxODAwMDAwOTAwfQ",
            "c2ln",
        );
        let t = parse(&format!("{h}.{p}.{sig}")).unwrap();
        assert_eq!(
            (t.kind, t.signing_input_len),
            (Kind::Jws, h.len() + 1 + p.len())
        );
        for at in 0..=p.len() {
            let dotted = format!("{h}.{}.{}.{sig}", &p[..at], &p[at..]);
            let e = parse(&dotted).map(|t| t.kind).unwrap_err();
            assert_eq!(
                e.message, "4 segments where a JWS has 3 and a JWE 5",
                "{dotted}"
            );
        }
        let jwe = parse(&format!("{h}.ZW5j.aXY.Y3Q.dGFn")).unwrap();
        assert_eq!(jwe.kind, Kind::Jwe);
    }

    /// Two dots' places go into one word and come out as they went in; places past 32 bits are
    /// not kept (the dots are then searched for).
    #[test]
    fn dot_places_in_one_word() {
        for places in [
            [3, 40],
            [0, 1],
            [36, 352],
            [u32::MAX as usize - 1, u32::MAX as usize],
        ] {
            assert_eq!(Dots::new(places).map(Dots::places), Some(places));
        }
        assert_eq!(Dots::new([3, u32::MAX as usize + 1]), None);
        assert_eq!(Dots::new([0, 0]), None);
    }

    /// A token read with its two dots' places given (as the scanner gives them) is the token
    /// read with them searched for, whole or malformed.
    #[test]
    fn placed_dots_read_as_searched_ones() {
        let (h, p, sig) = (
            "eyJhbGciOiJIUzI1NiJ9",
            "eyJzdWIiOiIxIiwiZXhwIjoxODAwMDAwOTAwfQ",
            "c2ln",
        );
        for text in [
            format!("{h}.{p}.{sig}"),
            format!("{h}.{p}."),
            format!("{h}..{sig}"),
            format!(".{p}.{sig}"),
            format!("{h}.{p}x.{sig}"),
            format!("{h}.e30.{sig}"),
        ] {
            let places: Vec<usize> = crate::bytes::positions(b'.', text.as_bytes()).collect();
            let placed = parse_placed(text.clone(), Dots::new([places[0], places[1]]));
            let searched = parse_owned(text.clone());
            assert_eq!(format!("{placed:?}"), format!("{searched:?}"), "{text}");
        }
        let text = format!("{h}.{p}.{sig}");
        let t = parse_placed(text.clone(), Dots::new([h.len(), h.len() + 1 + p.len()])).unwrap();
        assert_eq!(t.signing_input_len, h.len() + 1 + p.len());
        assert_eq!(t.signature, b"sig");
        // Places that are not two dots in order are not taken: the dots are searched for.
        for wrong in [
            [0, 1],
            [h.len() + 1 + p.len(), h.len()],
            [h.len(), text.len()],
        ] {
            let t = parse_placed(text.clone(), Dots::new(wrong)).unwrap();
            assert_eq!(t.signing_input_len, h.len() + 1 + p.len(), "{wrong:?}");
        }
    }

    /// `Claims::new` takes a plain payload as UTF-8 without checking it again: `plain` must
    /// refuse a payload with any byte outside ASCII, wherever it stands.
    #[test]
    fn plain_takes_nothing_but_ascii() {
        let text = br#"{"iss":"https://a.example","n":-12.5,"t":true,"f":false,"z":null,"aud":["a","b"],"o":{"k":[1,{"x":""}]},"e":{},"l":[]}"#;
        assert!(plain(text).is_some());
        for at in 0..text.len() {
            for b in 0x80..=0xFFu8 {
                let mut t = text.to_vec();
                t[at] = b;
                assert!(plain(&t).is_none(), "byte {b:#x} at {at}");
                // Added, not replaced: between any two bytes, and at the ends.
                let mut t = text.to_vec();
                t.insert(at, b);
                assert!(plain(&t).is_none(), "byte {b:#x} before {at}");
            }
        }
        let mut t = text.to_vec();
        t.push(0xC3);
        assert!(plain(&t).is_none());
    }

    /// A string ends at the next quote wherever the two stand in the quotes' 64-byte words;
    /// a quote where no string may start, or a string left open, makes the text not plain.
    #[test]
    fn strings_end_at_their_quotes_across_words() {
        for pad in 0..70 {
            for len in 0..140 {
                let key = "k".repeat(pad + 1);
                let value = "v".repeat(len);
                let text = format!(r#"{{"{key}":"{value}","n":[1,"",{{"x":"y"}}],"t":"z"}}"#);
                let p = plain(text.as_bytes()).unwrap_or_else(|| panic!("{text}"));
                let entries: Vec<(&str, &str)> = p
                    .top
                    .iter()
                    .map(|(k, v)| (&text[k.clone()], &text[v.clone()]))
                    .collect();
                let quoted = format!(r#""{value}""#);
                assert_eq!(
                    entries,
                    [
                        (key.as_str(), quoted.as_str()),
                        ("n", r#"[1,"",{"x":"y"}]"#),
                        ("t", r#""z""#)
                    ]
                );
                let open = format!(r#"{{"{key}":"{value}"#);
                assert!(plain(open.as_bytes()).is_none(), "{open}");
                let open = format!(r#"{{"{key}":"{value}"}}"#);
                assert!(
                    plain(&open.as_bytes()[..open.len() - 2]).is_none(),
                    "{open}"
                );
                let stray = format!(r#"{{"{key}":1"{value}"}}"#);
                assert!(plain(stray.as_bytes()).is_none(), "{stray}");
                let stray = format!(r#"{{"{key}":"{value}""}}"#);
                assert!(plain(stray.as_bytes()).is_none(), "{stray}");
            }
        }
    }

    /// `plain` takes exactly the objects serde_json writes back byte for byte (no exponent, no
    /// escape, printable ASCII, no repeated key): texts cut and spliced at random from plain and
    /// not-quite-plain JSON, most of them broken somewhere, often across the 64-byte words of
    /// the quote marks.
    #[test]
    fn plain_is_what_serde_writes_back() {
        let pieces: [&[u8]; 24] = [
            br#"{"sub":"user-1","iat":1800000000,"a":["x","y",{"k":null}],"o":{"t":true,"f":false}}"#,
            br#"{"n":-12.5,"z":0,"e":"","s":"a b c d e f g h i j k l m n o p q r s t u v w x y z"}"#,
            b"\"",
            b"\\",
            b"\\u0041",
            "\u{e9}".as_bytes(),
            b"\x01",
            b"\x7f",
            b" ",
            b"{",
            b"}",
            b"[",
            b"]",
            b":",
            b",",
            b"\"k\":",
            b"\"v\"",
            b"1",
            b"-",
            b".5",
            b"e9",
            b"null",
            br#""sub""#,
            br#"{"a":1,"a":2}"#,
        ];
        let reference = |t: &[u8]| -> bool {
            let Ok(serde_json::Value::Object(map)) = serde_json::from_slice::<serde_json::Value>(t)
            else {
                return false;
            };
            let mut written = Vec::new();
            let mut ser =
                serde_json::Serializer::with_formatter(&mut written, crate::escape::SafeJson);
            serde::Serialize::serialize(&map, &mut ser).unwrap();
            // An exponent follows a digit; the `e` of `true` and `false` does not.
            let exponent = {
                let mut inside = false;
                t.windows(2).any(|w| {
                    if w[0] == b'"' {
                        inside = !inside;
                    }
                    !inside && w[0].is_ascii_digit() && matches!(w[1], b'e' | b'E')
                })
            };
            written == t && t.iter().all(|&c| (0x20..0x7f).contains(&c) && c != b'\\') && !exponent
        };
        let mut seed = 0x1234_5678_9abc_def1_u64;
        let mut next = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        let (mut plain_count, mut total) = (0, 0);
        for _ in 0..40_000 {
            let mut t = pieces[next(2) as usize].to_vec();
            if next(4) > 0 {
                let len = pieces.len() as u64;
                for _ in 0..=next(3) {
                    let piece = pieces[next(len) as usize];
                    let at = next(t.len() as u64 + 1) as usize;
                    if next(2) == 0 && at < t.len() {
                        let end = (at + 1 + next(4) as usize).min(t.len());
                        t.splice(at..end, piece.iter().copied());
                    } else {
                        t.splice(at..at, piece.iter().copied());
                    }
                }
            }
            let ours = plain(&t).is_some();
            assert_eq!(ours, reference(&t), "{}", String::from_utf8_lossy(&t));
            plain_count += usize::from(ours);
            total += 1;
        }
        assert!(plain_count > total / 10, "{plain_count} plain of {total}");
    }

    /// Each known claim is noted in its own place; a claim read from the note is the one a
    /// search of the entries finds.
    #[test]
    fn known_claims_are_noted_where_they_stand() {
        for (i, name) in KNOWN_CLAIMS.iter().enumerate() {
            assert_eq!(known_claim(name.as_bytes()), Some(i));
        }
        for other in [
            &b""[..],
            b"ex",
            b"Exp",
            b"exq",
            b"ext",
            b"exp\0",
            b"expp",
            b"jti",
            b"iat ",
            b"auth_tim",
            b"auth_timE",
            b"auth_times",
        ] {
            assert_eq!(known_claim(other), None, "{other:?}");
        }
        let c = Claims::new(
            br#"{"sub":"u","aud":["a"],"exp":5,"x":{"exp":6},"iss":"i","auth_time":7}"#.to_vec(),
        )
        .unwrap();
        assert_eq!(c.plain_raw("auth_time"), Some(Some("7")));
        assert_eq!(c.plain_raw("exp"), Some(Some("5")));
        assert_eq!(c.plain_raw("aud"), Some(Some(r#"["a"]"#)));
        assert_eq!(c.plain_raw("iss"), Some(Some(r#""i""#)));
        assert_eq!(c.plain_raw("nbf"), Some(None));
        assert_eq!(c.plain_raw("x"), Some(Some(r#"{"exp":6}"#)));
    }

    /// The judge's integer reads (known claims from their noted places) give what a search of
    /// the entries and a parse of the value give: absent, an integer that fits an i64, or "ask
    /// the tree" for any other value.
    #[test]
    fn integer_claims_read_from_their_places_as_from_the_entries() {
        use crate::claims::ClaimSource;
        let c = Claims::new(
            br#"{"exp":1800000900,"nbf":-5,"iat":1.5,"iss":"7","auth_time":123456789012345678901,"n":42,"x":{"exp":6}}"#
                .to_vec(),
        )
        .unwrap();
        assert!(c.as_written().is_some());
        for (name, want) in [
            ("exp", Some(Some(1_800_000_900))),
            ("nbf", None),
            ("iat", None),
            ("iss", None),
            ("auth_time", None),
            ("aud", Some(None)),
            ("sub", Some(None)),
            ("n", Some(Some(42))),
            ("x", None),
            ("missing", Some(None)),
        ] {
            assert_eq!(c.integer(name), want, "{name}");
            let entries = c.plain.as_ref().unwrap();
            let searched = match c.search(entries, name) {
                None => Some(None),
                Some(raw) => crate::bytes::digits_value(raw).map(Some),
            };
            assert_eq!(c.integer(name), searched, "{name}");
        }
        // Strings, read between their quotes from the same places.
        for (name, want) in [
            ("iss", Some("7")),
            ("exp", None),
            ("aud", None),
            ("n", None),
        ] {
            assert_eq!(c.get_str(name), want, "{name}");
        }
        let s = Claims::new(br#"{"sub":"","jti":"a b","x":["c"]}"#.to_vec()).unwrap();
        assert_eq!(
            [s.get_str("sub"), s.get_str("jti"), s.get_str("x")],
            [Some(""), Some("a b"), None]
        );
        // Not plain (an escape): the tree is asked.
        let tree = Claims::new(br#"{"exp":5,"iss":"a\nb"}"#.to_vec()).unwrap();
        assert!(tree.as_written().is_none());
        assert_eq!(tree.integer("exp"), None);
        assert_eq!(tree.get_str("iss"), Some("a\nb"));
    }

    /// `read_json` reads what serde_json reads, with the same errors, and names the top-level
    /// object's repeats once each, escaped spellings included, nested repeats not.
    #[test]
    fn read_json_reads_as_serde_json_and_names_repeats() {
        for text in [
            r#"{"a":1,"b":[1,{"c":2}],"d":1.50,"e":123456789012345678901234567890}"#,
            r#"{"a":1,"a":2,"b":3,"a":4,"b":5}"#,
            r#"{"exp":1,"exp":2}"#,
            r#"{"x":{"y":1,"y":2}}"#,
            r#" { } "#,
            r#"{"a":1} x"#,
            r#"{"a":1,}"#,
            r#"{"a""#,
            r#"{"a":[1,2}"#,
            r#"{"a":1"#,
            "[1,2]",
            "12",
            "\"text\"",
            "nul",
            "",
        ] {
            let (read, _) = read_json(text.as_bytes());
            let want = serde_json::from_slice::<Value>(text.as_bytes());
            assert_eq!(format!("{read:?}"), format!("{want:?}"), "{text}");
        }
        let deep = format!("{{\"a\":{}1{}}}", "[".repeat(200), "]".repeat(200));
        assert_eq!(
            format!("{:?}", read_json(deep.as_bytes()).0),
            format!("{:?}", serde_json::from_slice::<Value>(deep.as_bytes()))
        );
        for (text, repeats) in [
            (r#"{"a":1,"a":2,"b":3,"a":4,"b":5}"#, &["a", "b"][..]),
            (r#"{"exp":1,"exp":2}"#, &["exp"]),
            (r#"{"x":{"y":1,"y":2}}"#, &[]),
            (r#"{"a":1,"b":2}"#, &[]),
        ] {
            assert_eq!(read_json(text.as_bytes()).1, repeats, "{text}");
        }
        // The value that counts is the last, in the first one's place.
        let (read, _) = read_json(br#"{"a":1,"b":2,"a":3}"#);
        assert_eq!(read.unwrap().to_string(), r#"{"a":3,"b":2}"#);
    }

    /// A repeated key makes an object not plain wherever the two stand, in the top object or a
    /// nested one; keys that share the duplicate filter's bucket but differ stay plain; the
    /// same key in two objects is no repeat.
    #[test]
    fn a_repeated_key_is_found_past_the_filter() {
        let keys: Vec<String> = (0..60).map(|i| format!("k{i:02}")).collect();
        let plain_with = |inner: &[&str]| {
            let fields: Vec<String> = inner.iter().map(|k| format!(r#""{k}":1"#)).collect();
            plain(format!(r#"{{"n":{{{}}}}}"#, fields.join(",")).as_bytes()).is_some()
                && plain(format!("{{{}}}", fields.join(",")).as_bytes()).is_some()
        };
        let all: Vec<&str> = keys.iter().map(String::as_str).collect();
        // Sixty keys of one length: many share a bucket.
        assert!(plain_with(&all));
        for first in [0, 1, 30, 58] {
            for second in [first + 1, 59] {
                let mut repeated = all.clone();
                repeated[second] = all[first];
                assert!(!plain_with(&repeated), "{first} repeated at {second}");
            }
        }
        assert!(plain(br#"{"a":{"x":1},"b":{"x":2},"x":3}"#).is_some());
        assert!(plain(br#"{"a":1,"b":{"c":2},"a":3}"#).is_none());
    }

    fn b64(s: &str) -> String {
        URL_SAFE_NO_PAD.encode(s)
    }

    fn tok(h: &str, p: &str, sig: &str) -> String {
        format!("{}.{}.{sig}", b64(h), b64(p))
    }

    /// A recycled token's header goes to the next token with the same header, and only to it:
    /// a token whose header differs from the last one recycled gets its own from the memo.
    #[test]
    fn recycled_headers_go_to_tokens_with_the_same_header() {
        let (a, b) = (
            r#"{"alg":"HS256","kid":"spare-a"}"#,
            r#"{"alg":"RS256","kid":"spare-b"}"#,
        );
        let token = |h| parse(&tok(h, r#"{"sub":"x"}"#, "c2ln")).unwrap();
        let (t1, t2) = (token(a), token(b));
        let first_b = Arc::clone(&t2.header);
        Token::recycle(&mut Some(t1));
        // The last one recycled is `a`'s: `b`'s comes from the memo.
        let t3 = token(b);
        assert_eq!(t3.kid(), Some("spare-b"));
        assert!(Arc::ptr_eq(&t3.header, &first_b));
        let spare = || SPARE_HEADERS.with_borrow(Vec::len);
        let kept = spare();
        Token::recycle(&mut Some(t2));
        assert_eq!(spare(), kept + 1);
        // `b`'s handle is taken back, not copied: the memo, `first_b`, t3 and t4 hold it.
        let t4 = token(b);
        assert_eq!(spare(), kept);
        assert_eq!(t4.kid(), Some("spare-b"));
        assert_eq!(Arc::strong_count(&t4.header), 4);
        let t5 = token(a);
        assert_eq!(t5.kid(), Some("spare-a"));
        assert_eq!(t5.alg(), Some("HS256"));
    }

    /// Checking a long segment in pieces gives what decoding it whole gives: the length, or the
    /// same error at the same offset, wherever the fault sits against the pieces' edges.
    #[test]
    fn pieces_agree_with_a_whole_decode() {
        let whole = |s: &str| decode_segment("x", 0, 3, s).map(|v| v.len());
        let pieces = |s: &str| check_segment("x", 0, 3, s);
        let fmt = |r: Result<usize, ParseError>| r.map_err(|e| e.message);
        for len in [
            16_383, 16_384, 16_385, 16_386, 16_387, 20_479, 20_480, 20_481, 40_002,
        ] {
            let good: String = (0..len).map(|i| (b'A' + (i % 26) as u8) as char).collect();
            // The last character of a partial group must carry zero bits.
            let good = match len % 4 {
                2 => format!("{}A", &good[..len - 1]),
                3 => format!("{}E", &good[..len - 1]),
                _ => good,
            };
            assert_eq!(fmt(pieces(&good)), fmt(whole(&good)), "length {len}");
            for at in [0, 4095, 4096, 4097, 8191, len - 1] {
                for bad in [b'*', b'=', b'+'] {
                    let mut b = good.clone().into_bytes();
                    b[at] = bad;
                    let b = String::from_utf8(b).unwrap();
                    assert_eq!(
                        fmt(pieces(&b)),
                        fmt(whole(&b)),
                        "length {len}, {bad} at {at}"
                    );
                }
            }
        }
    }

    #[test]
    fn parses_a_jws_keeping_order_and_numbers() {
        let raw = tok(
            r#"{"typ":"JWT","alg":"HS256"}"#,
            r#"{"z":1,"a":12345678901234567890123,"f":1.50,"n":{"b":2,"a":1}}"#,
            "c2ln",
        );
        let t = parse(&raw).unwrap();
        assert_eq!(t.kind, Kind::Jws);
        assert_eq!(t.alg(), Some("HS256"));
        let keys: Vec<_> = t.header.keys().collect();
        assert_eq!(keys, ["typ", "alg"]);
        let claims = t.claims().unwrap();
        assert_eq!(
            serde_json::to_string(claims).unwrap(),
            r#"{"z":1,"a":12345678901234567890123,"f":1.50,"n":{"b":2,"a":1}}"#
        );
        assert_eq!(t.signature, b"sig");
        assert_eq!(
            t.signing_input(),
            raw.rsplit_once('.').unwrap().0.as_bytes()
        );
    }

    #[test]
    fn any_alg_decodes_and_none_is_unsecured() {
        for alg in ["ES512", "ES256K", "made-up", "RS256"] {
            let t = parse(&tok(&format!(r#"{{"alg":"{alg}"}}"#), "{}", "")).unwrap();
            assert_eq!(t.kind, Kind::Jws, "{alg}");
        }
        for alg in ["none", "None", "NONE", "nOnE"] {
            let t = parse(&tok(&format!(r#"{{"alg":"{alg}"}}"#), "{}", "")).unwrap();
            assert_eq!(t.kind, Kind::Unsecured, "{alg}");
        }
    }

    #[test]
    fn jwe_reads_only_the_header() {
        let raw = format!("{}..aXY.Y3Q.dGFn", b64(r#"{"alg":"dir","enc":"A256GCM"}"#));
        let t = parse(&raw).unwrap();
        assert_eq!(t.kind, Kind::Jwe);
        assert!(matches!(t.payload, Payload::Encrypted));
    }

    #[test]
    fn segment_counts() {
        for raw in ["eyJ", "eyJhIjoxfQ.e30", "a.b.c.d", "a.b.c.d.e.f"] {
            let e = parse(raw).unwrap_err();
            assert!(e.message.contains("segment"), "{raw}: {e}");
        }
        assert!(
            parse("a.b.c.d")
                .unwrap_err()
                .message
                .starts_with("4 segments")
        );
    }

    #[test]
    fn names_the_segment_at_fault() {
        let bad_header = format!("e!J.{}.", b64("{}"));
        assert!(
            parse(&bad_header)
                .unwrap_err()
                .message
                .starts_with("header segment (1 of 3)")
        );
        let padded = format!("{}=.{}.", b64(r#"{"alg":"HS256"}"#), b64("{}"));
        let e = parse(&padded).unwrap_err().message;
        assert!(e.contains("padding"), "{e}");
        let not_object = tok("[1]", "{}", "");
        assert!(
            parse(&not_object)
                .unwrap_err()
                .message
                .contains("not an object")
        );
        let bad_sig = format!("{}.{}.a", b64(r#"{"alg":"HS256"}"#), b64("{}"));
        assert!(
            parse(&bad_sig)
                .unwrap_err()
                .message
                .starts_with("signature segment (3 of 3)")
        );
        let t = parse(&tok(r#"{"alg":"HS256"}"#, "foo", "")).unwrap();
        assert!(
            matches!(t.payload, Payload::NotClaims(ref m) if m.contains("payload segment (2 of 3)"))
        );
        let t = parse(&tok(r#"{"alg":"HS256"}"#, "[1,2]", "")).unwrap();
        assert!(matches!(t.payload, Payload::NotClaims(ref m) if m.contains("not an object")));
    }

    #[test]
    fn non_ascii_and_invalid_utf8() {
        let t = parse(&tok(r#"{"alg":"HS256"}"#, r#"{"name":"Zoë 日本"}"#, "")).unwrap();
        assert_eq!(t.claims().unwrap()["name"], "Zoë 日本");
        let raw = format!(
            "{}.{}.",
            b64(r#"{"alg":"HS256"}"#),
            URL_SAFE_NO_PAD.encode([b'"', 0xff, b'"'])
        );
        let t = parse(&raw).unwrap();
        assert!(matches!(t.payload, Payload::NotClaims(_)));
    }

    #[test]
    fn deep_json_is_an_error_not_a_crash() {
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let t = parse(&tok(r#"{"alg":"HS256"}"#, &deep, "")).unwrap();
        assert!(matches!(t.payload, Payload::NotClaims(ref m) if m.contains("deeply")));
    }

    #[test]
    fn non_canonical_base64_is_refused() {
        // "e30" is "{}"; "e31" decodes to the same bytes with non-zero trailing bits.
        let raw = format!("{}.e31.", b64(r#"{"alg":"HS256"}"#));
        assert!(parse(&raw).unwrap_err().message.contains("payload segment"));
    }

    /// The vectorized decoder and the base64 crate agree on every string of up to four
    /// characters from an alphabet with each class of byte (letters at the ends of the six-bit
    /// ranges, both URL-safe symbols, standard base64's, padding, space, a high byte), and on
    /// longer strings made of them, so the crate's refusals (canonical bits, lengths, padding)
    /// all stand.
    #[test]
    fn vectorized_base64url_agrees_with_the_crate() {
        let alphabet: &[u8] = b"AQgwBZaz09-_+/= \x80";
        let agree = |s: &[u8]| {
            let simd = base64_simd::URL_SAFE_NO_PAD.decode_to_vec(s).ok();
            let crate_ = URL_SAFE_NO_PAD.decode(s).ok();
            assert_eq!(simd, crate_, "{s:?}");
        };
        crate::base64url::every_string(alphabet, 4, &agree);
        // Longer strings, where the vectorized loops run: a valid one with each byte of the
        // alphabet put in each place, and each length up to 200.
        let valid = b64(&"x".repeat(150));
        for at in 0..valid.len() {
            for &b in alphabet {
                let mut s = valid.clone().into_bytes();
                s[at] = b;
                agree(&s);
            }
        }
        for len in 0..200 {
            agree(&valid.as_bytes()[..len.min(valid.len())]);
            agree(b64(&"y".repeat(len)).as_bytes());
        }
    }
}
