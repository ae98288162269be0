//! Glue from command-line options to reports: the input pipeline the commands share, and the
//! inspection (parse, judge, header warnings) every command starts from. Commands build, never print.

pub mod check_expiry;
pub mod decode;
pub mod encode;
pub mod verify;

use crate::claims::{self, Status, Warning};
use crate::exit::Exit;
use crate::input::{Event, Input, Scanner, Source, word_candidate};
use crate::render::{Problem, Sink};
use crate::report::{Report, Signature};
use crate::token::{self, Kind, Payload};
use std::io::{self, BufReader, IsTerminal};

/// A command that cannot run at all: its message, a hint, and its exit code.
#[derive(Debug)]
pub struct Failure {
    pub exit: Exit,
    pub error: anyhow::Error,
    pub hint: Option<String>,
}

impl Failure {
    pub fn new(exit: Exit, error: impl Into<anyhow::Error>, hint: Option<String>) -> Self {
        Failure {
            exit,
            error: error.into(),
            hint,
        }
    }
}

/// What every command needs to judge time, decided once in main.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    pub now: i64,
    pub leeway: i64,
}

/// Tokens found in the first this-many bytes of an input wait for a `Date:` header that may
/// follow them (curl -v prints the request's Authorization before the response's Date).
const DATE_WINDOW: u64 = 64 * 1024;

/// Reads every input in order, builds a report for each token with `build`, and hands each to
/// `sink` as soon as it can. Returns the most severe exit code.
pub fn each_token(
    args: &[String],
    max_token: usize,
    clock: Clock,
    build: &mut dyn FnMut(&str, Source) -> Report,
    sink: &mut dyn Sink,
) -> Result<Exit, Failure> {
    let mut inputs = Input::from_args(args);
    if inputs.is_empty() {
        if io::stdin().is_terminal() {
            return Err(Failure::new(
                Exit::Usage,
                anyhow::anyhow!("no token given"),
                Some(
                    "pass a token or text holding tokens as an argument, `-` or `@FILE`, or pipe it in: \
                     `curl -si URL | jwtctl decode`"
                        .into(),
                ),
            ));
        }
        inputs.push(Input::Stdin);
    }
    let mut run = Run {
        clock,
        build,
        sink,
        index: 0,
        worst: Exit::Ok,
    };
    for input in &inputs {
        let flow = match input {
            Input::Argument(i, text) => {
                let name = format!("argument {i}");
                if let Some(word) = word_candidate(text) {
                    let source = Source {
                        input: name,
                        line: None,
                        header: None,
                        key: None,
                    };
                    let r = run.judge(word, source, None);
                    run.emit(r)
                } else {
                    run.scan(Scanner::new(
                        text.as_bytes(),
                        name,
                        text.contains('\n'),
                        max_token,
                    ))
                }
            }
            Input::Stdin => {
                let reader = BufReader::with_capacity(64 * 1024, io::stdin());
                run.scan(Scanner::new(reader, "stdin".into(), true, max_token))
            }
            Input::File(_, path) => match std::fs::File::open(path) {
                Ok(f) => {
                    let reader = BufReader::with_capacity(64 * 1024, f);
                    run.scan(Scanner::new(reader, path.clone(), true, max_token))
                }
                Err(e) => run.problem(Problem {
                    message: format!("cannot read {path}: {}", io_reason(&e)),
                    hint: None,
                    exit: Exit::BadInput,
                }),
            },
        };
        match flow {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(run.worst),
            Err(e) => {
                return Err(Failure::new(
                    Exit::BadInput,
                    anyhow::anyhow!("cannot write output: {e}"),
                    None,
                ));
            }
        }
    }
    match run.sink.finish() {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(Failure::new(
            Exit::BadInput,
            anyhow::anyhow!("cannot write output: {e}"),
            None,
        )),
        _ => Ok(run.worst),
    }
}

/// An OS error without Rust's "(os error 2)" suffix.
pub fn io_reason(e: &io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

struct Run<'a> {
    clock: Clock,
    build: &'a mut dyn FnMut(&str, Source) -> Report,
    sink: &'a mut dyn Sink,
    index: usize,
    worst: Exit,
}

impl Run<'_> {
    fn judge(&mut self, text: &str, source: Source, skew: Option<&Warning>) -> Report {
        let mut r = (self.build)(text, source);
        if let Some(w) = skew {
            r.warnings.push(w.clone());
        }
        r
    }

    fn emit(&mut self, mut r: Report) -> io::Result<()> {
        self.index += 1;
        r.index = self.index;
        self.worst = self.worst.worst(r.exit);
        self.sink.report(&r)
    }

    fn problem(&mut self, p: Problem) -> io::Result<()> {
        self.worst = self.worst.worst(p.exit);
        self.sink.problem(&p)
    }

    fn scan<R: io::BufRead>(&mut self, mut scanner: Scanner<R>) -> io::Result<()> {
        let mut pending: Vec<Report> = Vec::new();
        let mut waiting = true;
        let mut skew: Option<Warning> = None;
        let mut found = false;
        loop {
            if !scanner.has_pending() && !waiting {
                self.sink.flush()?;
            }
            let event = match scanner.next_event() {
                Ok(e) => e,
                Err(e) => {
                    for r in pending.drain(..) {
                        self.emit(r)?;
                    }
                    return self.problem(Problem {
                        message: format!(
                            "cannot read {}: {}",
                            crate::escape::text(&scanner_name(&scanner)),
                            io_reason(&e)
                        ),
                        hint: None,
                        exit: Exit::BadInput,
                    });
                }
            };
            let Some(event) = event else { break };
            match event {
                Event::Date(date) => {
                    skew = claims::clock_skew(date, self.clock.now);
                    if waiting {
                        waiting = false;
                        for mut r in pending.drain(..) {
                            if let Some(w) = &skew {
                                r.warnings.push(w.clone());
                            }
                            self.emit(r)?;
                        }
                    }
                }
                Event::Token { text, source } => {
                    found = true;
                    let r = self.judge(&text, source, skew.as_ref());
                    if waiting {
                        pending.push(r);
                    } else {
                        self.emit(r)?;
                    }
                }
                Event::TooLarge { len, source } => {
                    found = true;
                    let r = Report::malformed(
                        source,
                        format!(
                            "token of {len} bytes is over the {} byte limit (--max-token-size)",
                            scanner.max_token()
                        ),
                    );
                    if waiting {
                        pending.push(r);
                    } else {
                        self.emit(r)?;
                    }
                }
            }
            if waiting && scanner.offset() >= DATE_WINDOW {
                waiting = false;
                for r in pending.drain(..) {
                    self.emit(r)?;
                }
            }
        }
        for r in pending.drain(..) {
            self.emit(r)?;
        }
        if !found {
            self.problem(Problem {
                message: format!(
                    "no token found in {}: looked for a JWS (three base64url segments, the first starting with eyJ) \
                     or a JWE (five segments)",
                    crate::escape::text(&scanner_name(&scanner))
                ),
                hint: None,
                exit: Exit::BadInput,
            })?;
        }
        Ok(())
    }
}

fn scanner_name<R: io::BufRead>(s: &Scanner<R>) -> String {
    s.name().to_string()
}

/// Adds the security lint's warnings (decode and verify; check-expiry is about time only, and
/// the weak-secret search costs milliseconds per HS token).
pub fn add_lint(r: &mut Report) {
    if let Some(t) = &r.token {
        r.warnings.extend(crate::lint::lint(t));
    }
}

/// Parses and judges one token: the report every command starts from. Its exit code is left
/// for the command to decide, except for a malformed token (3).
pub fn inspect(text: &str, source: Source, clock: Clock) -> Report {
    let t = match token::parse(text) {
        Ok(t) => t,
        Err(e) => return Report::malformed(source, e.message),
    };
    let mut warnings = Vec::new();
    if t.kind == Kind::Unsecured {
        warnings.push(Warning::new(
            "alg_none",
            "alg is \"none\": the token has no signature and anyone can forge it. Never accept it; \
             jwtctl verify always refuses it.",
        ));
    }
    let embedded: Vec<&str> = ["jwk", "jku", "x5u", "x5c"]
        .into_iter()
        .filter(|k| t.header.contains_key(*k))
        .collect();
    if !embedded.is_empty() {
        warnings.push(Warning::new(
            "embedded_key",
            format!(
                "the header carries {}: a key or key URL chosen by whoever made the token. jwtctl never trusts \
                 or fetches it; verify only with keys you supply (--key, --jwks, --oidc-issuer).",
                embedded.join(", ")
            ),
        ));
    }
    let (judgement, status, error) = match &t.payload {
        Payload::Claims(c) => {
            let mut j = claims::judge(c, clock.now, clock.leeway);
            warnings.append(&mut j.warnings);
            let error = (j.status == Status::Invalid)
                .then(|| {
                    warnings
                        .iter()
                        .find(|w| w.code == "invalid_time_claim")
                        .map(|w| w.message.clone())
                })
                .flatten();
            let status = j.status;
            (Some(j), status, error)
        }
        Payload::NotClaims(why) => (None, Status::Malformed, Some(format!("not a JWT: {why}"))),
        Payload::Encrypted => {
            warnings.push(Warning::new(
                "jwe_not_decrypted",
                "this is an encrypted JWE: only its header can be read. Its claims need the recipient's \
                 private key; jwtctl does not decrypt.",
            ));
            (None, Status::Encrypted, None)
        }
    };
    let signature = Signature {
        alg: t.alg().map(str::to_string),
        kid: t.kid().map(str::to_string),
        ..Signature::default()
    };
    let exit = if status == Status::Malformed {
        Exit::BadInput
    } else {
        Exit::Ok
    };
    Report {
        index: 0,
        source,
        token: Some(t),
        error,
        judgement,
        status,
        signature,
        warnings,
        reasons: Vec::new(),
        exit,
    }
}

/// Where keys come from, as the user named them.
pub enum KeySource {
    File(String),
    Jwks(String),
    Oidc(String),
    Secret {
        bytes: Vec<u8>,
        base64: bool,
        origin: String,
    },
}

/// The key source among `--key` and the `--secret…` flags, if one was given.
pub fn key_source(k: &crate::cli::KeyArgs) -> Result<Option<KeySource>, Failure> {
    use crate::escape;
    let secret = |bytes: Vec<u8>, origin: String| KeySource::Secret {
        bytes,
        base64: k.secret_base64,
        origin,
    };
    if let Some(p) = &k.key {
        return Ok(Some(KeySource::File(p.clone())));
    }
    if let Some(path) = &k.secret_file {
        let mut bytes = std::fs::read(path).map_err(|e| {
            Failure::new(
                Exit::KeyProblem,
                anyhow::anyhow!(
                    "cannot read secret file {}: {}",
                    escape::text(path),
                    io_reason(&e)
                ),
                None,
            )
        })?;
        while bytes.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
            bytes.pop();
        }
        return Ok(Some(secret(
            bytes,
            format!("--secret-file {}", escape::text(path)),
        )));
    }
    if let Some(name) = &k.secret_env {
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
        return Ok(Some(secret(
            value.into_encoded_bytes(),
            format!("--secret-env {}", escape::text(name)),
        )));
    }
    Ok(k.secret
        .as_ref()
        .map(|t| secret(t.as_bytes().to_vec(), "--secret".into())))
}

/// Loads the keys of a source; any failure is a key problem (exit 6).
pub fn load_keys(
    source: KeySource,
    timeout: std::time::Duration,
) -> Result<Vec<crate::keys::Key>, Failure> {
    use crate::keys;
    let loaded = match source {
        KeySource::File(path) => keys::load_key_file(&path),
        KeySource::Jwks(src) => keys::load_jwks(&src, timeout),
        KeySource::Oidc(url) => keys::load_oidc(&url, timeout),
        KeySource::Secret {
            bytes,
            base64,
            origin,
        } => keys::secret_key(bytes, base64, &origin).map(|k| vec![k]),
    };
    loaded.map_err(|e| Failure::new(Exit::KeyProblem, e, None))
}
