//! `jwtctl decode`: every token shown and judged, no signature check.

use super::{Clock, Failure, add_lint, each_token, inspect};
use crate::exit::Exit;
use crate::render::Output;

pub struct Options<'a> {
    pub inputs: &'a [String],
    pub strict: bool,
    pub max_token: usize,
    pub threads: usize,
}

pub fn run(opts: &Options, clock: Clock, out: &mut Output) -> Result<Exit, Failure> {
    let build = |text: &str, source| {
        let mut r = inspect(text, source, clock);
        add_lint(&mut r);
        if r.exit == Exit::Ok && opts.strict && r.has_security_warning() {
            r.exit = Exit::Policy;
            r.reasons.push("--strict: a security warning fired".into());
        }
        r
    };
    each_token(
        opts.inputs,
        opts.max_token,
        opts.threads,
        clock,
        &build,
        out,
    )
}
