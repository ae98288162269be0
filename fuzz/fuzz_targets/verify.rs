//! Signature checks of arbitrary tokens against real keys of every family: never a panic, and
//! whenever a signature verifies, the same signature with one bit flipped must not.
#![no_main]
use jwtctl::keys::{Key, parse_key_bytes};
use jwtctl::verify::{self, Alg};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn keys() -> &'static [Key] {
    static KEYS: OnceLock<Vec<Key>> = OnceLock::new();
    KEYS.get_or_init(|| {
        let files: [&[u8]; 6] = [
            include_bytes!("../../tests/fixtures/keys/rsa.pub.pem"),
            include_bytes!("../../tests/fixtures/keys/ec256.pub.pem"),
            include_bytes!("../../tests/fixtures/keys/ec521.pub.pem"),
            include_bytes!("../../tests/fixtures/keys/secp256k1.pub.pem"),
            include_bytes!("../../tests/fixtures/keys/ed25519.pub.pem"),
            include_bytes!("../../tests/fixtures/keys/hs256.jwk.json"),
        ];
        files
            .iter()
            .flat_map(|f| parse_key_bytes(f, "fuzz").unwrap())
            .collect()
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(token) = jwtctl::token::parse(text) else {
        return;
    };
    let Some(alg) = token.alg().and_then(Alg::from_name) else {
        return;
    };
    let segment = token.raw.rsplit('.').next().unwrap_or("");
    for key in keys() {
        let verdict = verify::check(
            alg,
            &key.material,
            token.signing_input(),
            &token.signature,
            segment,
        );
        if verdict == Ok(true) {
            let mut flipped = token.signature.clone();
            if let Some(last) = flipped.last_mut() {
                *last ^= 1;
            }
            let b64 = base64_url(&flipped);
            let again = verify::check(alg, &key.material, token.signing_input(), &flipped, &b64);
            assert!(
                again != Ok(true),
                "a flipped signature verified with {}",
                key.describe()
            );
        }
    }
});

fn base64_url(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}
