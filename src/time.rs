//! Reading and writing times and durations: `--now`, `--leeway`, `15m`, `in 14m 32s`.
//! Judging times against each other is claims.rs's job, not this module's.

use chrono::{DateTime, Local, TimeZone};
use std::cell::Cell;

/// The last second RFC 3339 can write with a four-digit year: 9999-12-31T23:59:59Z.
pub const MAX_RFC3339: i64 = 253_402_300_799;

/// `90s`, `15m`, `1h30m`, `7d`, `2w`, `1h 30m`, or a bare number of seconds.
pub fn parse_duration(s: &str) -> Result<i64, String> {
    let t = s.trim();
    if t.is_empty() {
        return Err(
            "empty duration: expected e.g. 90s, 15m, 1h30m, 7d or a number of seconds".into(),
        );
    }
    if t.bytes().all(|b| b.is_ascii_digit()) {
        return t
            .parse::<i64>()
            .map_err(|_| format!("duration '{}' is too large", crate::escape::text(t)));
    }
    let bad = || {
        format!(
            "invalid duration '{}': expected e.g. 90s, 15m, 1h30m, 7d or a number of seconds",
            crate::escape::text(t)
        )
    };
    let mut total: i64 = 0;
    let mut number: Option<i64> = None;
    for c in t.chars() {
        if let Some(d) = c.to_digit(10) {
            let n = number.unwrap_or(0);
            number = Some(
                n.checked_mul(10)
                    .and_then(|n| n.checked_add(i64::from(d)))
                    .ok_or_else(bad)?,
            );
            continue;
        }
        if c == ' ' && number.is_none() {
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 604_800,
            _ => return Err(bad()),
        };
        let n = number.take().ok_or_else(bad)?;
        total = n
            .checked_mul(unit)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(bad)?;
    }
    if number.is_some() {
        return Err(bad());
    }
    Ok(total)
}

/// `--now`: RFC 3339 (`2026-11-23T18:00:00Z`) or Unix seconds (`1800000000`).
pub fn parse_instant(s: &str) -> Result<i64, String> {
    let t = s.trim();
    if let Ok(n) = t.parse::<i64>() {
        return Ok(n);
    }
    DateTime::parse_from_rfc3339(t)
        .map(|d| d.timestamp())
        .map_err(|_| {
            format!(
                "invalid time '{}': expected RFC 3339 (2026-11-23T18:00:00Z) or Unix seconds",
                crate::escape::text(t)
            )
        })
}

/// A length of time in words, the two largest units: `14m 32s`, `3h 2m`, `2d 4h`, `0s`.
pub fn duration_words(secs: i64) -> String {
    let mut out = String::with_capacity(DURATION_WORDS_MAX);
    push_duration_words(&mut out, secs);
    out
}

/// Room for [`duration_words`] of any i64: `106751991167300d 15h`.
pub const DURATION_WORDS_MAX: usize = 24;

/// Appends [`duration_words`] of `secs` to `out` (every view writes one or more a token: no
/// string of its own for each part). Put together on the stack and appended at once: a push
/// for each number and letter cost a copy call each.
pub fn push_duration_words(out: &mut String, secs: i64) {
    let mut buf = [0u8; DURATION_WORDS_MAX];
    let mut len = 0;
    let mut rest = secs.unsigned_abs();
    if rest == 0 {
        out.push_str("0s");
        return;
    }
    let units = [(b'd', 86_400u64), (b'h', 3600), (b'm', 60), (b's', 1)];
    let mut parts = 0;
    for (name, size) in units {
        if rest >= size {
            if parts > 0 {
                buf[len] = b' ';
                len += 1;
            }
            len = put_decimal(&mut buf, len, rest / size);
            buf[len] = name;
            len += 1;
            rest %= size;
            parts += 1;
        } else if parts > 0 {
            // Keep the two parts adjacent: `1d 0h` would be noise, `1d` says it.
            break;
        }
        if parts == 2 {
            break;
        }
    }
    // SAFETY: digits, unit letters and a space: ASCII, which is UTF-8.
    out.push_str(unsafe { std::str::from_utf8_unchecked(&buf[..len]) });
}

/// Writes `n` in decimal into `buf` at `at`; where it ends. (At most 15 digits of days and a
/// part of two: `DURATION_WORDS_MAX` holds them.)
fn put_decimal(buf: &mut [u8; DURATION_WORDS_MAX], at: usize, mut n: u64) -> usize {
    let end = at + n.checked_ilog10().unwrap_or(0) as usize + 1;
    for place in buf[at..end].iter_mut().rev() {
        *place = b'0' + (n % 10) as u8;
        n /= 10;
    }
    end
}

/// `in 14m 32s`, `3h 2m ago`, or `now`, for a time `delta` seconds from now.
pub fn relative_words(delta: i64) -> String {
    let mut out = String::with_capacity(20);
    match delta {
        0 => out.push_str("now"),
        d if d > 0 => {
            out.push_str("in ");
            push_duration_words(&mut out, d);
        }
        d => {
            push_duration_words(&mut out, d);
            out.push_str(" ago");
        }
    }
    out
}

/// A Unix time as UTC RFC 3339, or None when it is outside years 0000–9999.
pub fn utc(unix: i64) -> Option<String> {
    let mut text = Vec::with_capacity(20);
    // The text is ASCII.
    push_utc(unix, &mut text)
        .then(|| String::from_utf8(text).ok())
        .flatten()
}

/// Appends [`utc`] of `unix` to `out` as its 20 ASCII bytes; false, with nothing appended, when
/// it is outside years 0000–9999. The bytes are put together in registers and appended as two
/// words and a half: bytes stored a few at a time and then read back as wider words (a returned
/// array copied onwards) wait for the stores to finish, which held 17% of the JSON writer's
/// samples (~2% of a batch run).
pub fn push_utc(unix: i64, out: &mut Vec<u8>) -> bool {
    if !(-62_167_219_200..=MAX_RFC3339).contains(&unix) {
        return false;
    }
    // A batch's tokens mostly fall on one day: the last date is kept, as its first eight bytes
    // and its last two.
    thread_local! {
        static LAST_DAY: Cell<(i64, u64, u16)> = const { Cell::new((i64::MIN, 0, 0)) };
    }
    let (days, secs) = (unix.div_euclid(86_400), unix.rem_euclid(86_400));
    let (day, mut head, mut tail) = LAST_DAY.get();
    if day != days {
        // Days since 1970 to a civil date (H. Hinnant's algorithm): much cheaper than a
        // formatter. Every field is 0..=9999 here.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        // "YYYY-MM-", then "DD".
        head = u64::from(two_digits(year / 100))
            | u64::from(two_digits(year % 100)) << 16
            | u64::from(b'-') << 32
            | u64::from(two_digits(month)) << 40
            | u64::from(b'-') << 56;
        tail = two_digits(d);
        LAST_DAY.set((days, head, tail));
    }
    // "DDTHH:MM:SSZ" as eight bytes and four.
    let hms = u64::from(two_digits(secs / 3600))
        | u64::from(b':') << 16
        | u64::from(two_digits(secs / 60 % 60)) << 24
        | u64::from(b':') << 40
        | u64::from(two_digits(secs % 60)) << 48;
    let middle = u64::from(tail) | u64::from(b'T') << 16 | hms << 24;
    let end = (hms >> 40) as u32 | u32::from(b'Z') << 24;
    out.extend_from_slice(&head.to_le_bytes());
    out.extend_from_slice(&middle.to_le_bytes());
    out.extend_from_slice(&end.to_le_bytes());
    true
}

/// `v` (0..=99) as two ASCII digits, from a table: the first in the low byte.
fn two_digits(v: i64) -> u16 {
    const PAIRS: [u16; 100] = {
        let mut t = [0; 100];
        let mut i = 0;
        while i < 100 {
            t[i] = (b'0' + (i / 10) as u8) as u16 | ((b'0' + (i % 10) as u8) as u16) << 8;
            i += 1;
        }
        t
    };
    PAIRS[v as usize % 100]
}

/// A Unix time for people: UTC RFC 3339, or the local time zone's with `--local`.
pub fn display(unix: i64, local: bool) -> Option<String> {
    if !local {
        return utc(unix);
    }
    utc(unix)?;
    Local
        .timestamp_opt(unix, 0)
        .single()
        .map(|d| d.format("%Y-%m-%dT%H:%M:%S%:z").to_string())
}

/// The HTTP `Date:` header format (RFC 9110 IMF-fixdate, which RFC 2822 parsing covers).
pub fn parse_http_date(s: &str) -> Option<i64> {
    DateTime::parse_from_rfc2822(s.trim())
        .ok()
        .map(|d| d.timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_agrees_with_chrono_across_its_range() {
        use chrono::Utc;
        let chrono_utc = |u: i64| {
            Utc.timestamp_opt(u, 0)
                .single()
                .map(|d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        };
        // ~80,000 times spread over years 0000–9999, landing on every time of day.
        let mut u: i64 = -62_167_219_200;
        while u <= MAX_RFC3339 {
            assert_eq!(utc(u), chrono_utc(u), "{u}");
            u += 3_199_999;
        }
        for u in [
            -1,
            0,
            1,
            951_782_400,
            1_709_164_800,
            1_800_000_000,
            MAX_RFC3339,
        ] {
            assert_eq!(utc(u), chrono_utc(u), "{u}");
        }
        // Runs of times on one day, hops to the next and back, and a time again at once (the
        // last day is kept).
        for base in [0, 1_800_000_000, 951_782_400 - 1] {
            for step in [
                0, 0, 1, 86_399, 86_400, 86_400, -1, -86_400, 0, 3_600, -3_600,
            ] {
                assert_eq!(utc(base + step), chrono_utc(base + step), "{base} {step}");
            }
        }
        assert_eq!(utc(MAX_RFC3339 + 1), None);
        assert_eq!(utc(-62_167_219_201), None);
        // Appended after what is there; nothing appended out of range.
        let mut out = b"x".to_vec();
        assert!(!push_utc(MAX_RFC3339 + 1, &mut out));
        assert_eq!(out, b"x");
        assert!(push_utc(1_800_000_900, &mut out));
        assert_eq!(out, b"x2027-01-15T08:15:00Z");
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90s"), Ok(90));
        assert_eq!(parse_duration("15m"), Ok(900));
        assert_eq!(parse_duration("1h30m"), Ok(5400));
        assert_eq!(parse_duration("1h 30m"), Ok(5400));
        assert_eq!(parse_duration("7d"), Ok(604_800));
        assert_eq!(parse_duration("2w"), Ok(1_209_600));
        assert_eq!(parse_duration("0"), Ok(0));
        assert_eq!(parse_duration("3600"), Ok(3600));
        for bad in [
            "",
            "m",
            "10x",
            "1h30",
            "-5s",
            "1.5h",
            "99999999999999999999s",
            "h1",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad} must be refused");
        }
    }

    #[test]
    fn instants() {
        assert_eq!(parse_instant("1800000000"), Ok(1_800_000_000));
        assert_eq!(parse_instant("2027-01-15T08:00:00Z"), Ok(1_800_000_000));
        assert_eq!(
            parse_instant("2027-01-15T09:00:00+01:00"),
            Ok(1_800_000_000)
        );
        assert!(parse_instant("yesterday").is_err());
    }

    #[test]
    fn words() {
        assert_eq!(duration_words(872), "14m 32s");
        assert_eq!(duration_words(10_920), "3h 2m");
        assert_eq!(duration_words(3600), "1h");
        assert_eq!(duration_words(86_400 + 30), "1d");
        assert_eq!(duration_words(90_000), "1d 1h");
        assert_eq!(relative_words(872), "in 14m 32s");
        assert_eq!(relative_words(-10_920), "3h 2m ago");
        assert_eq!(relative_words(0), "now");
        assert_eq!(duration_words(i64::MIN), "106751991167300d 15h");
        assert_eq!(duration_words(0), "0s");
        assert_eq!(duration_words(59), "59s");
        assert_eq!(duration_words(3661), "1h 1m");
        assert_eq!(relative_words(-1), "1s ago");
        assert_eq!(relative_words(86_400 * 400), "in 400d");
        assert_eq!(duration_words(i64::MAX), "106751991167300d 15h");
        assert_eq!(duration_words(-(86_400 * 10 + 3600 * 23)), "10d 23h");
        assert_eq!(duration_words(86_400 * 100_000 + 59), "100000d");
        assert_eq!(duration_words(600), "10m");
        assert_eq!(duration_words(3600 * 10 + 9), "10h");
        assert_eq!(duration_words(3600 * 9 + 60 * 59), "9h 59m");
        assert_eq!(duration_words(60 * 10 + 10), "10m 10s");
    }

    #[test]
    fn formatting_edges() {
        assert_eq!(utc(0).as_deref(), Some("1970-01-01T00:00:00Z"));
        assert_eq!(utc(MAX_RFC3339).as_deref(), Some("9999-12-31T23:59:59Z"));
        assert_eq!(utc(MAX_RFC3339 + 1), None);
        assert_eq!(utc(i64::MAX), None);
        assert_eq!(
            parse_http_date("Fri, 15 Jan 2027 08:00:00 GMT"),
            Some(1_800_000_000)
        );
    }
}
