//! What was found about one token: the data every renderer reads and the exit code it implies.

use crate::claims::{Judgement, Status, Warning};
use crate::exit::Exit;
use crate::input::Source;
use crate::token::Token;

/// The signature part of a report (its `alg` and `kid` are the token's: [`Report::alg`],
/// [`Report::kid`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Signature {
    /// None when not checked (decode, check-expiry, or a check that could not run).
    pub verified: Option<bool>,
    /// Which key verified (or was tried): its kid and where it came from. Made once per key
    /// and kept for the whole run (a run loads its keys once): the reports of every thread
    /// point at it without a count of holders, which two threads raising and lowering for
    /// every token kept moving between their cores (verify HS256 on two threads took ~7% more
    /// CPU time than on one with it, ~2% without: bench/RESULTS.md, nineteenth round).
    pub key: Option<&'static KeyDescription>,
    pub error: Option<String>,
}

/// A key's description (see [`Signature::key`]), and the JSON string of it, made on first use
/// and then copied for each token the key verifies.
#[derive(Debug)]
pub struct KeyDescription {
    pub text: Box<str>,
    pub json: std::sync::OnceLock<Box<[u8]>>,
}

impl KeyDescription {
    /// A description kept for the whole run (a run loads its keys once).
    pub fn leak(text: String) -> &'static KeyDescription {
        Box::leak(Box::new(KeyDescription {
            text: text.into_boxed_str(),
            json: std::sync::OnceLock::new(),
        }))
    }
}

impl PartialEq for KeyDescription {
    fn eq(&self, other: &KeyDescription) -> bool {
        self.text == other.text
    }
}

impl Eq for KeyDescription {}

/// One token's report.
#[derive(Debug, Clone)]
pub struct Report {
    /// 1-based position among the tokens of this run.
    pub index: usize,
    pub source: Source,
    /// The parsed token; None when it could not be parsed at all.
    pub token: Option<Token>,
    /// Why the token is malformed or failed, in one line.
    pub error: Option<String>,
    pub judgement: Option<Judgement>,
    pub status: Status,
    pub signature: Signature,
    pub warnings: Vec<Warning>,
    /// Extra lines a command wants said about its verdict (e.g. the policy that failed).
    pub reasons: Vec<String>,
    pub exit: Exit,
}

impl Report {
    pub fn expires_in(&self) -> Option<i64> {
        self.judgement.as_ref().and_then(|j| j.expires_in)
    }

    pub fn lifetime(&self) -> Option<i64> {
        self.judgement.as_ref().and_then(|j| j.lifetime)
    }

    /// The token's `alg`, when it has one that is a string.
    pub fn alg(&self) -> Option<&str> {
        self.token.as_ref().and_then(Token::alg)
    }

    /// The token's `kid`, when it has one that is a string.
    pub fn kid(&self) -> Option<&str> {
        self.token.as_ref().and_then(Token::kid)
    }

    pub fn has_security_warning(&self) -> bool {
        self.warnings.iter().any(Warning::is_security)
    }
}

impl Report {
    /// A token that could not be parsed, or was refused before parsing.
    pub fn malformed(source: Source, error: String) -> Report {
        Report {
            index: 0,
            source,
            token: None,
            error: Some(error),
            judgement: None,
            status: Status::Malformed,
            signature: Signature::default(),
            warnings: Vec::new(),
            reasons: Vec::new(),
            exit: Exit::BadInput,
        }
    }
}
