//! Loading keys: PEM (SPKI, PKCS#1, PKCS#8, SEC1, X.509), DER, JWK, JWKS, HMAC secrets, and
//! JWKS or OpenID discovery documents over HTTP. Every key ends as one normalized [`Key`].

use anyhow::{Context as _, Result, anyhow, bail};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use der::Decode as _;
use der::asn1::ObjectIdentifier;
use serde_json::{Map, Value};
use std::fmt;
use std::time::Duration;

const RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const RSA_PSS: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.10");
const EC: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
const P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
const P521: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.35");
const SECP256K1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.10");

/// The most a key file, JWKS or discovery document may weigh.
const MAX_KEY_BYTES: u64 = 4 * 1024 * 1024;

/// Bytes that must never be shown: Debug prints only the length, and they are wiped on drop.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Vec<u8>);

impl Secret {
    pub fn new(bytes: Vec<u8>) -> Self {
        Secret(bytes)
    }

    pub fn bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret(<{} bytes, redacted>)", self.0.len())
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        for b in self.0.iter_mut() {
            // Volatile so the wipe is not optimized away.
            unsafe { std::ptr::write_volatile(b, 0) };
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Curve {
    P256,
    P384,
    P521,
    Secp256k1,
}

impl Curve {
    /// The size of one coordinate (and of r and s in a signature).
    pub fn size(self) -> usize {
        match self {
            Curve::P256 | Curve::Secp256k1 => 32,
            Curve::P384 => 48,
            Curve::P521 => 66,
        }
    }

    pub fn jwk_name(self) -> &'static str {
        match self {
            Curve::P256 => "P-256",
            Curve::P384 => "P-384",
            Curve::P521 => "P-521",
            Curve::Secp256k1 => "secp256k1",
        }
    }

    fn from_oid(oid: &ObjectIdentifier) -> Result<Curve> {
        Ok(match *oid {
            P256 => Curve::P256,
            P384 => Curve::P384,
            P521 => Curve::P521,
            SECP256K1 => Curve::Secp256k1,
            other => bail!("unsupported elliptic curve (OID {other})"),
        })
    }

    fn from_jwk(name: &str) -> Result<Curve> {
        Ok(match name {
            "P-256" => Curve::P256,
            "P-384" => Curve::P384,
            "P-521" => Curve::P521,
            "secp256k1" => Curve::Secp256k1,
            other => bail!("unsupported curve \"{}\"", crate::escape::text(other)),
        })
    }
}

/// The public part of a key (or the secret of an HMAC key), normalized.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Material {
    Rsa {
        n: Vec<u8>,
        e: Vec<u8>,
    },
    /// An uncompressed SEC1 point: 0x04 ‖ x ‖ y.
    Ec {
        curve: Curve,
        point: Vec<u8>,
    },
    Ed25519 {
        x: Vec<u8>,
    },
    Hmac(Secret),
}

impl Material {
    pub fn family(&self) -> &'static str {
        match self {
            Material::Rsa { .. } => "RSA",
            Material::Ec { curve, .. } => curve.jwk_name(),
            Material::Ed25519 { .. } => "Ed25519",
            Material::Hmac(_) => "HMAC secret",
        }
    }

    /// RSA modulus size in bits.
    pub fn rsa_bits(&self) -> Option<usize> {
        match self {
            Material::Rsa { n, .. } => {
                let n = strip_zeros(n);
                Some(n.len() * 8 - n.first().map_or(8, |b| b.leading_zeros() as usize))
            }
            _ => None,
        }
    }
}

fn strip_zeros(b: &[u8]) -> &[u8] {
    let first = b.iter().position(|&x| x != 0).unwrap_or(b.len());
    &b[first..]
}

/// One key that may verify tokens, with what its JWK said about its use.
#[derive(Debug, Clone)]
pub struct Key {
    pub material: Material,
    pub kid: Option<String>,
    /// A JWK's `alg`: the only algorithm this key may verify.
    pub alg: Option<String>,
    /// A JWK's `use`.
    pub use_: Option<String>,
    /// A JWK's `key_ops`.
    pub key_ops: Option<Vec<String>>,
    /// Where the key came from, for reports: a path, a URL, `--secret-env NAME`.
    pub origin: String,
    /// The private key as PKCS#8 or SEC1/PKCS#1 DER, kept for signing (encode).
    pub private_der: Option<PrivateDer>,
}

/// A private key in the DER form it came in.
#[derive(Clone, PartialEq, Eq)]
pub enum PrivateDer {
    Pkcs8(Vec<u8>),
    Pkcs1(Vec<u8>),
    Sec1(Vec<u8>),
}

impl fmt::Debug for PrivateDer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PrivateDer(<redacted>)")
    }
}

impl Key {
    fn new(material: Material, origin: &str) -> Key {
        Key {
            material,
            kid: None,
            alg: None,
            use_: None,
            key_ops: None,
            origin: origin.to_string(),
            private_der: None,
        }
    }

    /// `kid k1 from jwks.json`, or just the origin.
    pub fn describe(&self) -> String {
        match &self.kid {
            Some(kid) => format!(
                "kid {} from {}",
                crate::escape::text(kid),
                crate::escape::text(&self.origin)
            ),
            None => format!(
                "{} key from {}",
                self.material.family(),
                crate::escape::text(&self.origin)
            ),
        }
    }
}

fn b64url(field: &str, v: &str) -> Result<Vec<u8>> {
    URL_SAFE_NO_PAD
        .decode(v.trim_end_matches('='))
        .map_err(|_| anyhow!("JWK member \"{field}\" is not valid base64url"))
}

fn str_member<'a>(jwk: &'a Map<String, Value>, name: &str) -> Result<Option<&'a str>> {
    match jwk.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => bail!("JWK member \"{name}\" must be a string"),
    }
}

fn required<'a>(jwk: &'a Map<String, Value>, name: &str) -> Result<&'a str> {
    str_member(jwk, name)?.ok_or_else(|| anyhow!("JWK is missing \"{name}\""))
}

/// One JWK (RFC 7517) as a key.
pub fn parse_jwk(jwk: &Map<String, Value>, origin: &str) -> Result<Key> {
    let kty = required(jwk, "kty")?;
    let material = match kty {
        "RSA" => {
            let n = b64url("n", required(jwk, "n")?)?;
            let e = b64url("e", required(jwk, "e")?)?;
            if strip_zeros(&n).is_empty() || strip_zeros(&e).is_empty() {
                bail!("RSA JWK has an empty modulus or exponent");
            }
            Material::Rsa { n, e }
        }
        "EC" => {
            let curve = Curve::from_jwk(required(jwk, "crv")?)?;
            let x = b64url("x", required(jwk, "x")?)?;
            let y = b64url("y", required(jwk, "y")?)?;
            if x.len() != curve.size() || y.len() != curve.size() {
                bail!(
                    "EC JWK coordinates must be {} bytes each for {} (x has {}, y has {})",
                    curve.size(),
                    curve.jwk_name(),
                    x.len(),
                    y.len()
                );
            }
            let mut point = Vec::with_capacity(1 + 2 * curve.size());
            point.push(4);
            point.extend_from_slice(&x);
            point.extend_from_slice(&y);
            Material::Ec { curve, point }
        }
        "OKP" => {
            let crv = required(jwk, "crv")?;
            if crv != "Ed25519" {
                bail!(
                    "unsupported OKP curve \"{}\" (only Ed25519 signs JWTs here)",
                    crate::escape::text(crv)
                );
            }
            let x = b64url("x", required(jwk, "x")?)?;
            if x.len() != 32 {
                bail!("Ed25519 JWK \"x\" must be 32 bytes, not {}", x.len());
            }
            Material::Ed25519 { x }
        }
        "oct" => Material::Hmac(Secret::new(b64url("k", required(jwk, "k")?)?)),
        other => bail!("unsupported JWK kty \"{}\"", crate::escape::text(other)),
    };
    let private_der = match (&material, str_member(jwk, "d")?) {
        (_, None) | (Material::Hmac(_), _) => None,
        (m, Some(d)) => Some(jwk_private_der(m, jwk, &b64url("d", d)?)?),
    };
    let mut key = Key::new(material, origin);
    key.private_der = private_der;
    key.kid = str_member(jwk, "kid")?.map(str::to_string);
    key.alg = str_member(jwk, "alg")?.map(str::to_string);
    key.use_ = str_member(jwk, "use")?.map(str::to_string);
    key.key_ops = match jwk.get("key_ops") {
        None => None,
        Some(Value::Array(a)) => Some(
            a.iter()
                .map(|v| {
                    v.as_str()
                        .map(str::to_string)
                        .ok_or_else(|| anyhow!("JWK key_ops must be strings"))
                })
                .collect::<Result<_>>()?,
        ),
        Some(_) => bail!("JWK member \"key_ops\" must be an array"),
    };
    Ok(key)
}

/// The private half of a JWK as DER, for signing.
fn jwk_private_der(material: &Material, jwk: &Map<String, Value>, d: &[u8]) -> Result<PrivateDer> {
    use aws_lc_rs::signature::{EcdsaKeyPair, Ed25519KeyPair};
    let invalid =
        |what: &str| anyhow!("the JWK's private key (\"d\") does not match its public {what}");
    match material {
        Material::Ec { curve, point } => {
            let pair = EcdsaKeyPair::from_private_key_and_public_key(signing_alg(*curve), d, point)
                .map_err(|_| invalid("point"))?;
            let doc = pair.to_pkcs8v1().map_err(|_| invalid("point"))?;
            Ok(PrivateDer::Pkcs8(doc.as_ref().to_vec()))
        }
        Material::Ed25519 { x } => {
            let pair =
                Ed25519KeyPair::from_seed_and_public_key(d, x).map_err(|_| invalid("key"))?;
            let doc = pair.to_pkcs8().map_err(|_| invalid("key"))?;
            Ok(PrivateDer::Pkcs8(doc.as_ref().to_vec()))
        }
        Material::Rsa { n, e } => {
            use der::Encode as _;
            let member = |name: &str| -> Result<Vec<u8>> {
                b64url(
                    name,
                    required(jwk, name)
                        .map_err(|_| anyhow!("an RSA private JWK needs p, q, dp, dq and qi"))?,
                )
            };
            let (p, q, dp, dq, qi) = (
                member("p")?,
                member("q")?,
                member("dp")?,
                member("dq")?,
                member("qi")?,
            );
            fn uint(b: &[u8]) -> Result<der::asn1::UintRef<'_>> {
                der::asn1::UintRef::new(b)
                    .map_err(|_| anyhow!("an RSA JWK member is not a valid integer"))
            }
            let key = pkcs1::RsaPrivateKeyRef {
                modulus: uint(n)?,
                public_exponent: uint(e)?,
                private_exponent: uint(d)?,
                prime1: uint(&p)?,
                prime2: uint(&q)?,
                exponent1: uint(&dp)?,
                exponent2: uint(&dq)?,
                coefficient: uint(&qi)?,
                other_prime_infos: None,
            };
            let der = key
                .to_der()
                .map_err(|e| anyhow!("cannot encode the RSA private key ({e})"))?;
            aws_lc_rs::signature::RsaKeyPair::from_der(&der).map_err(|_| invalid("modulus"))?;
            Ok(PrivateDer::Pkcs1(der))
        }
        Material::Hmac(_) => Err(anyhow!("an oct JWK has no private part")),
    }
}

/// A JWKS (`{"keys": [...]}`). Keys of a type jwtctl cannot use are skipped, and said so in
/// the error when nothing usable remains. Duplicate kids and mixed private/public sets are refused.
pub fn parse_jwks(set: &Map<String, Value>, origin: &str) -> Result<Vec<Key>> {
    let Some(Value::Array(entries)) = set.get("keys") else {
        bail!("{origin}: a JWKS needs a \"keys\" array");
    };
    // Ambiguity is judged on the set as published, before any key is parsed or skipped.
    let mut kids: Vec<&str> = entries
        .iter()
        .filter_map(|e| e.get("kid")?.as_str())
        .collect();
    kids.sort_unstable();
    if let Some(w) = kids.windows(2).find(|w| w[0] == w[1]) {
        bail!(
            "{origin}: two keys share kid \"{}\": which one signed a token would be ambiguous",
            crate::escape::text(w[0])
        );
    }
    let secret =
        |e: &&Value| e.get("d").is_some() || e.get("kty").and_then(Value::as_str) == Some("oct");
    let private = entries.iter().filter(secret).count();
    if private > 0 && private < entries.len() {
        bail!(
            "{origin}: the JWKS mixes secret or private keys with public keys; a verifier's set must be \
             all public keys, or all HMAC secrets"
        );
    }
    let mut keys = Vec::new();
    let mut skipped = Vec::new();
    for (i, entry) in entries.iter().enumerate() {
        let Value::Object(jwk) = entry else {
            bail!("{origin}: key {} of the JWKS is not a JSON object", i + 1);
        };
        match parse_jwk(jwk, origin) {
            Ok(k) => keys.push(k),
            Err(e) => skipped.push(format!("key {}: {e:#}", i + 1)),
        }
    }
    if keys.is_empty() {
        if skipped.is_empty() {
            bail!("{origin}: the JWKS holds no keys");
        }
        bail!(
            "{origin}: no usable key in the JWKS ({})",
            skipped.join("; ")
        );
    }
    Ok(keys)
}

/// A JSON document that is a JWK or a JWKS.
pub fn parse_json_keys(bytes: &[u8], origin: &str) -> Result<Vec<Key>> {
    let v: Value =
        serde_json::from_slice(bytes).map_err(|e| anyhow!("{origin}: not valid JSON ({e})"))?;
    let Value::Object(m) = v else {
        bail!("{origin}: a JWK or JWKS must be a JSON object");
    };
    if m.contains_key("keys") {
        parse_jwks(&m, origin)
    } else {
        parse_jwk(&m, origin)
            .map(|k| vec![k])
            .with_context(|| origin.to_string())
    }
}

/// `--key PATH`: PEM, DER, JWK or JWKS, detected from the content.
pub fn load_key_file(path: &str) -> Result<Vec<Key>> {
    let bytes = read_bounded(path, "key file")?;
    parse_key_bytes(&bytes, path)
}

/// The bytes of the file at `path`, `what` (a "key file", a "secret file"): at most 4 MiB, so
/// that `/dev/zero` or a log named by mistake is refused instead of read into memory.
pub fn read_bounded(path: &str, what: &str) -> Result<Vec<u8>> {
    let cannot = |e: std::io::Error| {
        anyhow!(
            "cannot read {what} {}: {}",
            crate::escape::text(path),
            crate::commands::io_reason(&e)
        )
    };
    let file = std::fs::File::open(path).map_err(cannot)?;
    crate::commands::read_at_most(file, MAX_KEY_BYTES)
        .map_err(cannot)?
        .ok_or_else(|| {
            anyhow!(
                "{}: over {} MiB, not a {what}",
                crate::escape::text(path),
                MAX_KEY_BYTES >> 20
            )
        })
}

pub fn parse_key_bytes(bytes: &[u8], origin: &str) -> Result<Vec<Key>> {
    let text = without_bom(bytes);
    if text.trim_ascii_start().starts_with(b"{") {
        return parse_json_keys(text, origin);
    }
    // PEM after words, as `openssl x509 -text` writes a certificate.
    if memchr::memmem::find(text, b"-----BEGIN ").is_some() {
        return parse_pem(text, origin);
    }
    parse_der(bytes, origin).map(|k| vec![k])
}

/// Text without the byte order mark some editors put first (Windows Notepad's UTF-8).
fn without_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

fn parse_pem(bytes: &[u8], origin: &str) -> Result<Vec<Key>> {
    let blocks = pem::parse_many(bytes).map_err(|e| anyhow!("{origin}: not valid PEM ({e})"))?;
    let mut keys = Vec::new();
    let mut seen_cert = false;
    for block in &blocks {
        let der = block.contents();
        let key = match block.tag() {
            "PUBLIC KEY" => from_spki(der, origin),
            "RSA PUBLIC KEY" => from_pkcs1_public(der, origin),
            "CERTIFICATE" => {
                // In a chain only the first (leaf) certificate's key signs tokens.
                if seen_cert {
                    continue;
                }
                seen_cert = true;
                from_certificate(der, origin)
            }
            "PRIVATE KEY" => from_pkcs8(der, origin),
            "RSA PRIVATE KEY" => from_pkcs1_private(der, origin),
            "EC PRIVATE KEY" => from_sec1(der, None, origin),
            "EC PARAMETERS" => continue,
            "ENCRYPTED PRIVATE KEY" => bail!(
                "{origin}: the private key is encrypted; decrypt it first (openssl pkey -in KEY -out PLAIN)"
            ),
            other => bail!(
                "{origin}: unsupported PEM block \"{}\"",
                crate::escape::text(other)
            ),
        };
        keys.push(key.map_err(|e| anyhow!("{origin}: {} block: {e:#}", block.tag()))?);
    }
    if keys.is_empty() {
        bail!("{origin}: no key in the PEM file");
    }
    Ok(keys)
}

fn parse_der(der: &[u8], origin: &str) -> Result<Key> {
    type Parser = fn(&[u8], &str) -> Result<Key>;
    let attempts: [Parser; 5] = [
        from_spki,
        from_pkcs8,
        from_certificate,
        from_pkcs1_private,
        from_pkcs1_public,
    ];
    for parse in attempts {
        if let Ok(k) = parse(der, origin) {
            return Ok(k);
        }
    }
    if let Ok(k) = from_sec1(der, None, origin) {
        return Ok(k);
    }
    bail!(
        "{origin}: not a key jwtctl can read (looked for PEM, DER SPKI/PKCS#8/PKCS#1/SEC1/X.509, a JWK or a JWKS)"
    )
}

fn from_spki(der: &[u8], origin: &str) -> Result<Key> {
    let spki = spki::SubjectPublicKeyInfoRef::from_der(der)
        .map_err(|e| anyhow!("not an SPKI public key ({e})"))?;
    let bits = spki
        .subject_public_key
        .as_bytes()
        .ok_or_else(|| anyhow!("public key bit string is not whole bytes"))?;
    let material = match spki.algorithm.oid {
        RSA | RSA_PSS => return from_pkcs1_public(bits, origin),
        EC => {
            let params = spki
                .algorithm
                .parameters
                .ok_or_else(|| anyhow!("EC key without a named curve"))?;
            let oid: ObjectIdentifier = params
                .decode_as()
                .map_err(|_| anyhow!("EC key without a named curve"))?;
            ec_point(Curve::from_oid(&oid)?, bits)?
        }
        ED25519 => {
            if bits.len() != 32 {
                bail!("Ed25519 public key must be 32 bytes, not {}", bits.len());
            }
            Material::Ed25519 { x: bits.to_vec() }
        }
        other => bail!("unsupported public key algorithm (OID {other})"),
    };
    Ok(Key::new(material, origin))
}

fn ec_point(curve: Curve, point: &[u8]) -> Result<Material> {
    if point.len() != 1 + 2 * curve.size() || point[0] != 4 {
        bail!(
            "EC public key must be an uncompressed {} point",
            curve.jwk_name()
        );
    }
    Ok(Material::Ec {
        curve,
        point: point.to_vec(),
    })
}

fn from_pkcs1_public(der: &[u8], origin: &str) -> Result<Key> {
    let k = pkcs1::RsaPublicKeyRef::from_der(der)
        .map_err(|e| anyhow!("not a PKCS#1 RSA public key ({e})"))?;
    Ok(Key::new(
        Material::Rsa {
            n: k.modulus.as_bytes().to_vec(),
            e: k.public_exponent.as_bytes().to_vec(),
        },
        origin,
    ))
}

fn from_pkcs1_private(der: &[u8], origin: &str) -> Result<Key> {
    let k = pkcs1::RsaPrivateKeyRef::from_der(der)
        .map_err(|e| anyhow!("not a PKCS#1 RSA private key ({e})"))?;
    let mut key = Key::new(
        Material::Rsa {
            n: k.modulus.as_bytes().to_vec(),
            e: k.public_exponent.as_bytes().to_vec(),
        },
        origin,
    );
    key.private_der = Some(PrivateDer::Pkcs1(der.to_vec()));
    Ok(key)
}

fn from_certificate(der: &[u8], origin: &str) -> Result<Key> {
    use der::Encode as _;
    let cert = x509_cert::Certificate::from_der(der)
        .map_err(|e| anyhow!("not an X.509 certificate ({e})"))?;
    let spki = cert
        .tbs_certificate()
        .subject_public_key_info()
        .to_der()
        .map_err(|e| anyhow!("certificate public key ({e})"))?;
    from_spki(&spki, origin)
}

fn from_pkcs8(der: &[u8], origin: &str) -> Result<Key> {
    let info = pkcs8::PrivateKeyInfoRef::from_der(der)
        .map_err(|e| anyhow!("not a PKCS#8 private key ({e})"))?;
    let private = info.private_key.as_bytes();
    let mut key = match info.algorithm.oid {
        RSA | RSA_PSS => from_pkcs1_private(private, origin)?,
        EC => {
            let curve = match info.algorithm.parameters {
                Some(p) => Some(Curve::from_oid(
                    &p.decode_as()
                        .map_err(|_| anyhow!("EC key without a named curve"))?,
                )?),
                None => None,
            };
            from_sec1(private, curve, origin)?
        }
        ED25519 => {
            // The private key is an OCTET STRING holding the 32-byte seed.
            let seed = <&der::asn1::OctetStringRef>::from_der(private)
                .map_err(|e| anyhow!("Ed25519 private key ({e})"))?;
            let pair = aws_lc_rs::signature::Ed25519KeyPair::from_seed_unchecked(seed.as_bytes())
                .map_err(|_| anyhow!("Ed25519 private key is not a 32-byte seed"))?;
            let x = aws_lc_rs::signature::KeyPair::public_key(&pair)
                .as_ref()
                .to_vec();
            Key::new(Material::Ed25519 { x }, origin)
        }
        other => bail!("unsupported private key algorithm (OID {other})"),
    };
    key.private_der = Some(PrivateDer::Pkcs8(der.to_vec()));
    Ok(key)
}

fn from_sec1(der: &[u8], curve: Option<Curve>, origin: &str) -> Result<Key> {
    let k = sec1::EcPrivateKey::from_der(der)
        .map_err(|e| anyhow!("not a SEC1 EC private key ({e})"))?;
    let curve = match (curve, k.parameters) {
        (Some(c), _) => c,
        (None, Some(sec1::EcParameters::NamedCurve(oid))) => Curve::from_oid(&oid)?,
        (None, None) => bail!("EC private key without a named curve"),
    };
    let point = match k.public_key {
        Some(p) => p.to_vec(),
        None => {
            let alg = signing_alg(curve);
            let pair = aws_lc_rs::signature::EcdsaKeyPair::from_private_key_der(alg, der)
                .map_err(|_| anyhow!("invalid {} private key", curve.jwk_name()))?;
            aws_lc_rs::signature::KeyPair::public_key(&pair)
                .as_ref()
                .to_vec()
        }
    };
    let mut key = Key::new(ec_point(curve, &point)?, origin);
    key.private_der = Some(PrivateDer::Sec1(der.to_vec()));
    Ok(key)
}

pub fn signing_alg(curve: Curve) -> &'static aws_lc_rs::signature::EcdsaSigningAlgorithm {
    use aws_lc_rs::signature as s;
    match curve {
        Curve::P256 => &s::ECDSA_P256_SHA256_FIXED_SIGNING,
        Curve::P384 => &s::ECDSA_P384_SHA384_FIXED_SIGNING,
        Curve::P521 => &s::ECDSA_P521_SHA512_FIXED_SIGNING,
        Curve::Secp256k1 => &s::ECDSA_P256K1_SHA256_FIXED_SIGNING,
    }
}

/// An HMAC secret from `--secret`, `--secret-file` or `--secret-env`, as text or (with
/// `--secret-base64`) base64 or base64url.
pub fn secret_key(raw: Vec<u8>, base64: bool, origin: &str) -> Result<Key> {
    let raw = Secret::new(raw);
    let bytes = if base64 {
        // Spaces and line breaks are no part of base64 (`openssl rand -base64 64` wraps its
        // output at 64 characters): left out, into a buffer wiped like the secret.
        let compact = Secret::new(
            raw.bytes()
                .iter()
                .copied()
                .filter(|b| !b.is_ascii_whitespace())
                .collect(),
        );
        let text = std::str::from_utf8(compact.bytes())
            .map_err(|_| anyhow!("{origin}: --secret-base64 needs base64 text"))?;
        let text = text.trim_end_matches('=');
        let decoded = URL_SAFE_NO_PAD
            .decode(text)
            .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(text))
            .map_err(|_| {
                anyhow!("{origin}: the secret is not valid base64 or base64url (--secret-base64)")
            })?;
        Secret::new(decoded)
    } else {
        raw
    };
    if bytes.bytes().is_empty() {
        bail!("{origin}: the secret is empty");
    }
    Ok(Key::new(Material::Hmac(bytes), origin))
}

/// How keys are fetched over the network: `--timeout`, and whom https trusts.
#[derive(Debug, Clone)]
pub struct Fetch {
    pub timeout: Duration,
    /// A PEM file of the CA certificates https trusts instead of the built-in roots, and where
    /// it was named (`--cacert`, or the `SSL_CERT_FILE` environment variable).
    pub ca_file: Option<(String, &'static str)>,
}

impl Fetch {
    /// `--cacert PATH` if given, else `$SSL_CERT_FILE` if set, else the built-in roots.
    pub fn new(timeout: Duration, cacert: Option<&str>) -> Self {
        let ca_file = match cacert {
            Some(path) => Some((path.to_string(), "--cacert")),
            None => std::env::var("SSL_CERT_FILE")
                .ok()
                .filter(|p| !p.is_empty())
                .map(|p| (p, "SSL_CERT_FILE")),
        };
        Fetch { timeout, ca_file }
    }

    /// The roots an https fetch trusts.
    fn roots(&self) -> Result<ureq::tls::RootCerts> {
        let Some((path, named_by)) = &self.ca_file else {
            return Ok(ureq::tls::RootCerts::WebPki);
        };
        let shown = crate::escape::text(path);
        let bytes = read_bounded(path, &format!("CA file ({named_by})"))?;
        let certs: Vec<ureq::tls::Certificate<'static>> = ureq::tls::parse_pem(&bytes)
            .filter_map(|item| match item {
                Ok(ureq::tls::PemItem::Certificate(c)) => Some(c),
                _ => None,
            })
            .collect();
        // What rustls can take as a root, as it will take them.
        let mut store = rustls::RootCertStore::empty();
        let (usable, _) = store.add_parsable_certificates(
            certs
                .iter()
                .map(|c| rustls::pki_types::CertificateDer::from(c.der())),
        );
        if usable == 0 {
            bail!(
                "{shown} ({named_by}): no CA certificate in it (PEM, -----BEGIN CERTIFICATE-----)"
            );
        }
        Ok(ureq::tls::RootCerts::new_with_certs(&certs))
    }
}

/// Fetches a URL with a timeout, a size cap and few redirects. Errors say what failed.
pub fn fetch(url: &str, how: &Fetch) -> Result<Vec<u8>> {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        bail!(
            "{}: only http and https URLs can be fetched",
            crate::escape::text(url)
        );
    }
    let timeout = how.timeout;
    // For an http URL too: it may redirect to https.
    let roots = how.roots()?;
    let agent = ureq::Agent::config_builder()
        .tls_config(ureq::tls::TlsConfig::builder().root_certs(roots).build())
        .timeout_global(Some(timeout))
        .max_redirects(3)
        // An https URL's redirects stay https.
        .https_only(url.starts_with("https://"))
        .http_status_as_error(false)
        .user_agent(concat!("jwtctl/", env!("CARGO_PKG_VERSION")))
        .build()
        .new_agent();
    let shown = crate::escape::text(url).into_owned();
    let response = agent
        .get(url)
        .header("Accept", "application/json")
        .call()
        .map_err(|e| {
            let why = match &e {
                ureq::Error::Timeout(_) => {
                    format!("timed out after {}s (--timeout)", timeout.as_secs())
                }
                ureq::Error::HostNotFound => "host not found (DNS)".to_string(),
                // The TLS handshake's errors come through the connection's reads and writes.
                ureq::Error::Io(io) => match io.get_ref().and_then(|e| e.downcast_ref()) {
                    Some(tls) => tls_reason(tls, how),
                    None => crate::commands::io_reason(io),
                },
                ureq::Error::Rustls(tls) => tls_reason(tls, how),
                ureq::Error::TooManyRedirects => "too many redirects".to_string(),
                ureq::Error::RequireHttpsOnly(to) => format!(
                    "it redirects to {}, not https (refused)",
                    crate::escape::text(to)
                ),
                other => other.to_string(),
            };
            anyhow!("cannot fetch {shown}: {why}")
        })?;
    let status = response.status();
    if !status.is_success() {
        bail!("cannot fetch {shown}: HTTP {status}");
    }
    crate::commands::read_at_most(response.into_body().into_reader(), MAX_KEY_BYTES)
        .map_err(|e| anyhow!("cannot fetch {shown}: {}", crate::commands::io_reason(&e)))?
        .ok_or_else(|| {
            anyhow!(
                "cannot fetch {shown}: the response is over {} MiB",
                MAX_KEY_BYTES >> 20
            )
        })
}

/// Why a TLS handshake failed, with a hint for a certificate from a CA the roots lack.
fn tls_reason(tls: &rustls::Error, how: &Fetch) -> String {
    use rustls::CertificateError::UnknownIssuer;
    let hint = match (&how.ca_file, tls) {
        (None, rustls::Error::InvalidCertificate(UnknownIssuer)) => {
            " (a private CA? trust it with --cacert PATH)"
        }
        _ => "",
    };
    format!("TLS error: {tls}{hint}")
}

/// `--jwks PATH_OR_URL`.
pub fn load_jwks(source: &str, how: &Fetch) -> Result<Vec<Key>> {
    let bytes = if source.starts_with("https://") || source.starts_with("http://") {
        fetch(source, how)?
    } else {
        read_bounded(source, "key file")?
    };
    let origin = crate::escape::text(source).into_owned();
    let v: Value = serde_json::from_slice(without_bom(&bytes))
        .map_err(|e| anyhow!("{origin}: the JWKS is not valid JSON ({e})"))?;
    let Value::Object(m) = v else {
        bail!("{origin}: a JWKS must be a JSON object with a \"keys\" array");
    };
    parse_jwks(&m, &origin)
}

/// Whether a discovery document's `jwks_uri` may be fetched for `issuer`: a URL, never a path
/// (what a server says is not to name a local file), and https when the issuer is (an http
/// `jwks_uri` would let the network choose the keys). Else why not.
fn jwks_uri_fits(issuer: &str, jwks_uri: &str) -> Result<(), &'static str> {
    if jwks_uri.starts_with("https://") {
        Ok(())
    } else if !jwks_uri.starts_with("http://") {
        Err("is not an http or https URL")
    } else if issuer.starts_with("http://") {
        Ok(())
    } else {
        Err("is http, and the issuer https")
    }
}

/// `--oidc-issuer URL`: the discovery document, then its `jwks_uri`.
pub fn load_oidc(issuer: &str, how: &Fetch) -> Result<Vec<Key>> {
    let base = issuer.trim_end_matches('/');
    let url = format!("{base}/.well-known/openid-configuration");
    let doc = fetch(&url, how)?;
    let v: Value = serde_json::from_slice(&doc).map_err(|e| {
        anyhow!(
            "{}: the discovery document is not valid JSON ({e})",
            crate::escape::text(&url)
        )
    })?;
    let Some(jwks_uri) = v.get("jwks_uri").and_then(Value::as_str) else {
        bail!(
            "{}: the discovery document has no jwks_uri",
            crate::escape::text(&url)
        );
    };
    if let Some(iss) = v.get("issuer").and_then(Value::as_str)
        && iss.trim_end_matches('/') != base
    {
        bail!(
            "{}: the discovery document names issuer {}, not {}",
            crate::escape::text(&url),
            crate::escape::text(iss),
            crate::escape::text(issuer)
        );
    }
    jwks_uri_fits(issuer, jwks_uri).map_err(|why| {
        anyhow!(
            "{}: the discovery document's jwks_uri {} {why}",
            crate::escape::text(&url),
            crate::escape::text(jwks_uri)
        )
    })?;
    load_jwks(jwks_uri, how)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ca_file_replaces_the_built_in_roots() {
        let fixture =
            |name: &str| format!("{}/tests/fixtures/keys/{name}", env!("CARGO_MANIFEST_DIR"));
        let timeout = Duration::from_secs(1);
        let built_in = Fetch {
            timeout,
            ca_file: None,
        };
        assert!(matches!(
            built_in.roots().unwrap(),
            ureq::tls::RootCerts::WebPki
        ));
        let ca = Fetch::new(timeout, Some(&fixture("tls-ca.crt.pem")));
        match ca.roots().unwrap() {
            ureq::tls::RootCerts::Specific(certs) => assert_eq!(certs.len(), 1),
            other => panic!("{other:?}"),
        }
        let no_cert = Fetch::new(timeout, Some(&fixture("ec256.key.pem")));
        assert!(
            no_cert
                .roots()
                .unwrap_err()
                .to_string()
                .contains("no CA certificate")
        );
    }

    #[test]
    fn a_discovery_document_names_keys_by_url_and_keeps_https() {
        let (https, http) = ("https://id.example", "http://127.0.0.1:8080");
        for (issuer, jwks_uri, fits) in [
            (https, "https://id.example/keys", true),
            (https, "https://elsewhere.example/keys", true),
            (https, "http://id.example/keys", false),
            (http, "http://127.0.0.1:8080/keys", true),
            (http, "https://id.example/keys", true),
            (https, "/etc/jwtctl/jwks.json", false),
            (http, "jwks.json", false),
            (http, "file:///etc/jwks.json", false),
            (https, "HTTPS://id.example/keys", false),
        ] {
            assert_eq!(
                jwks_uri_fits(issuer, jwks_uri).is_ok(),
                fits,
                "{issuer} {jwks_uri}"
            );
        }
    }

    #[test]
    fn secrets_never_show_in_debug() {
        let k = secret_key(b"hunter2-hunter2".to_vec(), false, "--secret").unwrap();
        let dbg = format!("{k:?}");
        assert!(!dbg.contains("hunter2"), "{dbg}");
        assert!(dbg.contains("redacted"));
    }

    #[test]
    fn base64_secrets() {
        let k = secret_key(b"aGVsbG_7_w".to_vec(), true, "x").unwrap();
        assert_eq!(
            k.material,
            Material::Hmac(Secret::new(b"hello\xfb\xff".to_vec()))
        );
        let k = secret_key(b"aGVsbG/7/w==".to_vec(), true, "x").unwrap();
        assert_eq!(
            k.material,
            Material::Hmac(Secret::new(b"hello\xfb\xff".to_vec()))
        );
        assert!(secret_key(b"!!".to_vec(), true, "x").is_err());
        assert!(secret_key(Vec::new(), false, "x").is_err());
        // Wrapped as `openssl rand -base64` and `base64` write it, with a trailing newline.
        for wrapped in [
            &b"aGVs\nbG/7\r\n/w==\n"[..],
            b" aGVsbG_7_w \t",
            b"aGVsbG/7/w=\n=\n",
        ] {
            let k = secret_key(wrapped.to_vec(), true, "x").unwrap();
            assert_eq!(
                k.material,
                Material::Hmac(Secret::new(b"hello\xfb\xff".to_vec()))
            );
        }
        // Spaces are never part of a text secret.
        let k = secret_key(b"a b".to_vec(), false, "x").unwrap();
        assert_eq!(k.material, Material::Hmac(Secret::new(b"a b".to_vec())));
    }

    #[test]
    fn short_or_odd_jwks_are_errors_not_panics() {
        let bad = [
            r#"{"kty":"OKP","crv":"Ed25519","x":"AA"}"#,
            r#"{"kty":"EC","crv":"P-256","x":"AA","y":"AA"}"#,
            r#"{"kty":"RSA","n":"","e":"AQAB"}"#,
            r#"{"kty":"RSA","n":"AQAB"}"#,
            r#"{"kty":"XYZ"}"#,
            r#"{"kty":"oct","k":1}"#,
            r#"[1]"#,
            r#"{"keys":[]}"#,
            r#"{"keys":{}}"#,
        ];
        for b in bad {
            assert!(parse_key_bytes(b.as_bytes(), "t").is_err(), "{b}");
        }
    }

    #[test]
    fn jwks_duplicates_and_mixtures_are_refused() {
        let dup =
            r#"{"keys":[{"kty":"oct","k":"YWFh","kid":"a"},{"kty":"oct","k":"YmJi","kid":"a"}]}"#;
        assert!(
            format!("{:#}", parse_key_bytes(dup.as_bytes(), "t").unwrap_err())
                .contains("share kid")
        );
        let ed_pub =
            r#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#;
        let ed_priv = r#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"}"#;
        let mixed = format!(r#"{{"keys":[{ed_pub},{ed_priv}]}}"#);
        assert!(
            format!("{:#}", parse_key_bytes(mixed.as_bytes(), "t").unwrap_err()).contains("mixes")
        );
        let symmetric = format!(r#"{{"keys":[{ed_pub},{{"kty":"oct","k":"YWFh"}}]}}"#);
        assert!(
            format!(
                "{:#}",
                parse_key_bytes(symmetric.as_bytes(), "t").unwrap_err()
            )
            .contains("mixes")
        );
        // A duplicate kid is refused even when one of the two keys could not be parsed.
        let dup_bad =
            r#"{"keys":[{"kty":"oct","k":"YWFh","kid":"a"},{"kty":"oct","k":"YW!h","kid":"a"}]}"#;
        assert!(
            format!(
                "{:#}",
                parse_key_bytes(dup_bad.as_bytes(), "t").unwrap_err()
            )
            .contains("share kid")
        );
    }

    #[test]
    fn rsa_bits() {
        let m = Material::Rsa {
            n: vec![0, 0x80, 0, 0],
            e: vec![1, 0, 1],
        };
        assert_eq!(m.rsa_bits(), Some(24));
    }
}
