//! The generated documents: shell completion scripts and the man page, both from the clap
//! definition so they never drift from the real command line.

use crate::cli::Cli;
use clap::CommandFactory;
use std::io::{self, Write};

pub fn completions(shell: clap_complete::Shell, out: &mut dyn Write) -> io::Result<()> {
    let mut cmd = Cli::command();
    // Made in memory: clap_complete panics when its writer fails (a full disk, a closed pipe).
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut cmd, "jwtctl", &mut script);
    out.write_all(&script)
}

const EXIT_STATUS: &str = r#".SH "EXIT STATUS"
.TP
\fB0\fR
ok
.TP
\fB1\fR
invalid: expired, bad signature, claim mismatch
.TP
\fB2\fR
usage error
.TP
\fB3\fR
bad input: no token found, malformed token
.TP
\fB4\fR
expires within \-\-min\-ttl
.TP
\fB5\fR
not yet valid: nbf or iat beyond \-\-leeway in the future
.TP
\fB6\fR
key problem: unreadable key, no key for the kid, JWKS fetch failed
.TP
\fB7\fR
policy: no exp, lifetime over \-\-max\-lifetime, a security warning with decode \-\-strict
.PP
With several tokens the exit status is the most severe present, in the order 3, 6, 1, 5, 7, 4, 0.
"#;

const EXAMPLES: &str = r#".SH EXAMPLES
.TP
\fBjwtctl decode "$TOKEN"\fR
Show a token's header, claims, times in words and warnings.
.TP
\fBcurl \-sv https://api.example.com/me \-H "Authorization: Bearer $TOKEN" 2>&1 | jwtctl decode\fR
Find and explain every token in an HTTP exchange, with a clock_skew warning when the server's Date header disagrees with this clock.
.TP
\fBjwtctl verify \-\-jwks https://auth.example.com/jwks.json \-\-iss https://auth.example.com \-\-aud api "$TOKEN"\fR
Check the signature with the issuer's keys, then the claims.
.TP
\fBjwtctl check\-expiry \-q \-\-min\-ttl 10m "$TOKEN" || refresh\fR
In a script: refresh a token that has less than 10 minutes left.
.TP
\fBjwtctl encode \-\-alg ES256 \-\-key ec.key.pem \-\-claim sub=test \-\-exp 15m\fR
Make a signed token for a test.
"#;

/// The man page: the top-level page, then each subcommand's synopsis and options, the exit
/// status table and examples.
pub fn man_page(out: &mut dyn Write) -> io::Result<()> {
    let cmd = Cli::command();
    let man = clap_mangen::Man::new(cmd.clone());
    man.render_title(out)?;
    man.render_name_section(out)?;
    man.render_synopsis_section(out)?;
    man.render_description_section(out)?;
    man.render_options_section(out)?;
    man.render_subcommands_section(out)?;
    for sub in cmd.get_subcommands() {
        let name = format!("jwtctl {}", sub.get_name());
        let sub = sub.clone().bin_name(name.clone());
        let sub_man = clap_mangen::Man::new(sub.clone());
        writeln!(out, ".SH \"{}\"", name.to_uppercase())?;
        if let Some(about) = sub.get_about() {
            writeln!(out, "{}", roff_escape(&about.to_string()))?;
        }
        let mut section = Vec::new();
        sub_man.render_synopsis_section(&mut section)?;
        sub_man.render_options_section(&mut section)?;
        // Nest the subcommand's own sections under its heading.
        let section = String::from_utf8_lossy(&section).replace(".SH ", ".SS ");
        out.write_all(section.as_bytes())?;
    }
    out.write_all(EXIT_STATUS.as_bytes())?;
    out.write_all(EXAMPLES.as_bytes())?;
    man.render_version_section(out)?;
    Ok(())
}

fn roff_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('-', "\\-")
}
