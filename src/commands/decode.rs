//! `jwtctl decode`: every token shown and judged, no signature check.

use super::{Clock, Failure, add_lint, each_token, inspect};
use crate::exit::Exit;
use crate::render::Sink;

pub struct Options<'a> {
    pub inputs: &'a [String],
    pub strict: bool,
    pub max_token: usize,
}

pub fn run(opts: &Options, clock: Clock, sink: &mut dyn Sink) -> Result<Exit, Failure> {
    let mut build = |text: &str, source| {
        let mut r = inspect(text, source, clock);
        add_lint(&mut r);
        if r.exit == Exit::Ok && opts.strict && r.has_security_warning() {
            r.exit = Exit::Policy;
            r.reasons.push("--strict: a security warning fired".into());
        }
        r
    };
    each_token(opts.inputs, opts.max_token, clock, &mut build, sink)
}
