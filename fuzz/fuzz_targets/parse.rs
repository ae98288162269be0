//! The token parser, the time judge and the security lint over arbitrary text; the judge reads
//! the claims both without a tree (plain payloads) and from the tree, and must agree.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(token) = jwtctl::token::parse(text) else {
        return;
    };
    let _ = jwtctl::lint::lint(&token, &jwtctl::lint::WeakSecrets::new());
    if let Some(set) = token.claim_set() {
        for (now, leeway) in [
            (0, 0),
            (1_800_000_000, 60),
            (i64::MAX, i64::MAX),
            (i64::MIN, 0),
        ] {
            let fast = jwtctl::claims::judge(set, now, leeway);
            let tree = jwtctl::claims::judge(set.map(), now, leeway);
            assert_eq!(format!("{fast:?}"), format!("{tree:?}"));
        }
    }
});
