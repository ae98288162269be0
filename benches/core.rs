//! Micro-benchmarks of the pieces every token goes through: scanner, parser, time judge, lint,
//! JSON rendering, and signature checks with prepared keys. Not part of `cargo test` or CI:
//!   cargo bench --bench core
//! The whole-command benchmark against openssl and the peers is `bench/run.sh`.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use divan::{Bencher, black_box};
use jwtctl::commands::{Clock, inspect};
use jwtctl::input::{Scanner, Source};
use jwtctl::keys;
use jwtctl::render::Render;
use jwtctl::render::json::JsonLines;
use jwtctl::verify::{self, Alg};

fn main() {
    divan::main();
}

const NOW: i64 = 1_800_000_100;

/// A ~400-byte token like the ones bench/run.sh makes, signed with `alg` by `key` (a fixture).
fn token(alg: Alg, key: &str) -> String {
    let header = format!(r#"{{"alg":"{}","typ":"JWT","kid":"k1"}}"#, alg.name());
    let claims = r#"{"iss":"https://auth.example.com","sub":"user-00000042","aud":["api","web"],"scope":"read:orders write:orders","iat":1800000000,"nbf":1800000000,"exp":1800000900,"jti":"0000000000000000000000000000002a","tenant":"acme-corp"}"#;
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(claims)
    );
    let signer = &load(key)[0];
    let sig = verify::sign(alg, signer, input.as_bytes()).expect("fixture key signs");
    format!("{input}.{sig}")
}

fn load(name: &str) -> Vec<keys::Key> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    keys::load_key_file(&path).expect("fixture key loads")
}

fn source() -> Source {
    Source {
        input: "stdin",
        line: Some(1),
        header: None,
        key: None,
    }
}

fn hs256() -> String {
    token(Alg::HS256, "keys/hs256.jwk.json")
}

/// 1,000 log lines, each with a token inside: what `jwtctl decode @app.log` reads.
#[divan::bench]
fn scan_log(bencher: Bencher) {
    let t = hs256();
    let log: String = (0..1000)
        .map(|i| format!("2027-01-15T08:00:00Z INFO req={i} path=/api/orders auth=Bearer {t}\n"))
        .collect();
    bencher
        .counter(divan::counter::BytesCount::new(log.len()))
        .bench(|| {
            let mut s = Scanner::new(black_box(log.as_bytes()), "stdin", true, 1 << 20);
            let mut n = 0;
            while let Ok(Some(_)) = s.next_event() {
                n += 1;
            }
            assert_eq!(n, 1000);
        });
}

#[divan::bench]
fn parse(bencher: Bencher) {
    let t = hs256();
    bencher.bench(|| jwtctl::token::parse(black_box(&t)).is_ok());
}

#[divan::bench]
fn judge(bencher: Bencher) {
    let t = jwtctl::token::parse(&hs256()).unwrap();
    let claims = t.claims().unwrap();
    bencher.bench(|| jwtctl::claims::judge(black_box(claims), NOW, 0));
}

/// Parse, judge and header warnings: what every command starts from.
#[divan::bench]
fn inspect_token(bencher: Bencher) {
    let t = hs256();
    let clock = Clock {
        now: NOW,
        leeway: 0,
    };
    bencher.bench(|| inspect(black_box(&t).clone(), source(), clock));
}

/// The security lint, its weak-secret search remembered as over a batch.
#[divan::bench]
fn lint(bencher: Bencher) {
    let t = jwtctl::token::parse(&hs256()).unwrap();
    let weak = jwtctl::lint::WeakSecrets::new();
    jwtctl::lint::lint(&t, &weak);
    bencher.bench(|| jwtctl::lint::lint(black_box(&t), &weak));
}

/// The weak-secret search through the whole list, as for the first token of a key identity
/// (what a one-token decode of an HS256 token pays).
#[divan::bench]
fn weak_secret_search(bencher: Bencher) {
    let t = jwtctl::token::parse(&hs256()).unwrap();
    bencher.bench(|| jwtctl::lint::WeakSecrets::new().search(black_box(&t)));
}

#[divan::bench]
fn render_json(bencher: Bencher) {
    let r = inspect(
        hs256(),
        source(),
        Clock {
            now: NOW,
            leeway: 0,
        },
    );
    let mut out = Vec::with_capacity(2048);
    bencher.bench_local(|| {
        out.clear();
        JsonLines.render(black_box(&r), &mut out);
    });
}

/// Measured after `jwtctl::p256::EARNED` checks: ES256 through the key's table.
#[divan::bench(args = ["HS256", "RS256", "ES256", "EdDSA"])]
fn verify_prepared(bencher: Bencher, alg: &str) {
    let alg = Alg::from_name(alg).unwrap();
    let (private, public) = match alg {
        Alg::HS256 => ("keys/hs256.jwk.json", "keys/hs256.jwk.json"),
        Alg::RS256 => ("keys/rsa.key.pem", "keys/rsa.pub.pem"),
        Alg::ES256 => ("keys/ec256.key.pem", "keys/ec256.pub.pem"),
        _ => ("keys/ed25519.key.pem", "keys/ed25519.pub.pem"),
    };
    let t = jwtctl::token::parse(&token(alg, private)).unwrap();
    let key = verify::prepare(alg, &load(public)[0].material).expect("prepared");
    for _ in 0..=jwtctl::p256::EARNED {
        verify::check_prepared(&key, t.signing_input(), &t.signature);
    }
    bencher.bench(|| {
        assert!(verify::check_prepared(
            &key,
            black_box(t.signing_input()),
            &t.signature
        ))
    });
}

/// Sixteen HS256 tokens' HMACs under one secret: one after another, four at a time (what a
/// batch of verify does where the CPU has the SHA extensions and not AVX-512), or sixteen at a
/// time in AVX-512's lanes (where it has AVX-512).
#[divan::bench(args = ["one at a time", "four at a time", "sixteen at a time"])]
fn hs256_sixteen_macs(bencher: Bencher, how: &str) {
    let t = jwtctl::token::parse(&hs256()).unwrap();
    let m = t.signing_input();
    let key = jwtctl::hmac_sha256::Key::new(b"a secret of thirty-two bytes or more");
    bencher.bench(|| {
        let messages = black_box([m; 16]);
        match how {
            "four at a time" => {
                let fours = messages.as_chunks::<4>().0;
                let macs = fours
                    .iter()
                    .map(|four| key.macs(*four).expect("the SHA extensions"));
                macs.flatten().collect::<Vec<_>>()
            }
            "sixteen at a time" => key.macs16(&messages).expect("AVX-512").to_vec(),
            _ => messages.map(|m| key.mac(m)).to_vec(),
        }
    });
}

/// A token's payload segment (the ~350 characters of `hs256()`'s) decoded: by base64-simd (AVX2,
/// where AVX-512 VBMI is missing) or 64 characters at a time with AVX-512 VBMI.
#[divan::bench(args = ["base64-simd", "avx512vbmi"])]
fn base64url_payload(bencher: Bencher, how: &str) {
    let t = hs256();
    let payload = t.split('.').nth(1).expect("three segments").to_owned();
    jwtctl::cpu::offers(jwtctl::cpu::AVX2);
    if how == "avx512vbmi" && !jwtctl::base64url::available() {
        eprintln!("no AVX-512 VBMI here");
        return;
    }
    let mut out = Vec::with_capacity(payload.len());
    bencher.bench_local(|| {
        out.clear();
        let ok = match how {
            "avx512vbmi" => {
                jwtctl::base64url::decode_append(black_box(payload.as_bytes()), &mut out)
            }
            _ => base64_simd::URL_SAFE_NO_PAD
                .decode_append(black_box(payload.as_str()), &mut out)
                .is_ok(),
        };
        assert!(ok);
        out.len()
    });
}

/// Making a P-256 key's table (see `jwtctl::p256`): what a key pays once, after its first
/// `EARNED` tokens, for ES256's `verify_prepared` to run at the speed it shows above.
#[divan::bench]
fn es256_key_table(bencher: Bencher) {
    let key = &load("keys/ec256.pub.pem")[0];
    let keys::Material::Ec { point, .. } = &key.material else {
        panic!("a P-256 key")
    };
    bencher.bench(|| jwtctl::p256::Key::with_table(black_box(point)).is_some());
}
