//! `jwtctl check-expiry`: for scripts, is each token valid and for how long, against a policy.

use super::{Batch, Failure, Judged, each_token};
use crate::claims::Status;
use crate::cli::CheckExpiryArgs;
use crate::exit::Exit;
use crate::render::Output;
use crate::time::duration_words;

pub fn run(args: &CheckExpiryArgs, batch: Batch, out: &mut Output) -> Result<Exit, Failure> {
    let clock = batch.clock;
    let judge = |r: &mut crate::report::Report| {
        let mut exit = match r.status {
            Status::Malformed => Exit::BadInput,
            Status::Encrypted => {
                r.reasons
                    .push("a JWE's claims are encrypted: its expiry cannot be read".into());
                Exit::BadInput
            }
            Status::Invalid | Status::Expired => Exit::Invalid,
            Status::NotYetValid => Exit::NotYetValid,
            Status::NoExp if args.allow_no_exp => Exit::Ok,
            Status::NoExp => {
                r.reasons
                    .push("no exp claim (--allow-no-exp accepts that)".into());
                Exit::Policy
            }
            Status::Valid | Status::Expiring => match r.expires_in() {
                Some(left) if args.min_ttl > 0 && left < args.min_ttl => {
                    r.status = Status::Expiring;
                    r.reasons.push(format!(
                        "expires within --min-ttl {}",
                        duration_words(args.min_ttl)
                    ));
                    Exit::Expiring
                }
                _ => Exit::Ok,
            },
        };
        if let Some(max) = args.max_lifetime
            && r.token.as_ref().is_some_and(|t| t.claim_set().is_some())
            && !matches!(r.status, Status::Invalid | Status::Malformed)
        {
            match r.lifetime() {
                Some(life) if life > max => {
                    r.reasons.push(format!(
                        "lifetime {} (exp - iat) is over --max-lifetime {}",
                        duration_words(life),
                        duration_words(max)
                    ));
                    exit = exit.worst(Exit::Policy);
                }
                Some(_) => {}
                None if r.expires_in().is_some() => {
                    r.reasons
                        .push("no iat claim, so --max-lifetime cannot be checked".into());
                    exit = exit.worst(Exit::Policy);
                }
                None => {}
            }
        }
        r.exit = exit;
    };
    each_token(&args.input.inputs, batch, &Judged { clock, judge }, out)
}
