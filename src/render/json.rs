//! `--json`: one JSON object per token per line, every field of the contract.

use super::Render;
use crate::claims::{TimeClaim, Warning};
use crate::escape::SafeJson;
use crate::report::Report;
use crate::report::Signature;
use crate::token::Payload;
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

/// The JSON Lines view.
pub struct JsonLines;

/// The report as the contract's JSON object, serialized straight from the report (no tree is
/// built, nothing is cloned).
pub struct View<'a>(pub &'a Report);

impl Serialize for View<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let r = self.0;
        let token = r.token.as_ref();
        let payload = match token.map(|t| &t.payload) {
            Some(Payload::Claims(c)) => Some(c),
            _ => None,
        };
        let mut m = s.serialize_map(Some(16))?;
        m.serialize_entry("source", &r.source.to_string())?;
        m.serialize_entry("index", &r.index)?;
        m.serialize_entry("kind", &token.map(|t| t.kind.as_str()))?;
        m.serialize_entry("header", &token.map(|t| &t.header))?;
        m.serialize_entry("payload", &payload)?;
        m.serialize_entry("signature", &SignatureView(&r.signature))?;
        m.serialize_entry(
            "times",
            &TimesView(r.judgement.as_ref().map_or(&[], |j| &j.times)),
        )?;
        m.serialize_entry("status", r.status.as_str())?;
        m.serialize_entry("error", &r.error)?;
        m.serialize_entry("reasons", &r.reasons)?;
        m.serialize_entry("expires_in_seconds", &r.expires_in())?;
        m.serialize_entry("lifetime_seconds", &r.lifetime())?;
        m.serialize_entry("warnings", &WarningsView(&r.warnings))?;
        m.serialize_entry("exit_code", &r.exit.code())?;
        m.end()
    }
}

struct SignatureView<'a>(&'a Signature);

impl Serialize for SignatureView<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let g = self.0;
        let mut m = s.serialize_map(Some(5))?;
        m.serialize_entry("alg", &g.alg)?;
        m.serialize_entry("verified", &g.verified)?;
        m.serialize_entry("kid", &g.kid)?;
        m.serialize_entry("key", &g.key)?;
        m.serialize_entry("error", &g.error)?;
        m.end()
    }
}

struct TimesView<'a>(&'a [TimeClaim]);

impl Serialize for TimesView<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for t in self.0 {
            m.serialize_entry(t.name, &TimeView(t))?;
        }
        m.end()
    }
}

struct TimeView<'a>(&'a TimeClaim);

impl Serialize for TimeView<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let t = self.0;
        let mut m = s.serialize_map(Some(3))?;
        m.serialize_entry("unix", &t.unix)?;
        m.serialize_entry("utc", &t.utc())?;
        m.serialize_entry("relative_seconds", &t.relative)?;
        m.end()
    }
}

struct WarningsView<'a>(&'a [Warning]);

impl Serialize for WarningsView<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for w in self.0 {
            seq.serialize_element(&WarningView(w))?;
        }
        seq.end()
    }
}

struct WarningView<'a>(&'a Warning);

impl Serialize for WarningView<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry("code", self.0.code)?;
        m.serialize_entry("message", &self.0.message)?;
        m.end()
    }
}

impl Render for JsonLines {
    fn render(&self, report: &Report, out: &mut Vec<u8>) {
        let mut ser = serde_json::Serializer::with_formatter(&mut *out, SafeJson);
        // Serializing a Value into memory cannot fail.
        let _ = View(report).serialize(&mut ser);
        out.push(b'\n');
    }
}
