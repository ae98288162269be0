//! jwtctl: parse the command line, set color once, run the command, map the outcome to an exit code.

use clap::Parser;
use jwtctl::cli::{Cli, ColorChoice, Command};
use jwtctl::commands::{self, Clock};
use jwtctl::render::json::JsonLines;
use jwtctl::render::text::{Layout, Text};
use jwtctl::render::{self, Output, Render};
use jwtctl::{exit, manual};
use std::io::{self, IsTerminal};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            // --help and --version: our own text, styled by clap.
            let _ = e.print();
            return ExitCode::from(e.exit_code().clamp(0, 255) as u8);
        }
        Err(e) => {
            // A usage error quotes what was typed: escape it like any other input.
            let text = e.render().to_string();
            let safe: Vec<String> = text
                .lines()
                .map(|l| jwtctl::escape::text(l).into_owned())
                .collect();
            eprintln!("{}", safe.join("\n"));
            return ExitCode::from(exit::Exit::Usage.code());
        }
    };
    set_color(cli.global.color);
    let g = &cli.global;
    let clock = Clock {
        now: g.now.unwrap_or_else(|| chrono::Utc::now().timestamp()),
        leeway: g.leeway,
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
    // Unlocked (each 64 KiB write takes the lock): batch threads take turns writing.
    let stdout = io::BufWriter::with_capacity(64 * 1024, io::stdout());
    let mut out = Output::new(view, Box::new(stdout));
    let batch = commands::Batch {
        clock,
        max_token: g.max_token_size,
        threads: g.threads.map(|n| n.get()),
    };
    let outcome = match &cli.command {
        Command::Decode(a) => commands::decode::run(a, batch, &mut out),
        Command::Verify(a) => commands::verify::run(a, batch, &mut out),
        Command::Completions { shell } => return document(|out| manual::completions(*shell, out)),
        Command::Man => return document(manual::man_page),
        Command::Encode(a) => {
            return match commands::encode::run(a, clock.now) {
                Ok(token) => {
                    println!("{token}");
                    ExitCode::SUCCESS
                }
                Err(f) => finish(Err(f)),
            };
        }
        Command::CheckExpiry(a) => commands::check_expiry::run(a, batch, &mut out),
    };
    finish(outcome)
}

fn finish(outcome: Result<exit::Exit, commands::Failure>) -> ExitCode {
    match outcome {
        Ok(exit) => ExitCode::from(exit.code()),
        Err(f) => {
            render::print_error(&format!("{:#}", f.error), f.hint.as_deref());
            ExitCode::from(f.exit.code())
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

/// Writes a generated document to stdout; a closed pipe is not an error.
fn document(write: impl FnOnce(&mut dyn io::Write) -> io::Result<()>) -> ExitCode {
    let mut out = io::stdout().lock();
    match write(&mut out).and_then(|()| io::Write::flush(&mut out)) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
            render::print_error(&format!("cannot write output: {e}"), None);
            ExitCode::from(exit::Exit::BadInput.code())
        }
        _ => ExitCode::SUCCESS,
    }
}
