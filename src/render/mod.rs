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

/// A view of reports: turns one report into bytes. Pure and shareable, so batches of reports
/// can be rendered on several threads and written in input order.
pub trait Render: Sync {
    fn render(&self, report: &Report, out: &mut Vec<u8>);

    /// Whether [`Render::render_unnumbered`] can render a report before its index is known.
    fn numbers_late(&self) -> bool {
        false
    }

    /// Renders a report whose index is not known yet (for views that [`Render::numbers_late`]):
    /// where, in what was added to `out`, the index's digits belong, if this view shows it.
    fn render_unnumbered(&self, report: &Report, out: &mut Vec<u8>) -> Option<usize> {
        self.render(report, out);
        None
    }

    /// Whether errors are said on stderr (not with `--quiet`).
    fn speaks(&self) -> bool {
        true
    }
}

/// Where rendered reports go: stdout for the report, stderr for errors, in input order.
pub struct Output<'a> {
    view: &'a dyn Render,
    /// Sent with the run to whichever batch thread writes next: see `commands::each_token`.
    out: Box<dyn io::Write + Send + 'a>,
}

impl<'a> Output<'a> {
    pub fn new(view: &'a dyn Render, out: Box<dyn io::Write + Send + 'a>) -> Self {
        Output { view, out }
    }

    pub fn view(&self) -> &'a dyn Render {
        self.view
    }

    /// Writes a report rendered by [`Render::render`], and its [`complaint`] on stderr.
    pub fn emit(&mut self, complaint: Option<&str>, rendered: &[u8]) -> io::Result<()> {
        if self.view.speaks()
            && let Some(c) = complaint
        {
            print_error(c, None);
        }
        self.out.write_all(rendered)
    }

    /// [`Output::emit`] for a report rendered by [`Render::render_unnumbered`]: its index is
    /// written at `hole`.
    pub fn emit_numbered(
        &mut self,
        complaint: Option<&str>,
        rendered: &[u8],
        hole: usize,
        index: usize,
    ) -> io::Result<()> {
        let (before, after) = rendered.split_at(hole);
        self.emit(complaint, before)?;
        self.out
            .write_all(itoa::Buffer::new().format(index).as_bytes())?;
        self.out.write_all(after)
    }

    /// Problems go to stderr as `error: …`, whatever the output format.
    pub fn problem(&mut self, problem: &Problem) {
        if self.view.speaks() {
            print_error(&problem.message, problem.hint.as_deref());
        }
    }

    /// Pushes out what is buffered: called before the input blocks, so a person watching a slow
    /// stream sees each report as soon as it is made, while a fast stream is written in blocks.
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
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
/// stdout goes to a file: the line to say, if any.
pub fn complaint(report: &Report) -> Option<String> {
    if report.status != crate::claims::Status::Malformed {
        return None;
    }
    let e = report.error.as_ref()?;
    Some(format!("{}: malformed token: {e}", report.source))
}
