//! ES256 through a P-256 key's table (src/p256.rs) against aws-lc's verification of the same
//! message and signature: the fuzzer's own bytes as a signature, a good signature made here, or
//! a good one with the fuzzer's bytes laid over part of it. The verdicts must be the same.
#![no_main]
use base64::Engine as _;
use jwtctl::keys::{Key, Material, parse_key_bytes};
use jwtctl::verify::{self, Alg};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

struct Keys {
    private: Key,
    public: Key,
    table: jwtctl::p256::Key,
}

fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let one = |bytes: &[u8]| parse_key_bytes(bytes, "fuzz").unwrap().remove(0);
        let public = one(include_bytes!("../../tests/fixtures/keys/ec256.pub.pem"));
        let Material::Ec { point, .. } = &public.material else {
            panic!("a P-256 key")
        };
        Keys {
            table: jwtctl::p256::Key::with_table(point).expect("a table on this target"),
            private: one(include_bytes!("../../tests/fixtures/keys/ec256.key.pem")),
            public,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&how, rest)) = data.split_first() else {
        return;
    };
    let keys = keys();
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let signed = |message: &[u8]| {
        b64.decode(verify::sign(Alg::ES256, &keys.private, message).unwrap())
            .unwrap()
    };
    let (message, signature) = match how % 3 {
        // The last 64 bytes (or fewer) as the signature.
        0 => {
            let (m, s) = rest.split_at(rest.len().saturating_sub(64));
            (m.to_vec(), s.to_vec())
        }
        1 => (rest.to_vec(), signed(rest)),
        // Up to 16 bytes laid over the good signature at a place the first byte gives.
        _ => {
            let (over, message) = rest.split_at(rest.len().min(17));
            let mut signature = signed(message);
            if let Some((&at, over)) = over.split_first() {
                let at = usize::from(at) % 64;
                for (k, b) in over.iter().enumerate() {
                    signature[(at + k) % 64] = *b;
                }
            }
            (message.to_vec(), signature)
        }
    };
    let aws = verify::check(
        Alg::ES256,
        &keys.public.material,
        &message,
        &signature,
        &b64.encode(&signature),
    );
    assert_eq!(
        keys.table.verify(&message, &signature),
        Some(aws == Ok(true)),
        "{aws:?}"
    );
});
