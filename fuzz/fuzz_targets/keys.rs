//! The key loaders (PEM, DER, JWK, JWKS) over arbitrary bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = jwtctl::keys::parse_key_bytes(data, "fuzz");
});
