//! `jwtctl encode`: make and sign a token for tests and local development.

use super::{Failure, KeySource, key_source, load_keys};
use crate::cli::{EncodeAlg, EncodeArgs};
use crate::exit::Exit;
use crate::keys::{Key, Material};
use crate::verify::{self, Alg};
use anyhow::anyhow;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

/// The one item of `items`, if there is exactly one.
fn only(mut items: impl Iterator<Item = usize>) -> Option<usize> {
    let first = items.next()?;
    items.next().is_none().then_some(first)
}

/// A token made by [`run`], and what is to be said of it on stderr.
pub struct Signed {
    /// The token, without a newline.
    pub token: String,
    /// Each a `warning:` line's text: the token was signed, but not as a user may think.
    pub warnings: Vec<String>,
}

/// Reads `encode`'s flags, loads its key and makes the token; claims read from a file or stdin
/// are at most `max_token` bytes (`--max-token-size`).
pub fn run(args: &EncodeArgs, now: i64, max_token: usize) -> Result<Signed, Failure> {
    let alg = match args.alg {
        EncodeAlg::None if !args.unsecured => {
            return Err(Failure::new(
                Exit::Usage,
                anyhow!("--alg none makes a token anyone can forge"),
                Some("add --unsecured if that is really what you want (tests only)".into()),
            ));
        }
        EncodeAlg::None => None,
        EncodeAlg::Signed(a) => Some(a),
    };
    // `--kid ''`: no kid in the header, and the key chosen as without --kid.
    let wanted_kid = args.kid.as_deref().filter(|k| !k.is_empty());
    let source = key_source(&args.keys)?;
    let secret_names_a_file = matches!(
        source,
        Some(KeySource::Secret {
            names_a_file: true,
            ..
        })
    );
    let key = match (alg, source) {
        (None, _) | (_, None) => None,
        (Some(alg), Some(source)) => {
            // (encode's keys are files and secrets: nothing is fetched.)
            let fetch = crate::keys::Fetch::new(std::time::Duration::from_secs(10), None);
            let mut keys = load_keys(source, &fetch)?;
            // The keys that can sign `alg`: a private key (a PEM bundle of a key and its
            // certificate holds two keys, one private) or a secret, of the algorithm's family.
            let signers: Vec<usize> = (0..keys.len())
                .filter(|&i| {
                    let k = &keys[i];
                    alg.fits(&k.material)
                        && (k.private_der.is_some() || matches!(k.material, Material::Hmac(_)))
                })
                .collect();
            // As verify picks: a key by the kid, else a key without a kid (verify tries those
            // when none has the token's); without --kid, the one key, or the one that can sign.
            let kidless = || signers.iter().copied().filter(|&i| keys[i].kid.is_none());
            let pick = match wanted_kid {
                Some(kid) => keys
                    .iter()
                    .position(|k| k.kid.as_deref() == Some(kid))
                    .or_else(|| only(kidless()))
                    // One public key: signing it says why it cannot.
                    .or_else(|| (keys.len() == 1 && keys[0].kid.is_none()).then_some(0)),
                None => only(0..keys.len()).or_else(|| only(signers.iter().copied())),
            };
            let i = pick.ok_or_else(|| {
                let (n, name) = (signers.len(), alg.name());
                let error = match wanted_kid {
                    _ if signers.is_empty() => anyhow!(
                        "the key file holds {} keys, none a private key that can sign {name}",
                        keys.len()
                    ),
                    Some(kid) if kidless().count() > 1 => anyhow!(
                        "no key has kid \"{}\", and {} keys without a kid can sign {name}: give \
                         a file of the one key",
                        crate::escape::text(kid),
                        kidless().count()
                    ),
                    Some(kid) => {
                        let known: Vec<String> = keys
                            .iter()
                            .filter_map(|k| k.kid.as_deref())
                            .map(|k| crate::escape::text(k).into_owned())
                            .collect();
                        anyhow!(
                            "no key has kid \"{}\" (the keys have: {}): verify would not match \
                             a token of that kid to them",
                            crate::escape::text(kid),
                            known.join(", ")
                        )
                    }
                    None if kidless().count() == n => anyhow!(
                        "the key file holds {n} keys that can sign {name}, and no kid to tell \
                         them apart: give a file of the one key"
                    ),
                    None => anyhow!(
                        "the key file holds {n} keys that can sign {name}: name the one to sign \
                         with by --kid"
                    ),
                };
                Failure::new(Exit::KeyProblem, error, None)
            })?;
            Some(keys.swap_remove(i))
        }
    };
    let when = |flag: &str, v: &Option<String>| -> Result<Option<i64>, Failure> {
        let Some(v) = v else { return Ok(None) };
        if let Ok(d) = crate::time::parse_duration(v.trim_start_matches('+')) {
            return Ok(Some(now.saturating_add(d)));
        }
        // `-1h`: an hour ago. A bare `-5` stays Unix seconds, as --now reads it.
        if let Some(ago) = v.strip_prefix('-')
            && ago.bytes().any(|b| b.is_ascii_alphabetic())
            && let Ok(d) = crate::time::parse_duration(ago)
        {
            return Ok(Some(now.saturating_sub(d)));
        }
        crate::time::parse_instant(v).map(Some).map_err(|_| {
            usage(format!(
                "{flag} takes a duration (15m, 1h30m, -1h) or an RFC 3339 time, not '{}'",
                crate::escape::text(v)
            ))
        })
    };
    let claims = match args.claims.as_deref() {
        None => None,
        Some("-") => Some(read_claims(std::io::stdin(), "stdin", max_token)?),
        Some(arg) => match arg.strip_prefix('@') {
            Some(path) => {
                let cannot = |e: std::io::Error| {
                    Failure::new(
                        Exit::BadInput,
                        anyhow!(
                            "cannot read {}: {}",
                            crate::escape::text(path),
                            super::io_reason(&e)
                        ),
                        None,
                    )
                };
                let file = std::fs::File::open(path).map_err(cannot)?;
                Some(read_claims(file, &crate::escape::text(path), max_token)?)
            }
            None => Some(arg.to_string()),
        },
    };
    // The header names the key it was signed with: --kid, else the JWK's own kid (a JWKS with
    // the key then picks it for verify by that kid, among others).
    let kid = match &args.kid {
        Some(_) => wanted_kid.map(str::to_string),
        None => key.as_ref().and_then(|k| k.kid.clone()),
    };
    encode(Options {
        claims,
        claim: &args.claim,
        header: &args.header,
        alg,
        key,
        exp: when("--exp", &args.exp)?,
        nbf: when("--nbf", &args.nbf)?,
        iat: !args.no_iat,
        kid: kid.as_deref(),
        typ: &args.typ,
        allow_weak_key: args.keys.allow_weak_key,
        secret_names_a_file,
        now,
    })
}

/// The claims' text from `from` (named `name`), refused past `max` bytes: `/dev/zero` or a log
/// named by mistake is not read into memory.
fn read_claims(from: impl std::io::Read, name: &str, max: usize) -> Result<String, Failure> {
    let bad = |e: anyhow::Error| Failure::new(Exit::BadInput, e, None);
    let bytes = super::read_at_most(from, max as u64)
        .map_err(|e| bad(anyhow!("cannot read {name}: {}", super::io_reason(&e))))?
        .ok_or_else(|| {
            Failure::new(
                Exit::BadInput,
                anyhow!("the claims in {name} are over {max} bytes (--max-token-size)"),
                Some("--max-token-size BYTES signs larger tokens".into()),
            )
        })?;
    String::from_utf8(bytes).map_err(|_| bad(anyhow!("the claims in {name} are not UTF-8 text")))
}

struct Options<'a> {
    /// The claims as JSON text already read (from the argument, `-` or `@PATH`).
    pub claims: Option<String>,
    pub claim: &'a [String],
    pub header: &'a [String],
    /// None: `--alg none` (with --unsecured).
    pub alg: Option<Alg>,
    pub key: Option<Key>,
    pub exp: Option<i64>,
    pub nbf: Option<i64>,
    pub iat: bool,
    pub kid: Option<&'a str>,
    pub typ: &'a str,
    pub allow_weak_key: bool,
    /// `--secret @PATH` naming a file: the secret is the text, which is said (`AT_FILE`).
    pub secret_names_a_file: bool,
    pub now: i64,
}

fn usage(msg: String) -> Failure {
    Failure::new(Exit::Usage, anyhow!(msg), None)
}

/// `K=V`: V as JSON when it parses as JSON, else as a string.
fn pair(kv: &str, flag: &str) -> Result<(String, Value), Failure> {
    let (k, v) = kv.split_once('=').ok_or_else(|| {
        usage(format!(
            "{flag} takes KEY=VALUE, not '{}'",
            crate::escape::text(kv)
        ))
    })?;
    if k.is_empty() {
        return Err(usage(format!(
            "{flag} '{}' has an empty name",
            crate::escape::text(kv)
        )));
    }
    let value = serde_json::from_str(v).unwrap_or_else(|_| Value::String(v.to_string()));
    Ok((k.to_string(), value))
}

/// The signed token, without a newline, and its warnings.
fn encode(opts: Options) -> Result<Signed, Failure> {
    let mut claims = match &opts.claims {
        None => Map::new(),
        Some(text) => match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(m)) => m,
            Ok(_) => {
                return Err(Failure::new(
                    Exit::BadInput,
                    anyhow!("the claims must be a JSON object"),
                    None,
                ));
            }
            Err(e) => {
                return Err(Failure::new(
                    Exit::BadInput,
                    anyhow!("the claims are not valid JSON: {e}"),
                    None,
                ));
            }
        },
    };
    for kv in opts.claim {
        let (k, v) = pair(kv, "--claim")?;
        claims.insert(k, v);
    }
    if opts.iat && !claims.contains_key("iat") {
        claims.insert("iat".into(), Value::from(opts.now));
    }
    if let Some(nbf) = opts.nbf {
        claims.insert("nbf".into(), Value::from(nbf));
    }
    if let Some(exp) = opts.exp {
        claims.insert("exp".into(), Value::from(exp));
    }

    let mut header = Map::new();
    header.insert(
        "alg".into(),
        Value::from(opts.alg.map_or("none", Alg::name)),
    );
    if !opts.typ.is_empty() {
        header.insert("typ".into(), Value::from(opts.typ));
    }
    if let Some(kid) = opts.kid {
        header.insert("kid".into(), Value::from(kid));
    }
    for kv in opts.header {
        let (k, v) = pair(kv, "--header")?;
        if k == "alg" {
            return Err(usage("--header cannot set alg: use --alg".into()));
        }
        header.insert(k, v);
    }
    let json = |m: Map<String, Value>| {
        serde_json::to_vec(&Value::Object(m))
            .map_err(|e| Failure::new(Exit::BadInput, anyhow!(e), None))
    };
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(json(header)?),
        URL_SAFE_NO_PAD.encode(json(claims)?)
    );

    let Some(alg) = opts.alg else {
        return Ok(Signed {
            token: format!("{signing_input}."),
            warnings: Vec::new(),
        });
    };
    let key = opts.key.ok_or_else(|| {
        Failure::new(
            Exit::Usage,
            anyhow!("{} needs a key", alg.name()),
            Some(if alg.is_hmac() {
                "give the secret with --secret-file PATH or --secret-env NAME".into()
            } else {
                "give the private key with --key PATH".into()
            }),
        )
    })?;
    // What the key's JWK says it is for binds signing as it binds verifying: a token signed
    // against it would be refused by the same key.
    verify::permits(&key, alg, "sign").map_err(|why| {
        Failure::new(
            Exit::KeyProblem,
            anyhow!("refusing to sign {}: {why}", alg.name()),
            None,
        )
    })?;
    let mut warnings = Vec::new();
    if opts.secret_names_a_file {
        warnings.push(format!(
            "signed with the text of --secret: {}",
            super::AT_FILE
        ));
    }
    if let Some(why) = verify::weakness(&key, alg) {
        if !opts.allow_weak_key {
            return Err(Failure::new(
                Exit::KeyProblem,
                anyhow!("refusing to sign with a weak key: {why}"),
                Some(if opts.secret_names_a_file {
                    super::AT_FILE.into()
                } else {
                    "--allow-weak-key signs anyway (for tests only)".into()
                }),
            ));
        }
        warnings.push(format!("signed with a weak key (--allow-weak-key): {why}"));
    }
    let signature = verify::sign(alg, &key, signing_input.as_bytes())
        .map_err(|e| Failure::new(Exit::KeyProblem, anyhow!(e), None))?;
    Ok(Signed {
        token: format!("{signing_input}.{signature}"),
        warnings,
    })
}
