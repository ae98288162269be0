//! The command-line interface: clap definitions and nothing else.

use crate::input::DEFAULT_MAX_TOKEN;
use clap::{Args, Parser, Subcommand, ValueEnum, ValueHint};

#[derive(Debug, Parser)]
#[command(
    name = "jwtctl",
    version,
    about = "Inspect JSON Web Tokens: what is in them, whether their signature holds, when they expire",
    long_about = None,
    arg_required_else_help = true,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    #[command(flatten)]
    pub global: Global,
}

#[derive(Debug, Args)]
pub struct Global {
    /// One JSON object per token per line (JSON Lines), for jq and scripts
    #[arg(long, global = true, help_heading = "Output")]
    pub json: bool,

    /// When to color text output
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN", help_heading = "Output")]
    pub color: ColorChoice,

    /// Show times in the local time zone instead of UTC
    #[arg(long, global = true, help_heading = "Output")]
    pub local: bool,

    /// Judge times as if the clock read TIME (RFC 3339 or Unix seconds)
    #[arg(long, global = true, value_name = "TIME", value_parser = parse_instant, help_heading = "Time")]
    pub now: Option<i64>,

    /// Tolerated clock skew when judging exp, nbf and iat (90s, 15m, 1h30m, 7d)
    #[arg(long, global = true, value_name = "DURATION", default_value = "0s", value_parser = parse_duration, help_heading = "Time")]
    pub leeway: i64,

    /// Worker threads for batch work [accepted; work currently runs on one thread]
    #[arg(long, global = true, value_name = "N", help_heading = "Input")]
    pub threads: Option<std::num::NonZeroUsize>,

    /// Refuse a single token longer than this many bytes
    #[arg(long, global = true, value_name = "BYTES", default_value_t = DEFAULT_MAX_TOKEN, help_heading = "Input")]
    pub max_token_size: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show each token's header, claims, times and warnings (no signature check)
    #[command(after_help = DECODE_EXAMPLES)]
    Decode(DecodeArgs),

    /// For scripts: is each token valid, and for how long (exit code 0, 1, 3, 4, 5 or 7)
    #[command(after_help = CHECK_EXAMPLES)]
    CheckExpiry(CheckExpiryArgs),
}

const CHECK_EXAMPLES: &str = "\
Examples:
  jwtctl check-expiry --min-ttl 10m \"$TOKEN\" || refresh_token
  jwtctl check-expiry --max-lifetime 1h --json @tokens.txt | jq -r .status
  jwtctl check-expiry -q \"$TOKEN\"; echo $?";

const DECODE_EXAMPLES: &str = "\
Examples:
  jwtctl decode eyJhbGciOi...            a token as an argument
  curl -si https://api.example/me -H \"Authorization: Bearer $T\" | jwtctl decode
  jwtctl decode @app.log --json | jq -r 'select(.status==\"expired\") | .source'";

#[derive(Debug, Args)]
pub struct InputArgs {
    /// Tokens or text holding tokens; `-` reads stdin, `@PATH` a file [default: stdin]
    #[arg(value_name = "INPUT", value_hint = ValueHint::AnyPath)]
    pub inputs: Vec<String>,
}

#[derive(Debug, Args)]
pub struct DecodeArgs {
    #[command(flatten)]
    pub input: InputArgs,

    /// Exit 7 when any security warning fires (alg_none, no_exp, …), for CI
    #[arg(long)]
    pub strict: bool,
}

#[derive(Debug, Args)]
pub struct CheckExpiryArgs {
    #[command(flatten)]
    pub input: InputArgs,

    /// Exit 4 when a token expires within DURATION
    #[arg(long, value_name = "DURATION", default_value = "0s", value_parser = parse_duration, help_heading = "Policy")]
    pub min_ttl: i64,

    /// Exit 7 when a token's lifetime (exp - iat) is longer than DURATION
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, help_heading = "Policy")]
    pub max_lifetime: Option<i64>,

    /// Accept tokens without an exp claim (otherwise exit 7)
    #[arg(long, help_heading = "Policy")]
    pub allow_no_exp: bool,

    /// Print nothing; only the exit code speaks
    #[arg(short, long, help_heading = "Output")]
    pub quiet: bool,
}

fn parse_instant(s: &str) -> Result<i64, String> {
    crate::time::parse_instant(s)
}

fn parse_duration(s: &str) -> Result<i64, String> {
    crate::time::parse_duration(s)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_cli_is_consistent() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }
}
