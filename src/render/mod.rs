//! The views of a report: text for people, JSON Lines for scripts. They read, never decide.

pub mod json;
pub mod text;

use crate::exit::Exit;
use crate::report::Report;
use std::io;

/// Something wrong with an input as a whole (unreadable, no token), not with one token.
#[derive(Debug, Clone)]
pub struct Problem {
    pub message: String,
    pub hint: Option<String>,
    pub exit: Exit,
}

/// Where reports go as they are made.
pub trait Sink {
    fn report(&mut self, report: &Report) -> io::Result<()>;

    /// Problems always go to stderr as `error: …`, whatever the output format.
    fn problem(&mut self, problem: &Problem) -> io::Result<()> {
        print_error(&problem.message, problem.hint.as_deref());
        Ok(())
    }

    /// Pushes out what is buffered: called before the input blocks, so a person watching a slow
    /// stream sees each report as soon as it is made, while a fast stream is written in blocks.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        self.flush()
    }
}

/// `error: …` and an optional `hint: …` on stderr, made safe for a terminal.
pub fn print_error(message: &str, hint: Option<&str>) {
    use std::io::Write as _;
    let mut err = io::stderr().lock();
    let _ = writeln!(
        err,
        "{} {}",
        colored::Colorize::bold(colored::Colorize::red("error:")),
        crate::escape::text(message)
    );
    if let Some(h) = hint {
        let _ = writeln!(
            err,
            "{} {}",
            colored::Colorize::bold(colored::Colorize::cyan("hint:")),
            crate::escape::text(h)
        );
    }
}

/// A malformed or refused token is also an error on stderr, so a person sees it even when
/// stdout goes to a file.
fn report_error(report: &Report) {
    if report.status == crate::claims::Status::Malformed
        && let Some(e) = &report.error
    {
        print_error(&format!("{}: malformed token: {e}", report.source), None);
    }
}
