//! `--json`: one JSON object per token per line, every field of the contract.

use super::Render;
use crate::escape::SafeJson;
use crate::report::Report;
use crate::token::Payload;
use serde_json::{Map, Value, json};

/// The JSON Lines view.
pub struct JsonLines;

/// The report as the contract's JSON object.
pub fn to_value(r: &Report) -> Value {
    let token = r.token.as_ref();
    let mut times = Map::new();
    if let Some(j) = &r.judgement {
        for t in &j.times {
            times.insert(
                t.name.to_string(),
                json!({"unix": t.unix, "utc": t.utc(), "relative_seconds": t.relative}),
            );
        }
    }
    let payload = match token.map(|t| &t.payload) {
        Some(Payload::Claims(c)) => Value::Object(c.clone()),
        _ => Value::Null,
    };
    let warnings: Vec<Value> = r
        .warnings
        .iter()
        .map(|w| json!({"code": w.code, "message": w.message}))
        .collect();
    let s = &r.signature;
    let mut m = Map::new();
    m.insert("source".into(), Value::String(r.source.to_string()));
    m.insert("index".into(), json!(r.index));
    m.insert("kind".into(), json!(token.map(|t| t.kind.as_str())));
    m.insert(
        "header".into(),
        token.map_or(Value::Null, |t| Value::Object(t.header.clone())),
    );
    m.insert("payload".into(), payload);
    m.insert(
        "signature".into(),
        json!({"alg": s.alg, "verified": s.verified, "kid": s.kid, "key": s.key, "error": s.error}),
    );
    m.insert("times".into(), Value::Object(times));
    m.insert("status".into(), json!(r.status.as_str()));
    m.insert("error".into(), json!(r.error));
    m.insert("reasons".into(), json!(r.reasons));
    m.insert("expires_in_seconds".into(), json!(r.expires_in()));
    m.insert("lifetime_seconds".into(), json!(r.lifetime()));
    m.insert("warnings".into(), Value::Array(warnings));
    m.insert("exit_code".into(), json!(r.exit.code()));
    Value::Object(m)
}

impl Render for JsonLines {
    fn render(&self, report: &Report, out: &mut Vec<u8>) {
        let mut ser = serde_json::Serializer::with_formatter(&mut *out, SafeJson);
        // Serializing a Value into memory cannot fail.
        let _ = serde::Serialize::serialize(&to_value(report), &mut ser);
        out.push(b'\n');
    }
}
