//! The one time authority: iat, nbf, exp and auth_time judged against an injected `now` and
//! leeway, giving a status, the time left, the lifetime and warnings. Pure: no clock is read here.

use crate::time::{DURATION_WORDS_MAX, duration_words, push_duration_words, utc};
use serde_json::{Map, Value};

/// The time claims that are judged or shown, in display order.
pub const TIME_CLAIMS: [&str; 4] = ["iat", "nbf", "exp", "auth_time"];

/// One hour: lifetimes longer than this earn `long_lifetime`.
pub const LONG_LIFETIME: i64 = 3600;

/// Above this a NumericDate looks like milliseconds (1e11 seconds is the year 5138).
const MILLIS_FROM: i64 = 100_000_000_000;
/// Above this it is not even plausible as milliseconds (the year 5138 again, in ms).
const MILLIS_UNTIL: i64 = 100_000_000_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Valid,
    Expired,
    NotYetValid,
    Expiring,
    NoExp,
    Invalid,
    Malformed,
    /// A JWE: its claims are encrypted and cannot be judged.
    Encrypted,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Valid => "valid",
            Status::Expired => "expired",
            Status::NotYetValid => "not_yet_valid",
            Status::Expiring => "expiring",
            Status::NoExp => "no_exp",
            Status::Invalid => "invalid",
            Status::Malformed => "malformed",
            Status::Encrypted => "encrypted",
        }
    }
}

/// A warning with a stable code (the contract's list) and a message for people that says what
/// it means and what to do.
#[derive(Debug, Clone)]
pub struct Warning {
    pub code: &'static str,
    pub message: String,
    /// The message is jwtctl's own text and numbers (see [`message`]): printable ASCII without
    /// `"` or `\`, which a JSON string holds as it is (the JSON view skips the search for
    /// escapes). Such a message is also the one kind [`recycle`] keeps the buffer of: it was
    /// taken from the thread's spare buffers. Not compared: two warnings that say the same are
    /// equal.
    plain: bool,
}

impl PartialEq for Warning {
    fn eq(&self, other: &Self) -> bool {
        self.code == other.code && self.message == other.message
    }
}

impl Eq for Warning {}

impl Warning {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Warning {
            code,
            message: message.into(),
            plain: false,
        }
    }

    /// A warning whose message [`message`] put together.
    fn put_together(code: &'static str, message: Message) -> Self {
        Warning {
            code,
            message: message.0,
            plain: true,
        }
    }

    /// The message, when it is known to be plain JSON string text (see the field).
    pub fn plain_message(&self) -> Option<&str> {
        self.plain.then_some(self.message.as_str())
    }

    /// The warnings `decode --strict` treats as security findings.
    pub fn is_security(&self) -> bool {
        matches!(
            self.code,
            "alg_none"
                | "weak_secret"
                | "embedded_key"
                | "suspicious_kid"
                | "sensitive_claim"
                | "weak_key"
                | "no_exp"
        )
    }
}

/// A time claim that is a usable NumericDate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeClaim {
    pub name: &'static str,
    /// Seconds since the epoch, as verifiers read it (fractions dropped).
    pub unix: i64,
    /// Seconds from now: positive in the future.
    pub relative: i64,
}

impl TimeClaim {
    pub fn utc(&self) -> Option<String> {
        utc(self.unix)
    }
}

/// The usable time claims of a token in [`TIME_CLAIMS`] order, at most one of each: kept in
/// place, since every token's report has them and a list would be an allocation each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Times {
    claims: [TimeClaim; TIME_CLAIMS.len()],
    len: usize,
}

impl Times {
    const fn new() -> Self {
        const NONE: TimeClaim = TimeClaim {
            name: "",
            unix: 0,
            relative: 0,
        };
        Times {
            claims: [NONE; TIME_CLAIMS.len()],
            len: 0,
        }
    }

    /// Adds a claim: one of [`TIME_CLAIMS`], each once, so there is room.
    fn push(&mut self, claim: TimeClaim) {
        if let Some(slot) = self.claims.get_mut(self.len) {
            *slot = claim;
            self.len += 1;
        }
    }
}

impl std::ops::Deref for Times {
    type Target = [TimeClaim];

    fn deref(&self) -> &[TimeClaim] {
        &self.claims[..self.len]
    }
}

/// What the judge found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Judgement {
    pub times: Times,
    pub status: Status,
    pub expires_in: Option<i64>,
    pub lifetime: Option<i64>,
    pub warnings: Vec<Warning>,
}

/// An empty judgement, to be judged into (see [`judge_into`]).
impl Default for Judgement {
    fn default() -> Self {
        Judgement {
            times: Times::new(),
            status: Status::Valid,
            expires_in: None,
            lifetime: None,
            warnings: Vec::new(),
        }
    }
}

impl Judgement {
    pub fn time(&self, name: &str) -> Option<&TimeClaim> {
        self.times.iter().find(|t| t.name == name)
    }
}

/// Reads a NumericDate. Err says why the claim cannot be used.
fn numeric_date(v: &Value) -> Result<i64, String> {
    let Value::Number(n) = v else {
        let kind = match v {
            Value::String(_) => "a string",
            Value::Bool(_) => "a boolean",
            Value::Null => "null",
            Value::Array(_) => "an array",
            Value::Object(_) => "an object",
            Value::Number(_) => "a number",
        };
        return Err(format!("is {kind}, not a number of seconds"));
    };
    let secs = if let Some(i) = n.as_i64() {
        i
    } else if n.as_u64().is_some() {
        return Err("is absurdly large".into());
    } else {
        match n.as_f64() {
            Some(f) if f.is_finite() && f.abs() < 1e15 => f.floor() as i64,
            _ => return Err("is absurdly large".into()),
        }
    };
    seconds(secs)
}

/// Whole seconds as a NumericDate, or why they cannot be one.
fn seconds(secs: i64) -> Result<i64, String> {
    if secs < 0 {
        return Err("is negative (before 1970)".into());
    }
    if secs >= MILLIS_UNTIL {
        return Err("is absurdly large".into());
    }
    Ok(secs)
}

/// Where the judge reads claims from: a tree, or a token's claims read without one.
pub trait ClaimSource {
    fn claim(&self, name: &str) -> Option<std::borrow::Cow<'_, Value>>;

    /// A claim read as an integer without making a value: `Some(None)` when it is absent,
    /// `Some(Some(n))` when it is written as an integer that fits an i64; None when the source
    /// cannot tell at once (then [`ClaimSource::claim`] is asked).
    fn integer(&self, _name: &str) -> Option<Option<i64>> {
        None
    }
}

impl ClaimSource for Map<String, Value> {
    fn claim(&self, name: &str) -> Option<std::borrow::Cow<'_, Value>> {
        self.get(name).map(std::borrow::Cow::Borrowed)
    }
}

/// Judges a token's claims at `now` with `leeway` seconds of tolerated clock skew.
pub fn judge(claims: &(impl ClaimSource + ?Sized), now: i64, leeway: i64) -> Judgement {
    let mut j = Judgement::default();
    judge_into(claims, now, leeway, &mut j);
    j
}

/// [`judge`] into `out`, whatever it held: its warning list keeps its room, and nothing the
/// size of a judgement is moved (a batch judges each token into its report's own).
pub fn judge_into(
    claims: &(impl ClaimSource + ?Sized),
    now: i64,
    leeway: i64,
    out: &mut Judgement,
) {
    let Judgement {
        times, warnings, ..
    } = out;
    warnings.clear();
    *times = Times::new();
    let mut unusable = false;
    // Each usable claim in its TIME_CLAIMS place, beside the list.
    let mut found = [None; TIME_CLAIMS.len()];
    for (place, name) in TIME_CLAIMS.into_iter().enumerate() {
        let date = match claims.integer(name) {
            Some(None) => continue,
            Some(Some(secs)) => seconds(secs),
            None => match claims.claim(name) {
                Some(v) => numeric_date(&v),
                None => continue,
            },
        };
        match date {
            Ok(unix) => {
                if unix >= MILLIS_FROM {
                    let as_ms = utc(unix / 1000).unwrap_or_else(|| "?".into());
                    warnings.push(Warning::new(
                        "millisecond_timestamp",
                        format!(
                            "{name} {unix} looks like milliseconds ({as_ms}); verifiers read it as seconds, \
                             beyond the year 5000. The issuer must write NumericDate in seconds."
                        ),
                    ));
                }
                let claim = TimeClaim {
                    name,
                    unix,
                    relative: unix.saturating_sub(now),
                };
                times.push(claim);
                found[place] = Some(claim);
            }
            Err(why) => {
                if name != "auth_time" {
                    unusable = true;
                }
                warnings.push(Warning::new(
                    "invalid_time_claim",
                    format!(
                        "{name} {why}; RFC 7519 requires a NumericDate (seconds since 1970), so verifiers \
                         reject this token. Fix the issuer."
                    ),
                ));
            }
        }
    }
    // (A test holds TIME_CLAIMS to this order.)
    let [iat, nbf, exp, _] = found;

    if let Some(iat) = iat
        && iat.unix > now
    {
        warnings.push(Warning::put_together(
            "iat_in_future",
            message(&[
                Text("iat is "),
                Duration(iat.relative),
                Text(" in the future"),
                Within(iat.relative, leeway),
                Text(
                    ": the issuer's clock is ahead of this one (or this one is behind). \
                     Check NTP on both machines; --leeway tolerates small skew.",
                ),
            ]),
        ));
    }
    if let Some(nbf) = nbf
        && nbf.unix > now
    {
        warnings.push(Warning::put_together(
            "nbf_in_future",
            message(&[
                Text("nbf is "),
                Duration(nbf.relative),
                Text(" in the future"),
                Within(nbf.relative, leeway),
                Text(
                    ": the token is not usable yet. If it was just issued, a clock is skewed; \
                     check NTP, or allow --leeway.",
                ),
            ]),
        ));
    }
    if let Some(exp) = exp
        && exp.unix <= now
        && now < exp.unix.saturating_add(leeway)
    {
        warnings.push(Warning::put_together(
            "expired_within_leeway",
            message(&[
                Text("exp passed "),
                Duration(exp.relative),
                Text(" ago but is within the "),
                Duration(leeway),
                Text(
                    " leeway: accepted now, rejected by a stricter verifier. \
                     Refresh the token.",
                ),
            ]),
        ));
    }
    if exp.is_none() && claims.claim("exp").is_none() {
        warnings.push(Warning::new(
            "no_exp",
            "the token has no exp claim: it never expires, so a leaked copy works forever. \
             Issue tokens with exp (15-60 minutes for access tokens).",
        ));
    }
    let lifetime = match (iat, exp) {
        (Some(i), Some(e)) => Some(e.unix - i.unix),
        _ => None,
    };
    if let Some(l) = lifetime {
        if l < 0 {
            warnings.push(Warning::put_together(
                "exp_before_iat",
                message(&[
                    Text("exp is "),
                    Duration(l),
                    Text(" before iat: the token was dead when issued. The issuer computes exp wrongly."),
                ]),
            ));
        } else if l > LONG_LIFETIME {
            warnings.push(Warning::put_together(
                "long_lifetime",
                message(&[
                    Text("the token lives "),
                    Duration(l),
                    Text(
                        " (exp - iat), over 1h: a leaked copy stays useful that long. \
                         Prefer short-lived access tokens with a refresh flow.",
                    ),
                ]),
            ));
        }
    }

    let status = if unusable {
        Status::Invalid
    } else if exp.is_some_and(|e| now >= e.unix.saturating_add(leeway)) {
        Status::Expired
    } else if nbf.is_some_and(|n| n.unix > now.saturating_add(leeway))
        || iat.is_some_and(|i| i.unix > now.saturating_add(leeway))
    {
        Status::NotYetValid
    } else if exp.is_none() {
        Status::NoExp
    } else {
        Status::Valid
    };
    out.expires_in = exp.map(|e| e.relative);
    out.status = status;
    out.lifetime = lifetime;
}

/// Empties `warnings`, keeping the buffers of messages put together here for the thread's next
/// ones (a batch's worker reuses a report for token after token). Other messages are freed: kept
/// too, they filled every thread's spare buffers to the brim (~0.5 MiB a thread) with buffers no
/// message took again.
pub fn recycle(warnings: &mut Vec<Warning>) {
    for w in warnings.drain(..) {
        if w.plain {
            crate::spare::give(w.message.into_bytes());
        }
    }
}

/// A piece of a warning's message.
enum Piece {
    /// jwtctl's own text (never a token's: the message is written without escapes).
    Text(&'static str),
    /// Seconds, in words ([`duration_words`]).
    Duration(i64),
    /// ` (within the 1m leeway)` when a time `ahead` seconds ahead is within the leeway.
    Within(i64, i64),
}
use Piece::{Duration, Text, Within};

/// A warning's message from its pieces, in one string made the size it needs (every token
/// judged in a batch may earn one or two: no formatter, no regrowing), in a spare buffer when
/// the thread has one (a batch gives its reports' messages back: see [`recycle`]).
fn message(pieces: &[Piece]) -> Message {
    let room = pieces
        .iter()
        .map(|p| match p {
            Text(t) => t.len(),
            Duration(_) => DURATION_WORDS_MAX,
            Within(..) => " (within the  leeway)".len() + DURATION_WORDS_MAX,
        })
        .sum();
    let mut out = crate::spare::take_text(room);
    for p in pieces {
        match *p {
            Text(t) => out.push_str(t),
            Duration(secs) => push_duration_words(&mut out, secs),
            Within(ahead, leeway) => {
                if ahead <= leeway {
                    out.push_str(" (within the ");
                    push_duration_words(&mut out, leeway);
                    out.push_str(" leeway)");
                }
            }
        }
    }
    debug_assert!(crate::escape::json_plain(out.as_bytes()), "{out}");
    Message(out)
}

/// A message [`message`] put together: jwtctl's own text and numbers.
struct Message(String);

/// The `clock_skew` warning for an HTTP `Date:` header `date` seen in the input, if it is more
/// than 30 s from `now`.
pub fn clock_skew(date: i64, now: i64) -> Option<Warning> {
    let skew = date.saturating_sub(now);
    if skew.abs() <= 30 {
        return None;
    }
    let direction = if skew > 0 { "ahead of" } else { "behind" };
    Some(Warning::new(
        "clock_skew",
        format!(
            "the input's HTTP Date header ({}) is {} {direction} this clock: one of the two clocks is wrong, \
             which makes fresh tokens look expired or not yet valid. Check NTP on both machines.",
            utc(date).unwrap_or_else(|| date.to_string()),
            duration_words(skew),
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A report's warnings given back: the buffer of a message put together here is kept for
    /// the thread's next message; any other message is freed (no message takes it again).
    #[test]
    fn only_put_together_messages_are_kept() {
        let j = judge(&claims(json!({"iat": NOW + 90_061})), NOW, 0);
        let put_together = j
            .warnings
            .into_iter()
            .find(|w| w.plain)
            .expect("iat_in_future");
        let room = put_together.message.capacity();
        let other = Warning::new("weak_secret", "w".repeat(room + 100));
        recycle(&mut vec![other, put_together]);
        // (Each test runs on a thread of its own, whose spare buffers start empty.)
        assert_eq!(crate::spare::take(0).capacity(), room);
        assert_eq!(crate::spare::take(0).capacity(), 0);
    }

    /// The judge takes iat, nbf and exp from their places in TIME_CLAIMS.
    #[test]
    fn time_claims_are_in_the_order_the_judge_reads() {
        assert_eq!(TIME_CLAIMS, ["iat", "nbf", "exp", "auth_time"]);
    }

    fn claims(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => unreachable!(),
        }
    }

    fn codes(j: &Judgement) -> Vec<&str> {
        j.warnings.iter().map(|w| w.code).collect()
    }

    const NOW: i64 = 1_800_000_000;

    #[test]
    fn exactly_at_exp_is_expired() {
        let c = claims(json!({"exp": NOW}));
        assert_eq!(judge(&c, NOW, 0).status, Status::Expired);
        assert_eq!(judge(&c, NOW - 1, 0).status, Status::Valid);
        assert_eq!(judge(&c, NOW - 1, 0).expires_in, Some(1));
    }

    #[test]
    fn leeway_bounds() {
        let c = claims(json!({"exp": NOW}));
        let j = judge(&c, NOW + 59, 60);
        assert_eq!(j.status, Status::Valid);
        assert_eq!(codes(&j), ["expired_within_leeway"]);
        assert_eq!(judge(&c, NOW + 60, 60).status, Status::Expired);
        let n = claims(json!({"nbf": NOW + 60, "exp": NOW + 600}));
        assert_eq!(judge(&n, NOW, 60).status, Status::Valid);
        assert_eq!(judge(&n, NOW, 59).status, Status::NotYetValid);
        assert_eq!(codes(&judge(&n, NOW, 60)), ["nbf_in_future"]);
        let i = claims(json!({"iat": NOW + 5, "exp": NOW + 600}));
        assert_eq!(judge(&i, NOW, 0).status, Status::NotYetValid);
        assert_eq!(judge(&i, NOW, 5).status, Status::Valid);
        assert_eq!(codes(&judge(&i, NOW, 5)), ["iat_in_future"]);
    }

    #[test]
    fn lifetime_and_its_warnings() {
        let c = claims(json!({"iat": NOW - 600, "exp": NOW + 3000}));
        let j = judge(&c, NOW, 0);
        assert_eq!((j.lifetime, j.expires_in), (Some(3600), Some(3000)));
        assert!(j.warnings.is_empty());
        let long = claims(json!({"iat": NOW, "exp": NOW + 3601}));
        assert_eq!(codes(&judge(&long, NOW, 0)), ["long_lifetime"]);
        let backwards = claims(json!({"iat": NOW, "exp": NOW - 1}));
        let j = judge(&backwards, NOW, 0);
        assert_eq!(codes(&j), ["exp_before_iat"]);
        assert_eq!(j.status, Status::Expired);
    }

    /// The messages put together from pieces say exactly what they said when written with
    /// `format!`, and are marked plain (written into JSON without a search for escapes); a
    /// message holding a token's text is not.
    #[test]
    fn put_together_messages_are_whole_and_plain() {
        let message = |v: Value, now: i64, leeway: i64, code: &str| {
            let j = judge(&claims(v), now, leeway);
            let w = j.warnings.iter().find(|w| w.code == code).cloned();
            let w = w.unwrap_or_else(|| panic!("no {code} in {:?}", codes(&j)));
            assert_eq!(w.plain_message(), Some(w.message.as_str()), "{code}");
            assert!(crate::escape::json_plain(w.message.as_bytes()));
            w.message
        };
        assert_eq!(
            message(
                json!({"iat": NOW + 90_061, "exp": NOW + 99_999}),
                NOW,
                0,
                "iat_in_future"
            ),
            "iat is 1d 1h in the future: the issuer's clock is ahead of this one (or this one is \
             behind). Check NTP on both machines; --leeway tolerates small skew."
        );
        assert_eq!(
            message(
                json!({"nbf": NOW + 30, "exp": NOW + 600}),
                NOW,
                90,
                "nbf_in_future"
            ),
            "nbf is 30s in the future (within the 1m 30s leeway): the token is not usable yet. If \
             it was just issued, a clock is skewed; check NTP, or allow --leeway."
        );
        assert_eq!(
            message(json!({"exp": NOW - 61}), NOW, 3600, "expired_within_leeway"),
            "exp passed 1m 1s ago but is within the 1h leeway: accepted now, rejected by a \
             stricter verifier. Refresh the token."
        );
        assert_eq!(
            message(
                json!({"iat": NOW, "exp": NOW - 7200}),
                NOW,
                0,
                "exp_before_iat"
            ),
            "exp is 2h before iat: the token was dead when issued. The issuer computes exp wrongly."
        );
        assert_eq!(
            message(
                json!({"iat": NOW, "exp": NOW + 86_400 * 3}),
                NOW,
                0,
                "long_lifetime"
            ),
            "the token lives 3d (exp - iat), over 1h: a leaked copy stays useful that long. \
             Prefer short-lived access tokens with a refresh flow."
        );
        let j = judge(&claims(json!({"exp": "soon\u{1b}"})), NOW, 0);
        assert!(j.warnings.iter().all(|w| w.plain_message().is_none()));
        assert_eq!(codes(&j), ["invalid_time_claim"]);
    }

    #[test]
    fn missing_exp() {
        let j = judge(&claims(json!({"sub": "x"})), NOW, 0);
        assert_eq!(j.status, Status::NoExp);
        assert_eq!(codes(&j), ["no_exp"]);
        assert!(j.warnings[0].is_security());
    }

    #[test]
    fn unusable_time_claims_never_panic() {
        for bad in [
            json!("1800000000"),
            json!(-5),
            json!(1e300),
            json!(null),
            json!(true),
            json!([1]),
            json!(u64::MAX),
        ] {
            let j = judge(&claims(json!({"exp": bad.clone()})), NOW, 0);
            assert_eq!(j.status, Status::Invalid, "{bad}");
            assert_eq!(codes(&j), ["invalid_time_claim"], "{bad}");
        }
        let huge: Value =
            serde_json::from_str(r#"{"exp": 123456789012345678901234567890}"#).unwrap();
        assert_eq!(judge(&claims(huge), NOW, 0).status, Status::Invalid);
        let j = judge(&claims(json!({"exp": NOW})), i64::MAX, i64::MAX);
        assert_eq!(j.status, Status::Expired);
        assert_eq!(j.expires_in, Some(NOW - i64::MAX));
    }

    #[test]
    fn fractions_are_floored() {
        let c: Value = serde_json::from_str(r#"{"exp": 1800000000.9}"#).unwrap();
        let j = judge(&claims(c), NOW, 0);
        assert_eq!(j.status, Status::Expired);
        assert_eq!(j.time("exp").unwrap().unix, NOW);
    }

    #[test]
    fn milliseconds_are_flagged() {
        let j = judge(&claims(json!({"exp": NOW * 1000})), NOW, 0);
        assert_eq!(j.status, Status::Valid);
        assert_eq!(codes(&j), ["millisecond_timestamp"]);
        assert!(j.warnings[0].message.contains("2027-01-15T08:00:00Z"));
    }

    #[test]
    fn skew_threshold() {
        assert_eq!(clock_skew(NOW + 30, NOW), None);
        assert_eq!(clock_skew(NOW - 30, NOW), None);
        assert!(
            clock_skew(NOW + 31, NOW)
                .unwrap()
                .message
                .contains("31s ahead")
        );
        assert!(
            clock_skew(NOW - 120, NOW)
                .unwrap()
                .message
                .contains("2m behind")
        );
    }
}
