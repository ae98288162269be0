//! jwtctl: parse the command line, set color once, run the command, map the outcome to an exit code.

// On Linux with glibc the process starts in `main` below rather than in the standard library's
// start-up, which also reads /proc/self/maps and maps an alternate signal stack to report a
// stack overflow by name: ~0.2 ms of a one-token run on the benchmark's VM (a fifth of
// `/bin/true`'s time), for a message no input of jwtctl's can cause (its parsers bound their
// depth). What of that start-up jwtctl relies on is done by `jwtctl::start`.
#![cfg_attr(all(target_os = "linux", target_env = "gnu", not(test)), no_main)]

use jwtctl::cli::{Cli, ColorChoice, Command};
use jwtctl::commands::{self, Clock};
use jwtctl::render::json::JsonLines;
use jwtctl::render::text::{Layout, Text};
use jwtctl::render::{self, Output, Render};
use jwtctl::{exit, manual};
use std::io::{self, IsTerminal, Write as _};

/// The process's entry point (see the top of this file). The standard library reads the
/// arguments itself, before this runs (glibc passes them to its initializers).
#[cfg(all(target_os = "linux", target_env = "gnu", not(test)))]
#[unsafe(no_mangle)]
extern "C" fn main(_argc: libc::c_int, _argv: *const *const libc::c_char) -> libc::c_int {
    jwtctl::start::prepare();
    // A panic (a bug) ends with the standard library's exit code for one, its message printed
    // by the panic hook.
    let code = std::panic::catch_unwind(run).unwrap_or(101);
    // The standard library flushes stdout at exit only when its own start-up ran.
    let _ = io::Write::flush(&mut io::stdout());
    code.into()
}

#[cfg(not(all(target_os = "linux", target_env = "gnu", not(test))))]
fn main() -> std::process::ExitCode {
    std::process::ExitCode::from(run())
}

fn run() -> u8 {
    let cli = match Cli::parse_args() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            // --help and --version: our own text, styled by clap on a terminal; elsewhere
            // written as any document is (a full disk is an error, not a silent success).
            if io::stdout().is_terminal() {
                let _ = e.print();
            } else {
                let code = document(|out| write!(out, "{}", e.render()));
                if code != exit::Exit::Ok.code() {
                    return code;
                }
            }
            return e.exit_code().clamp(0, 255) as u8;
        }
        Err(e) => {
            // A usage error quotes what was typed: escape it like any other input.
            let text = e.render().to_string();
            let safe: Vec<String> = text
                .lines()
                .map(|l| jwtctl::escape::text(l).into_owned())
                .collect();
            // Like every line on stderr, not written is not reported (`eprintln!` would panic).
            let _ = writeln!(io::stderr().lock(), "{}", safe.join("\n"));
            return exit::Exit::Usage.code();
        }
    };
    set_color(cli.global.color());
    let g = &cli.global;
    let clock = Clock {
        now: g.now.unwrap_or_else(|| chrono::Utc::now().timestamp()),
        leeway: g.leeway(),
    };
    let layout = match &cli.command {
        Command::CheckExpiry(a) if a.quiet => Layout::Quiet,
        Command::CheckExpiry(_) => Layout::Line,
        _ => Layout::Full,
    };
    let text = Text::new(layout, g.local, clock.now);
    let view: &dyn Render = if g.json && layout != Layout::Quiet {
        &JsonLines
    } else {
        &text
    };
    // Unlocked (each 64 KiB block written takes the lock): batch threads take turns writing.
    let mut out = Output::new(view, stdout());
    let batch = commands::Batch {
        clock,
        max_token: g.max_token_size(),
        threads: g.threads.map(|n| n.get()),
    };
    let outcome = match &cli.command {
        Command::Decode(a) => commands::decode::run(a, batch, &mut out),
        Command::Verify(a) => commands::verify::run(a, batch, &mut out),
        Command::Completions { shell } => return document(|out| manual::completions(*shell, out)),
        Command::Man => return document(manual::man_page),
        Command::Encode(a) => {
            return match commands::encode::run(a, clock.now, batch.max_token) {
                Ok(signed) => {
                    let code = document(|out| writeln!(out, "{}", signed.token));
                    if code == exit::Exit::Ok.code() {
                        for w in &signed.warnings {
                            render::print_warning(w);
                        }
                    }
                    code
                }
                Err(f) => finish(Err(f)),
            };
        }
        Command::CheckExpiry(a) => commands::check_expiry::run(a, batch, &mut out),
    };
    // What is buffered goes out before the run's last word on stderr.
    drop(out);
    finish(outcome)
}

fn finish(outcome: Result<exit::Exit, commands::Failure>) -> u8 {
    match outcome {
        Ok(exit) => exit.code(),
        Err(f) => {
            render::print_error(&format!("{:#}", f.error), f.hint.as_deref());
            f.exit.code()
        }
    }
}

/// Color is decided here, once: `--color`, then NO_COLOR, CLICOLOR_FORCE, TERM=dumb, and
/// whether stdout is a terminal.
fn set_color(choice: ColorChoice) {
    let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty() && v != "0");
    let on = match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) {
                false
            } else if set("CLICOLOR_FORCE") {
                true
            } else {
                std::env::var("TERM").map_or(true, |t| t != "dumb") && io::stdout().is_terminal()
            }
        }
    };
    colored::control::set_override(on);
}

/// Stdout, or where the process started with it closed, a writer that says so (rather than
/// the /dev/null its descriptor now is: see `jwtctl::start::stdout_was_closed`).
fn stdout() -> Box<dyn io::Write + Send> {
    #[cfg(unix)]
    if jwtctl::start::stdout_was_closed() {
        return Box::new(Closed);
    }
    Box::new(io::stdout())
}

/// Stdout when the process started with it closed: every write fails.
#[cfg(unix)]
struct Closed;

#[cfg(unix)]
impl io::Write for Closed {
    fn write(&mut self, _: &[u8]) -> io::Result<usize> {
        Err(io::Error::other("stdout is closed"))
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Writes a generated document to stdout; a closed pipe is not an error.
fn document(write: impl FnOnce(&mut dyn io::Write) -> io::Result<()>) -> u8 {
    let mut out = stdout();
    match write(&mut out).and_then(|()| io::Write::flush(&mut out)) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
            render::print_error(&format!("cannot write output: {e}"), None);
            exit::Exit::BadInput.code()
        }
        _ => exit::Exit::Ok.code(),
    }
}
