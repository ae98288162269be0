//! `jwtctl decode`: every token shown and judged, no signature check.

use super::{Batch, Failure, Judged, add_lint, each_token};
use crate::cli::DecodeArgs;
use crate::exit::Exit;
use crate::lint::WeakSecrets;
use crate::render::Output;

pub fn run(args: &DecodeArgs, batch: Batch, out: &mut Output) -> Result<Exit, Failure> {
    let clock = batch.clock;
    let weak = WeakSecrets::new();
    let build = Judged {
        clock,
        judge: |r: &mut crate::report::Report| {
            add_lint(r, &weak);
            if r.exit == Exit::Ok && args.strict && r.has_security_warning() {
                r.exit = Exit::Policy;
                r.reasons.push("--strict: a security warning fired".into());
            }
        },
    };
    each_token(&args.input.inputs, batch, &build, out)
}
