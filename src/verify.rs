//! Signature checks and signing behind one interface, and the algorithm policy around them: no `none`, no
//! HMAC against a public key, raw ECDSA signatures only, a JWK's alg/use/key_ops honored, weak
//! keys refused. jsonwebtoken (aws-lc-rs backend) checks what it supports; aws-lc-rs checks
//! ES512, ES256K and legacy-size RSA directly. No caller knows which one ran.

use crate::keys::{Curve, Key, Material};
use jsonwebtoken::{Algorithm, DecodingKey};

/// The algorithms jwtctl verifies and signs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
#[allow(clippy::upper_case_acronyms)]
pub enum Alg {
    #[value(name = "HS256")]
    HS256,
    #[value(name = "HS384")]
    HS384,
    #[value(name = "HS512")]
    HS512,
    #[value(name = "RS256")]
    RS256,
    #[value(name = "RS384")]
    RS384,
    #[value(name = "RS512")]
    RS512,
    #[value(name = "PS256")]
    PS256,
    #[value(name = "PS384")]
    PS384,
    #[value(name = "PS512")]
    PS512,
    #[value(name = "ES256")]
    ES256,
    #[value(name = "ES384")]
    ES384,
    #[value(name = "ES512")]
    ES512,
    #[value(name = "ES256K")]
    ES256K,
    #[value(name = "EdDSA")]
    EdDSA,
}

pub const ALL: [Alg; 14] = [
    Alg::HS256,
    Alg::HS384,
    Alg::HS512,
    Alg::RS256,
    Alg::RS384,
    Alg::RS512,
    Alg::PS256,
    Alg::PS384,
    Alg::PS512,
    Alg::ES256,
    Alg::ES384,
    Alg::ES512,
    Alg::ES256K,
    Alg::EdDSA,
];

impl Alg {
    pub fn name(self) -> &'static str {
        match self {
            Alg::HS256 => "HS256",
            Alg::HS384 => "HS384",
            Alg::HS512 => "HS512",
            Alg::RS256 => "RS256",
            Alg::RS384 => "RS384",
            Alg::RS512 => "RS512",
            Alg::PS256 => "PS256",
            Alg::PS384 => "PS384",
            Alg::PS512 => "PS512",
            Alg::ES256 => "ES256",
            Alg::ES384 => "ES384",
            Alg::ES512 => "ES512",
            Alg::ES256K => "ES256K",
            Alg::EdDSA => "EdDSA",
        }
    }

    /// The header's `alg`, exactly as RFC 7518 spells it.
    pub fn from_name(s: &str) -> Option<Alg> {
        ALL.into_iter().find(|a| a.name() == s)
    }

    pub fn is_hmac(self) -> bool {
        matches!(self, Alg::HS256 | Alg::HS384 | Alg::HS512)
    }

    /// aws-lc's HMAC of this algorithm; None for the others.
    pub fn hmac_algorithm(self) -> Option<aws_lc_rs::hmac::Algorithm> {
        use aws_lc_rs::hmac;
        match self {
            Alg::HS256 => Some(hmac::HMAC_SHA256),
            Alg::HS384 => Some(hmac::HMAC_SHA384),
            Alg::HS512 => Some(hmac::HMAC_SHA512),
            _ => None,
        }
    }

    /// The shortest HMAC secret that is not weak: the hash's output size.
    pub fn min_secret(self) -> usize {
        match self {
            Alg::HS384 => 48,
            Alg::HS512 => 64,
            _ => 32,
        }
    }

    /// Whether a key of this material can verify this algorithm at all.
    pub fn fits(self, m: &Material) -> bool {
        matches!(
            (self, m),
            (Alg::HS256 | Alg::HS384 | Alg::HS512, Material::Hmac(_))
                | (
                    Alg::RS256 | Alg::RS384 | Alg::RS512 | Alg::PS256 | Alg::PS384 | Alg::PS512,
                    Material::Rsa { .. },
                )
                | (
                    Alg::ES256,
                    Material::Ec {
                        curve: Curve::P256,
                        ..
                    }
                )
                | (
                    Alg::ES384,
                    Material::Ec {
                        curve: Curve::P384,
                        ..
                    }
                )
                | (
                    Alg::ES512,
                    Material::Ec {
                        curve: Curve::P521,
                        ..
                    }
                )
                | (
                    Alg::ES256K,
                    Material::Ec {
                        curve: Curve::Secp256k1,
                        ..
                    }
                )
                | (Alg::EdDSA, Material::Ed25519 { .. })
        )
    }

    fn jsonwebtoken(self) -> Option<Algorithm> {
        Some(match self {
            Alg::HS256 => Algorithm::HS256,
            Alg::HS384 => Algorithm::HS384,
            Alg::HS512 => Algorithm::HS512,
            Alg::RS256 => Algorithm::RS256,
            Alg::RS384 => Algorithm::RS384,
            Alg::RS512 => Algorithm::RS512,
            Alg::PS256 => Algorithm::PS256,
            Alg::PS384 => Algorithm::PS384,
            Alg::PS512 => Algorithm::PS512,
            Alg::ES256 => Algorithm::ES256,
            Alg::ES384 => Algorithm::ES384,
            Alg::EdDSA => Algorithm::EdDSA,
            Alg::ES512 | Alg::ES256K => return None,
        })
    }
}

/// Why a key is weak, if it is: RSA under 2048 bits or with exponent 1, an HMAC secret shorter
/// than the hash.
pub fn weakness(key: &Key, alg: Alg) -> Option<String> {
    match &key.material {
        Material::Rsa { e, .. } => {
            let bits = key.material.rsa_bits().unwrap_or(0);
            let e_is_one = e.iter().rev().skip(1).all(|&b| b == 0) && e.last() == Some(&1);
            if e_is_one {
                Some("its RSA public exponent is 1, so any signature verifies".into())
            } else if let Material::Rsa { n, .. } = &key.material
                && roca_fingerprint(n)
            {
                Some("it carries the ROCA fingerprint (CVE-2017-15361): its private key can be computed".into())
            } else if bits < 2048 {
                Some(format!("it is a {bits}-bit RSA key, under 2048 bits"))
            } else {
                None
            }
        }
        Material::Hmac(s) if s.bytes().len() < alg.min_secret() => Some(format!(
            "the HMAC secret is {} bytes, shorter than the {} bytes {} needs",
            s.bytes().len(),
            alg.min_secret(),
            alg.name()
        )),
        _ => None,
    }
}

/// The ROCA test (Nemec et al., CCS 2017): moduli from the vulnerable Infineon library are,
/// modulo each of these small primes, a power of 65537. Others almost never are for all 38.
fn roca_fingerprint(n: &[u8]) -> bool {
    const PRIMES: [u32; 38] = [
        3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89,
        97, 101, 103, 107, 109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167,
    ];
    PRIMES.iter().all(|&p| {
        let residue = n
            .iter()
            .fold(0u32, |acc, &b| (acc * 256 + u32::from(b)) % p);
        let generator = 65_537 % p;
        let mut power = 1 % p;
        for _ in 0..p {
            if power == residue {
                return true;
            }
            power = power * generator % p;
        }
        false
    })
}

/// Whether a JWK's own `alg`, `use` and `key_ops` allow it to verify `alg` (`op` "verify") or
/// sign it ("sign"). Err says why not.
pub fn permits(key: &Key, alg: Alg, op: &str) -> Result<(), String> {
    if let Some(a) = &key.alg
        && a != alg.name()
    {
        return Err(format!(
            "the key is for {}, not {}",
            crate::escape::text(a),
            alg.name()
        ));
    }
    if let Some(u) = &key.use_
        && u != "sig"
    {
        return Err(format!(
            "the key's use is \"{}\", not \"sig\"",
            crate::escape::text(u)
        ));
    }
    if let Some(ops) = &key.key_ops
        && !ops.iter().any(|o| o == op)
    {
        return Err(format!("the key's key_ops do not include \"{op}\""));
    }
    Ok(())
}

/// Why an ECDSA signature of this length cannot be valid, for the report.
pub fn signature_shape_problem(alg: Alg, material: &Material, signature: &[u8]) -> Option<String> {
    if signature.is_empty() {
        return Some("the signature is empty".into());
    }
    match material {
        Material::Ec { curve, .. } if alg.fits(material) && signature.len() != 2 * curve.size() => {
            Some(format!(
                "an {} signature must be raw r||s of {} bytes, not {} bytes (DER-encoded signatures are not JWS)",
                alg.name(),
                2 * curve.size(),
                signature.len()
            ))
        }
        _ => None,
    }
}

/// Checks `signature` over `message` with `key`. `signature_b64` is the token's third segment.
/// Ok(true) verified, Ok(false) did not match, Err the check could not run.
pub fn check(
    alg: Alg,
    material: &Material,
    message: &[u8],
    signature: &[u8],
    signature_b64: &str,
) -> Result<bool, String> {
    use aws_lc_rs::signature as s;
    if !alg.fits(material) {
        return Err(format!(
            "a {} key cannot verify {}",
            material.family(),
            alg.name()
        ));
    }
    if let Material::Ec { curve, .. } = material
        && signature.len() != 2 * curve.size()
    {
        // JWS ECDSA signatures are raw r ‖ s (RFC 7518 §3.4); DER is not accepted.
        return Ok(false);
    }
    if signature.is_empty() {
        return Ok(false);
    }
    let legacy_rsa = material.rsa_bits().is_some_and(|b| b < 2048);
    match (alg.jsonwebtoken(), material) {
        (_, Material::Rsa { n, e }) if legacy_rsa => {
            let params = match alg {
                Alg::RS256 => &s::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY,
                Alg::RS512 => &s::RSA_PKCS1_1024_8192_SHA512_FOR_LEGACY_USE_ONLY,
                _ => {
                    return Err(format!(
                        "{} needs an RSA key of at least 2048 bits",
                        alg.name()
                    ));
                }
            };
            let key = s::RsaPublicKeyComponents { n, e };
            Ok(key.verify(params, message, signature).is_ok())
        }
        (Some(jwt_alg), m) => {
            let key = match m {
                Material::Hmac(secret) => DecodingKey::from_secret(secret.bytes()),
                Material::Rsa { n, e } => DecodingKey::from_rsa_raw_components(n, e),
                Material::Ec { point, .. } => DecodingKey::from_ec_der(point),
                Material::Ed25519 { x } => DecodingKey::from_ed_der(x),
            };
            jsonwebtoken::crypto::verify(signature_b64, message, &key, jwt_alg)
                .map_err(|e| format!("the key cannot verify {}: {e}", alg.name()))
        }
        (None, Material::Ec { curve, point }) => {
            let algorithm = match curve {
                Curve::P521 => &s::ECDSA_P521_SHA512_FIXED,
                Curve::Secp256k1 => &s::ECDSA_P256K1_SHA256_FIXED,
                _ => {
                    return Err(format!(
                        "a {} key cannot verify {}",
                        curve.jwk_name(),
                        alg.name()
                    ));
                }
            };
            Ok(s::UnparsedPublicKey::new(algorithm, point)
                .verify(message, signature)
                .is_ok())
        }
        (None, m) => Err(format!("a {} key cannot verify {}", m.family(), alg.name())),
    }
}

/// A key made ready once for one algorithm, so that checking many tokens parses nothing again.
pub enum Prepared {
    Public(aws_lc_rs::signature::ParsedPublicKey),
    Hmac(Box<aws_lc_rs::hmac::Key>),
    /// HS256, the common HMAC, with its pad blocks hashed once.
    Hmac256(Box<crate::hmac_sha256::Key>),
    /// ES256: aws-lc's key, and the same point for [`crate::p256`] once it has a table.
    P256(Box<(aws_lc_rs::signature::ParsedPublicKey, crate::p256::Key)>),
}

/// Prepares `material` for `alg`, or None where only [`check`] can do it (legacy-size RSA).
pub fn prepare(alg: Alg, material: &Material) -> Option<Prepared> {
    use aws_lc_rs::signature::{self as s, ParsedPublicKey};
    use aws_lc_rs::{hmac, signature::VerificationAlgorithm};
    if !alg.fits(material) {
        return None;
    }
    let public = |algorithm: &'static dyn VerificationAlgorithm, bytes: &[u8]| {
        ParsedPublicKey::new(algorithm, bytes)
            .ok()
            .map(Prepared::Public)
    };
    match material {
        Material::Hmac(secret) if alg == Alg::HS256 => Some(Prepared::Hmac256(Box::new(
            crate::hmac_sha256::Key::new(secret.bytes()),
        ))),
        Material::Hmac(secret) => alg
            .hmac_algorithm()
            .map(|algorithm| Prepared::Hmac(Box::new(hmac::Key::new(algorithm, secret.bytes())))),
        Material::Rsa { n, e } => {
            use der::Encode as _;
            if material.rsa_bits()? < 2048 {
                return None;
            }
            let key = pkcs1::RsaPublicKeyRef {
                modulus: der::asn1::UintRef::new(n).ok()?,
                public_exponent: der::asn1::UintRef::new(e).ok()?,
            };
            let der = key.to_der().ok()?;
            let params: &'static dyn VerificationAlgorithm = match alg {
                Alg::RS256 => &s::RSA_PKCS1_2048_8192_SHA256,
                Alg::RS384 => &s::RSA_PKCS1_2048_8192_SHA384,
                Alg::RS512 => &s::RSA_PKCS1_2048_8192_SHA512,
                Alg::PS256 => &s::RSA_PSS_2048_8192_SHA256,
                Alg::PS384 => &s::RSA_PSS_2048_8192_SHA384,
                _ => &s::RSA_PSS_2048_8192_SHA512,
            };
            public(params, &der)
        }
        Material::Ec {
            curve: Curve::P256,
            point,
        } if alg == Alg::ES256 => {
            let parsed = ParsedPublicKey::new(&s::ECDSA_P256_SHA256_FIXED, point).ok()?;
            Some(match crate::p256::Key::new(point) {
                Some(key) => Prepared::P256(Box::new((parsed, key))),
                None => Prepared::Public(parsed),
            })
        }
        Material::Ec { curve, point } => {
            let algorithm: &'static dyn VerificationAlgorithm = match curve {
                Curve::P256 => &s::ECDSA_P256_SHA256_FIXED,
                Curve::P384 => &s::ECDSA_P384_SHA384_FIXED,
                Curve::P521 => &s::ECDSA_P521_SHA512_FIXED,
                Curve::Secp256k1 => &s::ECDSA_P256K1_SHA256_FIXED,
            };
            public(algorithm, point)
        }
        Material::Ed25519 { x } => public(&s::ED25519, x),
    }
}

/// Checks a signature with a prepared key: true when it verifies.
pub fn check_prepared(key: &Prepared, message: &[u8], signature: &[u8]) -> bool {
    !signature.is_empty()
        && match key {
            Prepared::Hmac(k) => aws_lc_rs::hmac::verify(k, message, signature).is_ok(),
            Prepared::Hmac256(k) => k.verify(message, signature),
            Prepared::Public(k) => k.verify_sig(message, signature).is_ok(),
            Prepared::P256(k) => {
                let (aws_lc, table) = &**k;
                table
                    .verify(message, signature)
                    .unwrap_or_else(|| aws_lc.verify_sig(message, signature).is_ok())
            }
        }
}

/// Signs `message` with `key` (its private half), returning the base64url signature segment.
pub fn sign(alg: Alg, key: &crate::keys::Key, message: &[u8]) -> Result<String, String> {
    use crate::keys::PrivateDer;
    use aws_lc_rs::signature::{self as s, EcdsaKeyPair};
    use base64::Engine as _;
    use der::Decode as _;
    use jsonwebtoken::EncodingKey;
    if !alg.fits(&key.material) {
        return Err(format!(
            "a {} key cannot sign {}",
            key.material.family(),
            alg.name()
        ));
    }
    let needs_private = || {
        format!(
            "{} holds a public key, which cannot sign: give the private key (PEM PRIVATE KEY, or a JWK with \"d\")",
            crate::escape::text(&key.origin)
        )
    };
    let private = key.private_der.as_ref();
    let encoding_key = match (&key.material, private) {
        (Material::Hmac(secret), _) => EncodingKey::from_secret(secret.bytes()),
        (_, None) => return Err(needs_private()),
        (Material::Rsa { .. }, Some(PrivateDer::Pkcs1(der))) => EncodingKey::from_rsa_der(der),
        (Material::Rsa { .. }, Some(PrivateDer::Pkcs8(der))) => {
            let info = pkcs8::PrivateKeyInfoRef::from_der(der).map_err(|e| e.to_string())?;
            EncodingKey::from_rsa_der(info.private_key.as_bytes())
        }
        (Material::Ec { curve, .. }, Some(der)) => {
            let algorithm = crate::keys::signing_alg(*curve);
            let pair = match der {
                PrivateDer::Pkcs8(d) => EcdsaKeyPair::from_pkcs8(algorithm, d),
                PrivateDer::Sec1(d) => EcdsaKeyPair::from_private_key_der(algorithm, d),
                PrivateDer::Pkcs1(_) => return Err(needs_private()),
            }
            .map_err(|e| format!("invalid {} private key: {e}", curve.jwk_name()))?;
            if alg.jsonwebtoken().is_none() {
                let sig = pair
                    .sign(&aws_lc_rs::rand::SystemRandom::new(), message)
                    .map_err(|_| format!("{} signing failed", alg.name()))?;
                return Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sig.as_ref()));
            }
            let pkcs8 = pair
                .to_pkcs8v1()
                .map_err(|_| "cannot re-encode the EC private key".to_string())?;
            EncodingKey::from_ec_der(pkcs8.as_ref())
        }
        (Material::Ed25519 { .. }, Some(PrivateDer::Pkcs8(der))) => {
            s::Ed25519KeyPair::from_pkcs8(der)
                .map_err(|e| format!("invalid Ed25519 private key: {e}"))?;
            EncodingKey::from_ed_der(der)
        }
        _ => return Err(needs_private()),
    };
    let jwt_alg = alg
        .jsonwebtoken()
        .ok_or_else(|| format!("{} cannot sign with this key", alg.name()))?;
    jsonwebtoken::crypto::sign(message, &encoding_key, jwt_alg)
        .map_err(|e| format!("{} signing failed: {e}", alg.name()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_none_is_not_an_algorithm() {
        for a in ALL {
            assert_eq!(Alg::from_name(a.name()), Some(a));
        }
        for bad in ["none", "None", "NONE", "hs256", "RS1", ""] {
            assert_eq!(Alg::from_name(bad), None, "{bad}");
        }
    }

    #[test]
    fn roca_masks_match_the_published_fingerprint() {
        // The first published masks: residues mod 3, 5, 7 and 11 reachable from 65537.
        assert!(roca_fingerprint(&[1])); // 1 is 65537^0 for every prime
        assert!(!roca_fingerprint(&[0])); // 0 is never a power
        assert!(!roca_fingerprint(&[2 * 3 * 5 * 7 + 2])); // 212: residue 3 mod 11 is not in {1, 10}
    }

    #[test]
    fn hmac_never_runs_on_a_public_key() {
        let rsa = Material::Rsa {
            n: vec![0xc5; 256],
            e: vec![1, 0, 1],
        };
        assert!(!Alg::HS256.fits(&rsa));
        assert!(check(Alg::HS256, &rsa, b"m", &[0; 32], "").is_err());
    }
}
