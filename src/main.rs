//! jwtctl: parse the command line, set color once, run the command, map the outcome to an exit code.

mod claims;
mod cli;
mod commands;
mod escape;
mod exit;
mod input;
mod keys;
mod render;
mod report;
mod time;
mod token;
mod verify;

use clap::Parser;
use cli::{Cli, ColorChoice, Command};
use commands::Clock;
use render::Sink;
use render::json::JsonLines;
use render::text::{Layout, Text};
use std::io::{self, IsTerminal};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(e.exit_code().clamp(0, 255) as u8);
        }
    };
    set_color(cli.global.color);
    let g = &cli.global;
    let clock = Clock {
        now: g.now.unwrap_or_else(|| chrono::Utc::now().timestamp()),
        leeway: g.leeway,
    };
    let stdout = io::stdout().lock();
    let layout = match &cli.command {
        Command::CheckExpiry(a) if a.quiet => Layout::Quiet,
        Command::CheckExpiry(_) => Layout::Line,
        _ => Layout::Full,
    };
    let mut sink: Box<dyn Sink> = if g.json && layout != Layout::Quiet {
        Box::new(JsonLines::new(stdout))
    } else {
        Box::new(Text::new(stdout, layout, g.local, clock.now))
    };
    let outcome = match &cli.command {
        Command::Decode(a) => commands::decode::run(
            &commands::decode::Options {
                inputs: &a.input.inputs,
                strict: a.strict,
                max_token: g.max_token_size,
            },
            clock,
            sink.as_mut(),
        ),
        Command::Verify(a) => match verify_options(a, g.max_token_size) {
            Ok(opts) => commands::verify::run(opts, clock, sink.as_mut()),
            Err(f) => Err(f),
        },
        Command::CheckExpiry(a) => commands::check_expiry::run(
            &commands::check_expiry::Options {
                inputs: &a.input.inputs,
                min_ttl: a.min_ttl,
                max_lifetime: a.max_lifetime,
                allow_no_exp: a.allow_no_exp,
                max_token: g.max_token_size,
            },
            clock,
            sink.as_mut(),
        ),
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

/// The key source and claim policy of `verify`, from its flags.
fn verify_options(
    a: &cli::VerifyArgs,
    max_token: usize,
) -> Result<commands::verify::Options<'_>, commands::Failure> {
    use commands::Failure;
    use commands::verify::KeySource;
    use exit::Exit;
    let source = if let Some(p) = &a.key {
        KeySource::File(p)
    } else if let Some(j) = &a.jwks {
        KeySource::Jwks(j)
    } else if let Some(u) = &a.oidc_issuer {
        KeySource::Oidc(u)
    } else if let Some(path) = &a.secret_file {
        let mut bytes = std::fs::read(path).map_err(|e| {
            Failure::new(
                Exit::KeyProblem,
                anyhow::anyhow!(
                    "cannot read secret file {}: {}",
                    escape::text(path),
                    commands::io_reason(&e)
                ),
                None,
            )
        })?;
        while bytes.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
            bytes.pop();
        }
        KeySource::Secret {
            bytes,
            base64: a.secret_base64,
            origin: format!("--secret-file {}", escape::text(path)),
        }
    } else if let Some(name) = &a.secret_env {
        let value = std::env::var_os(name).ok_or_else(|| {
            Failure::new(
                Exit::KeyProblem,
                anyhow::anyhow!("environment variable {} is not set", escape::text(name)),
                Some(format!(
                    "export {}=… first, or use --secret-file",
                    escape::text(name)
                )),
            )
        })?;
        KeySource::Secret {
            bytes: value.into_encoded_bytes(),
            base64: a.secret_base64,
            origin: format!("--secret-env {}", escape::text(name)),
        }
    } else if let Some(text) = &a.secret {
        KeySource::Secret {
            bytes: text.as_bytes().to_vec(),
            base64: a.secret_base64,
            origin: "--secret".into(),
        }
    } else {
        return Err(Failure::new(
            Exit::Usage,
            anyhow::anyhow!("verify needs a key"),
            Some(
                "name one: --key PATH (PEM, DER, JWK or JWKS), --jwks PATH_OR_URL, --oidc-issuer URL, \
                 or --secret-file PATH / --secret-env NAME for HMAC tokens"
                    .into(),
            ),
        ));
    };
    let mut iss = a.iss.clone();
    if let Some(u) = &a.oidc_issuer {
        iss = vec![u.clone()];
    }
    Ok(commands::verify::Options {
        inputs: &a.input.inputs,
        max_token,
        source,
        timeout: std::time::Duration::from_secs(a.timeout.max(1) as u64),
        algs: &a.algs,
        allow_weak_key: a.allow_weak_key,
        allow_no_exp: a.allow_no_exp,
        iss,
        aud: &a.aud,
        sub: &a.sub,
        require: &a.require,
    })
}
