//! The token parser, the time judge and the security lint over arbitrary text.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(token) = jwtctl::token::parse(text) else {
        return;
    };
    let _ = jwtctl::lint::lint(&token);
    if let Some(claims) = token.claims() {
        for (now, leeway) in [
            (0, 0),
            (1_800_000_000, 60),
            (i64::MAX, i64::MAX),
            (i64::MIN, 0),
        ] {
            let _ = jwtctl::claims::judge(claims, now, leeway);
        }
    }
});
