//! The command-line interface: clap definitions, and how a command line is parsed with them.

use crate::input::DEFAULT_MAX_TOKEN;
use clap::{Args, FromArgMatches, Parser, Subcommand, ValueEnum, ValueHint};
use std::ffi::OsString;

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

impl Cli {
    /// The process's command line, parsed: [`Cli::parse_from`].
    pub fn parse_args() -> Result<Cli, clap::Error> {
        Cli::parse_from(std::env::args_os().collect())
    }

    /// `args` parsed, first against a command of the named subcommand alone when it comes first
    /// (building every subcommand's arguments, then freeing them, was most of the work of a
    /// one-token run), then, when that does not parse (help, version, an error, another
    /// command), against the whole command, which says what clap says. Both give the same
    /// `Cli` for a command line either accepts (a test holds them to it).
    pub fn parse_from(args: Vec<OsString>) -> Result<Cli, clap::Error> {
        match Cli::parse_alone(&args) {
            Some(cli) => Ok(cli),
            None => Cli::try_parse_from(args),
        }
    }

    /// [`Cli::parse_from`]'s first try: None when the first argument is not one of the batch
    /// commands or the command line does not parse against it alone. The subcommand's
    /// arguments and the global ones make one flat command, none of them global: clap then
    /// copies no value from one level of matches to another.
    pub fn parse_alone(args: &[OsString]) -> Option<Cli> {
        type Make = fn(&clap::ArgMatches) -> Option<Command>;
        let (alone, make): (clap::Command, Make) = match args.get(1)?.to_str()? {
            "decode" => (
                DecodeArgs::augment_args(clap::Command::new("decode")),
                |m| DecodeArgs::from_arg_matches(m).ok().map(Command::Decode),
            ),
            "verify" => (
                VerifyArgs::augment_args(clap::Command::new("verify")),
                |m| {
                    VerifyArgs::from_arg_matches(m)
                        .ok()
                        .map(|a| Command::Verify(Box::new(a)))
                },
            ),
            "check-expiry" => (
                CheckExpiryArgs::augment_args(clap::Command::new("check-expiry")),
                |m| {
                    CheckExpiryArgs::from_arg_matches(m)
                        .ok()
                        .map(Command::CheckExpiry)
                },
            ),
            "encode" => (
                EncodeArgs::augment_args(clap::Command::new("encode")),
                |m| {
                    EncodeArgs::from_arg_matches(m)
                        .ok()
                        .map(|a| Command::Encode(Box::new(a)))
                },
            ),
            _ => return None,
        };
        let mut command = Global::augment_args(alone).mut_args(|a| a.global(false));
        let cli = command
            .try_get_matches_from_mut(&args[1..])
            .ok()
            .and_then(|m| {
                Some(Cli {
                    command: make(&m)?,
                    global: Global::from_arg_matches(&m).ok()?,
                })
            });
        // Freed with the process: dropping a command's arguments one by one costs more than
        // building them.
        std::mem::forget(command);
        cli
    }
}

/// The options every subcommand takes, before or after its name. Those with a default leave it
/// to the methods below rather than to clap, which would fill in each default and copy it into
/// the subcommand's matches on every start (~80,000 instructions of a one-token run's
/// ~630,000); their help says the default itself.
#[derive(Debug, Args)]
pub struct Global {
    /// One JSON object per token per line (JSON Lines), for jq and scripts
    #[arg(long, global = true, help_heading = "Output")]
    pub json: bool,

    /// When to color text output [default: auto]
    #[arg(
        long,
        global = true,
        value_enum,
        value_name = "WHEN",
        help_heading = "Output"
    )]
    color: Option<ColorChoice>,

    /// Show times in the local time zone instead of UTC
    #[arg(long, global = true, help_heading = "Output")]
    pub local: bool,

    /// Judge times as if the clock read TIME (RFC 3339 or Unix seconds)
    #[arg(long, global = true, value_name = "TIME", value_parser = parse_instant, help_heading = "Time")]
    pub now: Option<i64>,

    /// Tolerated clock skew when judging exp, nbf and iat (90s, 15m, 1h30m, 7d) [default: 0s]
    #[arg(long, global = true, value_name = "DURATION", value_parser = parse_duration, help_heading = "Time")]
    leeway: Option<i64>,

    /// Threads for batch work, at most one per core; output stays in input order [default: all
    /// cores]
    #[arg(long, global = true, value_name = "N", help_heading = "Input")]
    pub threads: Option<std::num::NonZeroUsize>,

    /// Refuse a single token (encode: claims) longer than this many bytes [default: 1048576]
    #[arg(long, global = true, value_name = "BYTES", help_heading = "Input")]
    max_token_size: Option<usize>,
}

impl Global {
    /// `--color`, auto by default.
    pub fn color(&self) -> ColorChoice {
        self.color.unwrap_or(ColorChoice::Auto)
    }

    /// `--leeway` in seconds, none by default.
    pub fn leeway(&self) -> i64 {
        self.leeway.unwrap_or(0)
    }

    /// `--max-token-size`, 1 MiB by default.
    pub fn max_token_size(&self) -> usize {
        self.max_token_size.unwrap_or(DEFAULT_MAX_TOKEN)
    }
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

    /// Check each token's signature with a key you name, then its claims
    #[command(after_help = VERIFY_EXAMPLES)]
    Verify(Box<VerifyArgs>),

    /// Make and sign a token (for tests and local development)
    #[command(after_help = ENCODE_EXAMPLES)]
    Encode(Box<EncodeArgs>),

    /// For scripts: is each token valid, and for how long (exit code 0, 1, 3, 4, 5 or 7)
    #[command(after_help = CHECK_EXAMPLES)]
    CheckExpiry(CheckExpiryArgs),

    /// Print a shell completion script (bash, zsh, fish, powershell, elvish)
    #[command(after_help = COMPLETION_EXAMPLES)]
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },

    /// Print the man page (roff)
    #[command(after_help = "Example:\n  jwtctl man > ~/.local/share/man/man1/jwtctl.1")]
    Man,
}

const COMPLETION_EXAMPLES: &str = "\
Examples:
  jwtctl completions bash > ~/.local/share/bash-completion/completions/jwtctl
  jwtctl completions zsh > ~/.zfunc/_jwtctl
  jwtctl completions fish > ~/.config/fish/completions/jwtctl.fish";

const VERIFY_EXAMPLES: &str = "\
Examples:
  jwtctl verify --key public.pem \"$TOKEN\"
  jwtctl verify --jwks https://auth.example.com/.well-known/jwks.json --iss https://auth.example.com --aud api \"$TOKEN\"
  jwtctl verify --oidc-issuer https://accounts.example.com --aud my-client \"$ID_TOKEN\"
  jwtctl verify --secret-env JWT_SECRET --alg HS256 \"$TOKEN\"";

const ENCODE_EXAMPLES: &str = "\
Examples:
  jwtctl encode --alg HS256 --secret-file secret.txt --claim sub=user-42 --exp 15m
  jwtctl encode '{\"sub\":\"svc\",\"scope\":[\"read\"]}' --alg ES256 --key ec.key.pem --kid k1
  echo '{\"sub\":\"x\"}' | jwtctl encode - --alg EdDSA --key ed25519.key.pem";

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

    /// Exit 7 when any security warning fires (alg_none, no_exp, embedded_key, weak_key), for CI
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

/// Key sources shared by verify and encode.
#[derive(Debug, Args)]
pub struct KeyArgs {
    /// Key file: PEM (SPKI, PKCS#1, PKCS#8, SEC1, X.509 certificate), DER, JWK or JWKS
    #[arg(long, value_name = "PATH", value_hint = ValueHint::FilePath, group = "keysource", help_heading = "Keys")]
    pub key: Option<String>,

    /// HMAC secret read from a file (a trailing newline is ignored)
    #[arg(long, value_name = "PATH", value_hint = ValueHint::FilePath, group = "keysource", help_heading = "Keys")]
    pub secret_file: Option<String>,

    /// HMAC secret read from the environment variable NAME
    #[arg(long, value_name = "NAME", group = "keysource", help_heading = "Keys")]
    pub secret_env: Option<String>,

    /// HMAC secret as text; other users can see it in `ps`, prefer --secret-file or --secret-env
    #[arg(long, value_name = "TEXT", group = "keysource", help_heading = "Keys")]
    pub secret: Option<String>,

    /// The secret is base64 or base64url, not text
    #[arg(long, help_heading = "Keys")]
    pub secret_base64: bool,

    /// Accept RSA keys under 2048 bits and HMAC secrets shorter than the hash (still warned about)
    #[arg(long, help_heading = "Keys")]
    pub allow_weak_key: bool,
}

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("keysource").multiple(false))]
pub struct VerifyArgs {
    #[command(flatten)]
    pub input: InputArgs,

    #[command(flatten)]
    pub keys: KeyArgs,

    /// A JWKS file or http(s) URL; the token's kid picks the key
    #[arg(long, value_name = "PATH_OR_URL", value_hint = ValueHint::AnyPath, group = "keysource", help_heading = "Keys")]
    pub jwks: Option<String>,

    /// Fetch URL/.well-known/openid-configuration, then its jwks_uri; iss must equal URL
    #[arg(long, value_name = "URL", value_hint = ValueHint::Url, group = "keysource", help_heading = "Keys")]
    pub oidc_issuer: Option<String>,

    /// Time limit for fetching a JWKS or discovery document
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_duration, help_heading = "Keys")]
    pub timeout: i64,

    /// CA certificates (PEM) that https fetches trust instead of the built-in roots, for a
    /// private CA [default: $SSL_CERT_FILE if set]
    #[arg(long, value_name = "PATH", value_hint = ValueHint::FilePath, help_heading = "Keys")]
    pub cacert: Option<String>,

    /// Accept only this algorithm (repeatable); default: those that fit the key
    #[arg(long = "alg", value_name = "ALG", value_enum, help_heading = "Claims")]
    pub algs: Vec<crate::verify::Alg>,

    /// Required issuer (repeatable: any one may match)
    #[arg(long, value_name = "ISS", help_heading = "Claims")]
    pub iss: Vec<String>,

    /// Required audience; aud may be a string or an array (repeatable: any one may match)
    #[arg(long, value_name = "AUD", help_heading = "Claims")]
    pub aud: Vec<String>,

    /// Required subject (repeatable: any one may match)
    #[arg(long, value_name = "SUB", help_heading = "Claims")]
    pub sub: Vec<String>,

    /// A claim that must be present (repeatable)
    #[arg(long, value_name = "CLAIM", help_heading = "Claims")]
    pub require: Vec<String>,

    /// Accept tokens without an exp claim
    #[arg(long, help_heading = "Claims")]
    pub allow_no_exp: bool,
}

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("keysource").multiple(false))]
pub struct EncodeArgs {
    /// The claims as a JSON object; `-` reads stdin, `@PATH` a file [default: {}]
    #[arg(value_name = "CLAIMS_JSON")]
    pub claims: Option<String>,

    /// Signing algorithm (`none` needs --unsecured)
    #[arg(long, value_name = "ALG", value_parser = clap::builder::TypedValueParser::map(encode_alg_names(), |s: String| encode_alg(&s)))]
    pub alg: EncodeAlg,

    #[command(flatten)]
    pub keys: KeyArgs,

    /// Make an unsigned `alg: none` token (never accepted by jwtctl verify)
    #[arg(long)]
    pub unsecured: bool,

    /// A claim, KEY=VALUE; VALUE is JSON when it parses as JSON, else a string (repeatable)
    #[arg(long, value_name = "KEY=VALUE", help_heading = "Claims")]
    pub claim: Vec<String>,

    /// exp: a duration from now (15m, 1h; -1h: an hour ago, for an expired token) or an RFC
    /// 3339 time
    #[arg(
        long,
        value_name = "WHEN",
        allow_hyphen_values = true,
        help_heading = "Claims"
    )]
    pub exp: Option<String>,

    /// nbf: a duration from now (-5m: five minutes ago) or an RFC 3339 time
    #[arg(
        long,
        value_name = "WHEN",
        allow_hyphen_values = true,
        help_heading = "Claims"
    )]
    pub nbf: Option<String>,

    /// Do not add iat (set to now by default)
    #[arg(long, help_heading = "Claims")]
    pub no_iat: bool,

    /// The header's kid, and the key of that kid in a JWKS (default: the JWK's own kid); an
    /// empty value leaves it out
    #[arg(long, value_name = "KID", help_heading = "Header")]
    pub kid: Option<String>,

    /// The header's typ; an empty value leaves it out
    #[arg(
        long,
        value_name = "TYP",
        default_value = "JWT",
        help_heading = "Header"
    )]
    pub typ: String,

    /// A header parameter, KEY=VALUE, VALUE as JSON when it parses (repeatable)
    #[arg(long, value_name = "KEY=VALUE", help_heading = "Header")]
    pub header: Vec<String>,
}

/// `--alg` for encode: a signing algorithm or `none`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EncodeAlg {
    Signed(crate::verify::Alg),
    None,
}

fn encode_alg_names() -> clap::builder::PossibleValuesParser {
    let mut names: Vec<&'static str> = crate::verify::ALL.iter().map(|a| a.name()).collect();
    names.push("none");
    clap::builder::PossibleValuesParser::new(names)
}

fn encode_alg(s: &str) -> EncodeAlg {
    crate::verify::Alg::from_name(s).map_or(EncodeAlg::None, EncodeAlg::Signed)
}

fn parse_instant(s: &str) -> Result<i64, String> {
    crate::time::parse_instant(s)
}

fn parse_duration(s: &str) -> Result<i64, String> {
    crate::time::parse_duration(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cli_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    /// The global options' defaults are the ones their help names, given or not, before or
    /// after the subcommand.
    #[test]
    fn global_defaults_are_the_ones_the_help_names() {
        use clap::CommandFactory;
        let args = |a: &[&str]| a.iter().map(OsString::from).collect::<Vec<_>>();
        let g = Cli::parse_from(args(&["jwtctl", "decode", "x"]))
            .unwrap()
            .global;
        assert_eq!(
            (g.color(), g.leeway(), g.max_token_size()),
            (ColorChoice::Auto, 0, DEFAULT_MAX_TOKEN)
        );
        let help = |id: &str| {
            Cli::command()
                .get_arguments()
                .find(|a| a.get_id() == id)
                .and_then(|a| a.get_help())
                .map(ToString::to_string)
                .unwrap()
        };
        assert!(help("color").ends_with("[default: auto]"));
        assert!(help("leeway").ends_with("[default: 0s]"));
        assert!(help("max_token_size").ends_with(&format!("[default: {DEFAULT_MAX_TOKEN}]")));
        for line in [
            &[
                "jwtctl", "--color", "never", "--leeway", "1m", "decode", "x",
            ][..],
            &[
                "jwtctl",
                "decode",
                "--max-token-size",
                "9",
                "--leeway",
                "1m",
                "x",
                "--color",
                "never",
            ],
        ] {
            let g = Cli::parse_from(args(line)).unwrap().global;
            assert_eq!(g.color(), ColorChoice::Never);
            assert_eq!(g.leeway(), 60);
        }
        let g = Cli::parse_from(args(&["jwtctl", "decode", "--max-token-size", "9", "x"]))
            .unwrap()
            .global;
        assert_eq!(g.max_token_size(), 9);
    }

    /// A command line parsed against its subcommand alone gives what the whole command gives,
    /// and is parsed that way whenever the whole command accepts it; what only the whole
    /// command can answer (help, version, errors, the other commands) falls through to it.
    #[test]
    fn a_subcommand_alone_parses_as_the_whole_command() {
        let t = "eyJhbGciOiJIUzI1NiJ9.e30.c2ln";
        let lines: &[&[&str]] = &[
            &["decode"],
            &["decode", t],
            &["decode", "--json", t, "-", "@log.txt"],
            &[
                "decode",
                "--strict",
                "--now",
                "2027-01-15T08:00:00Z",
                "--leeway",
                "90s",
                t,
            ],
            &["decode", "--color", "never", "--local", "--threads", "2", t],
            &["decode", "--max-token-size", "1000", "--", "--not-a-flag"],
            &["decode", "--now=1800000000", t, "--json"],
            &["verify", "--secret", "s3cret", t],
            &[
                "verify",
                "--secret-file",
                "k.txt",
                "--alg",
                "HS256",
                "--alg",
                "HS384",
                t,
            ],
            &[
                "verify", "--key", "pub.pem", "--iss", "a", "--aud", "b", "--aud", "c", "--sub",
                "d", t,
            ],
            &[
                "verify",
                "--jwks",
                "https://example.com/jwks.json",
                "--timeout",
                "3s",
                t,
            ],
            &[
                "verify",
                "--oidc-issuer",
                "https://example.com",
                "--require",
                "jti",
                "--allow-no-exp",
                t,
            ],
            &[
                "verify",
                "--secret-env",
                "KEY",
                "--allow-weak-key",
                "--json",
                "-",
            ],
            &["check-expiry", t],
            &[
                "check-expiry",
                "--min-ttl",
                "10m",
                "--max-lifetime",
                "1h",
                "-q",
                t,
            ],
            &[
                "check-expiry",
                "--allow-no-exp",
                "--quiet",
                "--json",
                "--now",
                "0",
                t,
            ],
            &[
                "encode",
                "--alg",
                "HS256",
                "--secret",
                "s3cret",
                r#"{"sub":"x"}"#,
            ],
            &[
                "encode",
                "--alg",
                "none",
                "--unsecured",
                "--claim",
                "a=1",
                "--exp",
                "15m",
                "--no-iat",
                "--kid",
                "k",
                "--typ",
                "",
                "--header",
                "x=y",
                "-",
            ],
            // Not accepted, or not for the subcommand alone: the whole command answers.
            &["decode", "--help"],
            &["decode", "-h"],
            &["decode", "--version"],
            &["decode", "--bogus"],
            &["decode", "--now"],
            &["decode", "--threads", "0", t],
            &["verify", "--secret", "a", "--key", "b", t],
            &["verify", t, "--alg", "XS999"],
            &["check-expiry", "--min-ttl", "soon", t],
            &["encode", "--secret", "s"],
            &["encode", "--alg", "HS999", "--secret", "s", "{}"],
            &["--json", "decode", t],
            &["--now", "0", "check-expiry", t],
            &["completions", "bash"],
            &["man"],
            &["--version"],
            &["help", "decode"],
            &["decod", t],
            &[],
        ];
        let mut alone = 0;
        for line in lines {
            let args: Vec<OsString> = std::iter::once("jwtctl")
                .chain(line.iter().copied())
                .map(OsString::from)
                .collect();
            let whole = Cli::try_parse_from(args.clone());
            match Cli::parse_alone(&args) {
                Some(cli) => {
                    alone += 1;
                    let whole = whole.unwrap_or_else(|e| panic!("{line:?}: alone only: {e}"));
                    assert_eq!(format!("{cli:?}"), format!("{whole:?}"), "{line:?}");
                }
                None => assert!(
                    whole.is_err()
                        || !matches!(
                            line.first(),
                            Some(&("decode" | "verify" | "check-expiry" | "encode"))
                        ),
                    "{line:?}: the whole command accepts it, alone does not"
                ),
            }
            let parsed = Cli::parse_from(args.clone()).map(|cli| format!("{cli:?}"));
            let whole = Cli::try_parse_from(args).map(|cli| format!("{cli:?}"));
            match (parsed, whole) {
                (Ok(a), Ok(b)) => assert_eq!(a, b, "{line:?}"),
                (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "{line:?}"),
                (a, b) => panic!("{line:?}: {a:?} against {b:?}"),
            }
        }
        assert_eq!(alone, 18, "the command lines the subcommands alone parse");
    }
}
