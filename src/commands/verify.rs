//! `jwtctl verify`: the signature with a key the user named, then the claims.

use super::{Batch, Clock, Failure, KeySource, TOGETHER, each_token, key_source, load_keys};
use crate::claims::{Status, Warning};
use crate::cli::VerifyArgs;
use crate::exit::Exit;
use crate::keys::{Key, Material};
use crate::lint::{self, WeakSecrets};
use crate::render::Output;
use crate::report::Report;
use crate::token::{Kind, Payload};
use crate::verify::{self, Alg};
use serde_json::Value;
use std::time::Duration;

/// Runs verify over every token with the key source and claim policy of `args`.
pub fn run(args: &VerifyArgs, batch: Batch, out: &mut Output) -> Result<Exit, Failure> {
    let clock = batch.clock;
    let source = match key_source(&args.keys)? {
        Some(s) => s,
        None if args.jwks.is_some() => KeySource::Jwks(args.jwks.clone().unwrap_or_default()),
        None if args.oidc_issuer.is_some() => {
            KeySource::Oidc(args.oidc_issuer.clone().unwrap_or_default())
        }
        None => {
            return Err(Failure::new(
                Exit::Usage,
                anyhow::anyhow!("verify needs a key"),
                Some(
                    "name one: --key PATH (PEM, DER, JWK or JWKS), --jwks PATH_OR_URL, --oidc-issuer URL, \
                     or --secret-file PATH / --secret-env NAME for HMAC tokens"
                        .into(),
                ),
            ));
        }
    };
    // At least a second; at most a century, as good as none, which the clock's arithmetic
    // (now + timeout) holds: a larger one overflowed it.
    let timeout = Duration::from_secs(args.timeout.clamp(1, 100 * 365 * 86_400).unsigned_abs());
    let keys = load_keys(
        source,
        &crate::keys::Fetch::new(timeout, args.cacert.as_deref()),
    )?;
    // With --oidc-issuer the token's iss must be that issuer.
    let iss = match &args.oidc_issuer {
        Some(url) => vec![url.clone()],
        None => args.iss.clone(),
    };
    // Every key made ready once for every algorithm it may verify.
    let keys: Vec<Ready> = keys.into_iter().map(Ready::new).collect();
    let hs256 = the_hs256_key(&keys);
    let policy = Policy {
        keys,
        hs256,
        algs: &args.algs,
        allow_weak_key: args.keys.allow_weak_key,
        allow_no_exp: args.allow_no_exp,
        iss,
        aud: &args.aud,
        sub: &args.sub,
        require: &args.require,
        weak: WeakSecrets::new(),
        clock,
    };
    each_token(&args.input.inputs, batch, &policy, out)
}

/// A key with what is known of it before any token: its prepared verifiers and its weakness,
/// one per algorithm it may verify, and whether it is a well-known secret.
struct Ready {
    key: Key,
    prepared: Vec<(Alg, verify::Prepared)>,
    weakness: Vec<(Alg, String)>,
    well_known: bool,
    /// [`Key::describe`], said in every report it verifies (see
    /// [`crate::report::Signature::key`]).
    described: &'static crate::report::KeyDescription,
}

impl Ready {
    fn new(key: Key) -> Self {
        let permitted = || {
            verify::ALL
                .iter()
                .copied()
                .filter(|a| verify::permits(&key, *a, "verify").is_ok())
        };
        let prepared = permitted()
            .filter_map(|a| verify::prepare(a, &key.material).map(|p| (a, p)))
            .collect();
        let weakness = permitted()
            .filter(|a| a.fits(&key.material))
            .filter_map(|a| verify::weakness(&key, a).map(|w| (a, w)))
            .collect();
        let well_known =
            matches!(&key.material, Material::Hmac(s) if lint::is_well_known(s.bytes()));
        Ready {
            // Kept for the run: a few bytes a key, loaded once.
            described: crate::report::KeyDescription::leak(key.describe()),
            key,
            prepared,
            weakness,
            well_known,
        }
    }

    fn weakness(&self, alg: Alg) -> Option<&str> {
        self.weakness
            .iter()
            .find(|(a, _)| *a == alg)
            .map(|(_, w)| w.as_str())
    }
}

impl std::ops::Deref for Ready {
    type Target = Key;
    fn deref(&self) -> &Key {
        &self.key
    }
}

struct Policy<'a> {
    keys: Vec<Ready>,
    /// The place in `keys` of the one key with a prepared HS256 secret, when it is the only
    /// one: where the CPU runs several HMACs at once, a block's tokens are verified sixteen
    /// (AVX-512) or four (the SHA extensions) at a time.
    hs256: Option<usize>,
    algs: &'a [Alg],
    allow_weak_key: bool,
    allow_no_exp: bool,
    iss: Vec<String>,
    aud: &'a [String],
    sub: &'a [String],
    require: &'a [String],
    weak: WeakSecrets,
    clock: Clock,
}

/// The signature verdict: Ok(the key that verified) or the exit code and why.
type SignatureVerdict<'k> = Result<&'k Ready, (Exit, Option<bool>, String)>;

impl super::Judge for Policy<'_> {
    fn clock(&self) -> Clock {
        self.clock
    }

    fn judge(&self, r: &mut Report) {
        let lint_at = self.lint(r);
        self.finish(r, lint_at, None);
    }

    fn together(&self) -> usize {
        // The CPU is asked only here, once a block comes: not at start-up.
        match self.hs256 {
            Some(_) => crate::hmac_sha256::at_once(),
            None => 1,
        }
    }

    /// Where one secret verifies HS256 and the CPU runs several HMACs at once, the tokens'
    /// HMACs are computed together (see [`crate::hmac_sha256::at_once`]), then each report is
    /// finished as it is alone.
    fn judge_together(&self, reports: &mut [Option<Report>]) {
        let Some((key, secret)) = self.hs256_secret() else {
            for r in reports.iter_mut().flatten() {
                self.judge(r);
            }
            return;
        };
        let mut lint_at = [0; TOGETHER];
        for (r, at) in reports.iter_mut().zip(&mut lint_at) {
            if let Some(r) = r {
                *at = self.lint(r);
            }
        }
        let mut inputs: [&[u8]; TOGETHER] = [&[]; TOGETHER];
        let all_hs256 = reports.len() <= TOGETHER
            && reports.iter().zip(&mut inputs).all(|(r, input)| {
                r.as_ref()
                    .and_then(hs256_signing_input)
                    .map(|m| *input = m)
                    .is_some()
            });
        let mut macs = [[0; 32]; TOGETHER];
        let computed = all_hs256 && secret.macs_at_once(&inputs[..reports.len()], &mut macs);
        for (k, (r, at)) in reports.iter_mut().zip(lint_at).enumerate() {
            if let Some(r) = r {
                self.finish(r, at, computed.then(|| (key, macs[k])));
            }
        }
    }
}

/// A key's prepared HS256 secret, if it has one.
fn hs256_secret(key: &Ready) -> Option<&crate::hmac_sha256::Key> {
    key.prepared.iter().find_map(|(alg, p)| match (alg, p) {
        (Alg::HS256, verify::Prepared::Hmac256(secret)) => Some(&**secret),
        _ => None,
    })
}

/// The place of the one key with a prepared HS256 secret, when it is the only one.
fn the_hs256_key(keys: &[Ready]) -> Option<usize> {
    let mut secrets = keys
        .iter()
        .enumerate()
        .filter(|(_, k)| hs256_secret(k).is_some());
    let (one, _) = secrets.next()?;
    secrets.next().is_none().then_some(one)
}

/// What an HS256 JWS's HMAC is computed over, for a report of one.
fn hs256_signing_input(r: &Report) -> Option<&[u8]> {
    r.token
        .as_ref()
        .filter(|t| t.kind == Kind::Jws && t.algorithm() == Some(Alg::HS256))
        .map(crate::token::Token::signing_input)
}

/// An HS256 token's HMAC under a key, computed before its report is finished.
type Computed<'k> = Option<(&'k Ready, [u8; 32])>;

/// Adds why `key` did not verify a token to `refusals` (`key: why`, after a `; `).
fn refuse(refusals: &mut String, key: &Ready, why: impl std::fmt::Display) {
    use std::fmt::Write as _;
    if !refusals.is_empty() {
        refusals.push_str("; ");
    }
    // Room for the reason and the message's start (see `Policy::signature`) at once.
    refusals.reserve(key.described.text.len() + 96);
    // Writing to a String cannot fail.
    let _ = write!(refusals, "{}: {why}", key.described.text);
}

impl Policy<'_> {
    /// The lint's warnings but the weak-secret one, added to a read token's report; where they
    /// start (the weak-secret one is decided with the signature, and goes there).
    fn lint(&self, r: &mut Report) -> usize {
        let at = r.warnings.len();
        if let Some(t) = &r.token {
            r.warnings.extend(lint::lint_but_secret(t));
        }
        at
    }

    /// The key tokens are verified with several at a time, and its HS256 secret.
    fn hs256_secret(&self) -> Option<(&Ready, &crate::hmac_sha256::Key)> {
        let key = self.keys.get(self.hs256?)?;
        hs256_secret(key).map(|secret| (key, secret))
    }

    /// The signature and claim checks of a read and linted token (see [`Policy::lint`]);
    /// `computed` is its HMAC if it was computed already.
    fn finish(&self, r: &mut Report, lint_at: usize, computed: Computed<'_>) {
        // The report's parts, borrowed apart: the token is read where it is, not moved out.
        let Report {
            token: Some(token),
            warnings,
            signature,
            status,
            error,
            reasons,
            exit: report_exit,
            ..
        } = r
        else {
            return;
        };
        let mut exit = *report_exit;
        if token.kind == Kind::Jwe {
            signature.error =
                Some("a JWE is encrypted, not signed: jwtctl does not decrypt".into());
            *report_exit = Exit::BadInput;
            return;
        }
        match self.signature(token, warnings, computed) {
            Ok(key) => {
                signature.verified = Some(true);
                signature.key = Some(key.described);
                // Verified by the user's secret: it is well known exactly when the token's is.
                if key.well_known
                    && let Some(alg) = token.algorithm()
                {
                    warnings.insert(lint_at, lint::weak_secret_warning(alg));
                }
            }
            Err((code, verified, why)) => {
                if token.kind == Kind::Jws
                    && let Some(w) = self.weak.search(token)
                {
                    warnings.insert(lint_at, w);
                }
                signature.verified = verified;
                if *status != Status::Malformed {
                    *status = Status::Invalid;
                    error.get_or_insert_with(|| "the signature is not verified".into());
                }
                signature.error = Some(why);
                exit = exit.worst(code);
            }
        }
        if let Payload::Claims(claims) = &token.payload {
            exit = exit.worst(self.claims(status, reasons, claims));
        }
        *report_exit = exit;
    }

    fn signature(
        &self,
        token: &crate::token::Token,
        warnings: &mut Vec<Warning>,
        computed: Computed<'_>,
    ) -> SignatureVerdict<'_> {
        // No algorithm jwtctl knows is "none": any other alg is refused here, "none" with its
        // own reason.
        let Some(alg) = token.algorithm() else {
            let why = match token.alg() {
                None => "the header has no alg string".into(),
                Some(none) if none.trim().eq_ignore_ascii_case("none") => {
                    "alg \"none\" is never accepted: the token is unsigned and anyone could have made it".into()
                }
                Some(other) => format!("unsupported algorithm \"{}\"", crate::escape::text(other)),
            };
            return Err((Exit::Invalid, Some(false), why));
        };
        if let Some(crit) = token.header_get("crit") {
            let names: Vec<String> = match crit {
                Value::Array(a) if !a.is_empty() => a
                    .iter()
                    .map(|v| v.as_str().unwrap_or("?").to_string())
                    .collect(),
                _ => {
                    return Err((
                        Exit::Invalid,
                        Some(false),
                        "the header's crit must be a non-empty array of names".into(),
                    ));
                }
            };
            return Err((
                Exit::Invalid,
                Some(false),
                format!(
                    "the header's crit names {}, which jwtctl does not understand; RFC 7515 §4.1.11 requires rejecting it",
                    crate::escape::text(&names.join(", "))
                ),
            ));
        }
        if !self.algs.is_empty() && !self.algs.contains(&alg) {
            let pinned: Vec<&str> = self.algs.iter().map(|a| a.name()).collect();
            return Err((
                Exit::Invalid,
                Some(false),
                format!(
                    "alg {} is not among --alg {}",
                    alg.name(),
                    pinned.join(", ")
                ),
            ));
        }
        // The keys with the token's kid; if none has it, the keys without a kid; a token
        // without a kid tries every key. (A filter, not a list: no allocation per token.)
        let kid = token.kid();
        let named = |k: &Ready| kid.is_none_or(|kid| k.kid.as_deref() == Some(kid));
        let by_kid = self.keys.iter().any(&named);
        let candidate = |k: &&Ready| if by_kid { named(k) } else { k.kid.is_none() };
        let candidates = || self.keys.iter().filter(candidate);
        let Some(first_candidate) = candidates().next() else {
            let known: Vec<String> = self
                .keys
                .iter()
                .filter_map(|k| k.kid.as_deref())
                .map(|k| crate::escape::text(k).into_owned())
                .collect();
            return Err((
                Exit::KeyProblem,
                None,
                format!(
                    "no key has kid \"{}\" (the keys have: {})",
                    crate::escape::text(kid.unwrap_or("")),
                    known.join(", ")
                ),
            ));
        };
        if alg.is_hmac() && candidates().all(|k| !matches!(k.material, Material::Hmac(_))) {
            return Err((
                Exit::Invalid,
                Some(false),
                format!(
                    "the token says {} (HMAC) but the key given is a public key ({}): checking an HMAC with a public \
                     key is the algorithm-confusion attack, so it is refused",
                    alg.name(),
                    first_candidate.material.family()
                ),
            ));
        }
        if token.signature_len > token.signature.len() {
            return Err((
                Exit::Invalid,
                Some(false),
                format!(
                    "bad signature: it is {} bytes, longer than any JWS algorithm makes",
                    token.signature_len
                ),
            ));
        }
        // Why each candidate did not verify, as one string (not a list joined, each key
        // described again): in an audit of a rotated key most tokens come this way.
        let mut refusals = String::new();
        let mut weak_refused = false;
        let mut tried = 0;
        for key in candidates() {
            if !alg.fits(&key.material) {
                let family = key.material.family();
                refuse(
                    &mut refusals,
                    key,
                    format_args!("a {family} key cannot verify {}", alg.name()),
                );
                continue;
            }
            if let Err(why) = verify::permits(key, alg, "verify") {
                refuse(&mut refusals, key, why);
                continue;
            }
            if let Some(why) = key.weakness(alg) {
                if !self.allow_weak_key {
                    weak_refused = true;
                    refuse(&mut refusals, key, format_args!("weak key refused: {why}"));
                    continue;
                }
                warnings.push(Warning::new(
                    "weak_key",
                    format!(
                        "{} is weak: {why}. It was used because of --allow-weak-key; replace it.",
                        key.described.text
                    ),
                ));
            }
            tried += 1;
            let ready = key.prepared.iter().find(|(a, _)| *a == alg).map(|(_, p)| p);
            let outcome = match ready {
                // The HMAC this key makes of this token's signing input, computed with others'.
                Some(verify::Prepared::Hmac256(_))
                    if let Some((by, mac)) = computed
                        && alg == Alg::HS256
                        && std::ptr::eq(by, key) =>
                {
                    Ok(crate::hmac_sha256::same_tag(&mac, &token.signature))
                }
                Some(p) => Ok(verify::check_prepared(
                    p,
                    token.signing_input(),
                    &token.signature,
                )),
                None => verify::check(
                    alg,
                    &key.material,
                    token.signing_input(),
                    &token.signature,
                    token.raw.rsplit('.').next().unwrap_or(""),
                ),
            };
            match outcome {
                Ok(true) => return Ok(key),
                Ok(false) => {
                    match verify::signature_shape_problem(alg, &key.material, &token.signature) {
                        Some(why) => refuse(&mut refusals, key, why),
                        None => refuse(&mut refusals, key, "the signature does not match"),
                    }
                }
                Err(why) => refuse(&mut refusals, key, why),
            }
        }
        if tried == 0 {
            let mut why = format!("no key can verify {}: {refusals}", alg.name());
            if weak_refused {
                why.push_str(" (--allow-weak-key accepts weak keys)");
            }
            return Err((Exit::KeyProblem, None, why));
        }
        refusals.insert_str(0, "bad signature: ");
        Err((Exit::Invalid, Some(false), refusals))
    }

    /// The claim checks; reasons go into the report, the exit code comes back.
    fn claims(
        &self,
        status: &mut Status,
        reasons: &mut Vec<String>,
        claims: &crate::token::Claims,
    ) -> Exit {
        let mut exit = match *status {
            Status::Expired | Status::Invalid => Exit::Invalid,
            Status::NotYetValid => Exit::NotYetValid,
            Status::NoExp if self.allow_no_exp => Exit::Ok,
            Status::NoExp => {
                reasons.push("exp is required (--allow-no-exp accepts tokens without it)".into());
                Exit::Policy
            }
            _ => Exit::Ok,
        };
        // Most runs ask for no claim: nothing more to look at.
        if self.iss.is_empty()
            && self.aud.is_empty()
            && self.sub.is_empty()
            && self.require.is_empty()
        {
            return exit;
        }
        let text = |v: &Value| v.as_str().map(str::to_string);
        let string = |name: &str| claims.get_str(name).map(str::to_string);
        // A claim is read only when a flag asks for it.
        let mut check = |name: &str, wanted: &[String], found: &dyn Fn() -> Vec<String>| {
            if wanted.is_empty() {
                return;
            }
            let found = found();
            if !found.iter().any(|f| wanted.contains(f)) {
                let got = if found.is_empty() {
                    "it is missing".to_string()
                } else {
                    format!("it is {}", crate::escape::text(&found.join(", ")))
                };
                reasons.push(format!(
                    "{name} must be one of {}, but {got}",
                    crate::escape::text(&wanted.join(", "))
                ));
                exit = exit.worst(Exit::Invalid);
            }
        };
        check("iss", &self.iss, &|| string("iss").into_iter().collect());
        let aud = || match claims.get("aud").as_deref() {
            Some(Value::Array(a)) => a.iter().filter_map(text).collect(),
            Some(v) => text(v).into_iter().collect(),
            None => Vec::new(),
        };
        check("aud", self.aud, &aud);
        check("sub", self.sub, &|| string("sub").into_iter().collect());
        for name in self.require {
            if !claims.contains(name) {
                reasons.push(format!(
                    "required claim {} is missing",
                    crate::escape::text(name)
                ));
                exit = exit.worst(Exit::Invalid);
            }
        }
        if exit == Exit::Invalid && *status == Status::Valid {
            *status = Status::Invalid;
        }
        exit
    }
}
