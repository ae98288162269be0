//! The views of a report: text for people, JSON Lines for scripts. They read, never decide.

pub mod json;
pub mod text;

use crate::exit::Exit;
use crate::report::Report;
use std::io::{self, Write as _};

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

    /// Renders a report whose index is not known yet (a block's, rendered where it was scanned):
    /// where, in what was added to `out`, the index's digits belong, if this view shows it.
    fn render_unnumbered(&self, report: &Report, out: &mut Vec<u8>) -> Option<usize>;

    /// What [`Render::render_unnumbered`] puts before each report, and the first report of a
    /// run goes without (its writer leaves it out).
    fn separator(&self) -> &'static [u8] {
        b""
    }

    /// Whether errors are said on stderr (not with `--quiet`).
    fn speaks(&self) -> bool {
        true
    }
}

/// Where rendered reports go: stdout for the report, stderr for errors, in input order.
///
/// stdout is written in blocks of [`OUT_BYTES`]; stderr's lines wait until the next block is
/// written (or [`SAID_BYTES`] of them wait), and go just before it: a stream of malformed tokens
/// costs one write a block, not one a line, and an error still reaches stderr before the report
/// it is about reaches stdout, so `2>&1` keeps each complaint ahead of its report.
pub struct Output<'a> {
    view: &'a dyn Render,
    /// Sent with the run to whichever batch thread writes next: see `commands::each_token`.
    out: io::BufWriter<SaidFirst<Box<dyn io::Write + Send + 'a>>>,
}

/// The block stdout is written in.
pub const OUT_BYTES: usize = 64 * 1024;
/// The most stderr's lines wait for.
pub const SAID_BYTES: usize = 8 * 1024;

/// A writer that first writes the lines waiting for stderr.
struct SaidFirst<W> {
    out: W,
    /// Lines for stderr not yet written.
    said: Vec<u8>,
}

impl<W> SaidFirst<W> {
    /// Writes stderr's waiting lines; like `eprintln!`, a failure to is not reported.
    fn say(&mut self) {
        if !self.said.is_empty() {
            let _ = io::stderr().lock().write_all(&self.said);
            self.said.clear();
        }
    }
}

impl<W: io::Write> io::Write for SaidFirst<W> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.say();
        self.out.write(bytes)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.say();
        self.out.flush()
    }
}

impl<'a> Output<'a> {
    /// `out` is written in blocks of [`OUT_BYTES`]; it needs no buffer of its own.
    pub fn new(view: &'a dyn Render, out: Box<dyn io::Write + Send + 'a>) -> Self {
        let out = SaidFirst {
            out,
            said: Vec::new(),
        };
        Output {
            view,
            out: io::BufWriter::with_capacity(OUT_BYTES, out),
        }
    }

    pub fn view(&self) -> &'a dyn Render {
        self.view
    }

    /// Writes a report rendered by [`Render::render`], and its [`complaint`] on stderr.
    pub fn emit(&mut self, complaint: Option<&str>, rendered: &[u8]) -> io::Result<()> {
        if self.view.speaks()
            && let Some(c) = complaint
        {
            let stderr = self.out.get_mut();
            error_lines(&mut stderr.said, c, None);
            if stderr.said.len() >= SAID_BYTES {
                stderr.say();
            }
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
        let separator = self.view.separator();
        let (rendered, hole) = match rendered.strip_prefix(separator) {
            Some(first) if index == 1 => (first, hole - separator.len()),
            _ => (rendered, hole),
        };
        let (before, after) = rendered.split_at(hole);
        self.emit(complaint, before)?;
        self.out
            .write_all(itoa::Buffer::new().format(index).as_bytes())?;
        self.out.write_all(after)
    }

    /// Problems go to stderr as `error: …`, whatever the output format, at once: after the
    /// reports before them, which are written first.
    pub fn problem(&mut self, problem: &Problem) -> io::Result<()> {
        if !self.view.speaks() {
            return Ok(());
        }
        let written = self.out.flush();
        let stderr = self.out.get_mut();
        error_lines(&mut stderr.said, &problem.message, problem.hint.as_deref());
        stderr.say();
        written
    }

    /// Pushes out what is buffered: called before the input blocks, so a person watching a slow
    /// stream sees each report as soon as it is made, while a fast stream is written in blocks.
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

impl Drop for Output<'_> {
    /// What is left is written, as the `BufWriter` would on its own, and the errors said after
    /// the last block.
    fn drop(&mut self) {
        let _ = self.out.flush();
        self.out.get_mut().say();
    }
}

/// `error: …` and an optional `hint: …` on stderr, made safe for a terminal, in one write.
pub fn print_error(message: &str, hint: Option<&str>) {
    let mut lines = Vec::new();
    error_lines(&mut lines, message, hint);
    let _ = io::stderr().lock().write_all(&lines);
}

/// A one-line `warning: …` on stderr, for what went through but not as a user may think.
pub fn print_warning(message: &str) {
    use colored::Colorize as _;
    let line = format!(
        "{} {}\n",
        "warning:".yellow().bold(),
        crate::escape::text(message)
    );
    let _ = io::stderr().lock().write_all(line.as_bytes());
}

/// The lines of [`print_error`], added to `to`.
fn error_lines(to: &mut Vec<u8>, message: &str, hint: Option<&str>) {
    use colored::Colorize as _;
    let _ = writeln!(
        to,
        "{} {}",
        "error:".red().bold(),
        crate::escape::text(message)
    );
    if let Some(h) = hint {
        let _ = writeln!(to, "{} {}", "hint:".cyan().bold(), crate::escape::text(h));
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
