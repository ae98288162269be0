//! Helpers shared by the binary tests: the command, and tokens made on the spot.
#![allow(dead_code)]

use assert_cmd::Command;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// 2027-01-15T08:00:00Z
pub const T0: i64 = 1_800_000_000;

pub fn jwtctl() -> Command {
    let mut c = Command::cargo_bin("jwtctl").unwrap();
    c.env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("SSL_CERT_FILE");
    c
}

pub fn b64(s: &str) -> String {
    URL_SAFE_NO_PAD.encode(s)
}

/// An unsigned-looking JWS with the given header and payload JSON text (signature "sig").
pub fn token(header: &str, payload: &str) -> String {
    format!("{}.{}.c2ln", b64(header), b64(payload))
}

pub fn hs(payload: &str) -> String {
    token(r#"{"alg":"HS256","typ":"JWT"}"#, payload)
}

/// `token` with its signature segment replaced by `signature`.
pub fn with_signature(token: &str, signature: &str) -> String {
    let (signing_input, _) = token.rsplit_once('.').unwrap();
    format!("{signing_input}.{signature}")
}

/// Runs the command, which must exit 0 (its stderr shown if not), and returns its stdout.
pub fn stdout_ok(command: &mut Command) -> Vec<u8> {
    let out = command.output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

pub fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(path).unwrap().trim().to_string()
}

pub fn fixture_path(name: &str) -> String {
    format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

pub fn json_lines(out: &[u8]) -> Vec<serde_json::Value> {
    String::from_utf8(out.to_vec())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {e}: {l}")))
        .collect()
}

/// A one-thread HTTP server on 127.0.0.1 for tests: each path maps to (status, body), where
/// `{base}` in a body stands for the server's own URL, and a status of 3xx redirects to the
/// body. A path absent from the map gets 404; the path `/hang` never answers. Returns the base
/// URL.
pub fn http_server(routes: Vec<(&'static str, u16, String)>) -> String {
    serve("http", routes, Some)
}

/// An https server as [`http_server`], with the certificate of keys/tls-server.crt.pem (issued
/// by the tests' own CA, keys/tls-ca.crt.pem, for 127.0.0.1). Returns `https://127.0.0.1:PORT`.
pub fn https_server(routes: Vec<(&'static str, u16, String)>) -> String {
    use rustls::pki_types::pem::PemObject as _;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    use std::sync::Arc;
    let chain: Vec<CertificateDer<'static>> =
        CertificateDer::pem_file_iter(fixture_path("keys/tls-server.crt.pem"))
            .unwrap()
            .map(Result::unwrap)
            .collect();
    let key = PrivateKeyDer::from_pem_file(fixture_path("keys/tls-server.key.pem")).unwrap();
    let config = Arc::new(
        rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::aws_lc_rs::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .unwrap(),
    );
    serve("https", routes, move |tcp| {
        let conn = rustls::ServerConnection::new(config.clone()).ok()?;
        Some(rustls::StreamOwned::new(conn, tcp))
    })
}

/// [`http_server`]'s loop, over the streams `open` makes of its connections.
fn serve<S: std::io::Read + std::io::Write>(
    scheme: &str,
    routes: Vec<(&'static str, u16, String)>,
    open: impl Fn(std::net::TcpStream) -> Option<S> + Send + 'static,
) -> String {
    use std::io::{BufRead, BufReader};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("{scheme}://{}", listener.local_addr().unwrap());
    let routes: Vec<_> = routes
        .into_iter()
        .map(|(p, s, b)| (p, s, b.replace("{base}", &base)))
        .collect();
    std::thread::spawn(move || {
        for tcp in listener.incoming().take(64) {
            let Some(stream) = tcp.ok().and_then(&open) else {
                continue;
            };
            let mut reader = BufReader::new(stream);
            let mut request_line = String::new();
            // (A client that refused the server's certificate ends here.)
            if reader.read_line(&mut request_line).is_err() {
                continue;
            }
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
            }
            let path = request_line.split_whitespace().nth(1).unwrap_or("/");
            if path == "/hang" {
                std::thread::sleep(std::time::Duration::from_secs(5));
                continue;
            }
            let (status, body) = routes
                .iter()
                .find(|(p, _, _)| *p == path)
                .map(|(_, s, b)| (*s, b.clone()))
                .unwrap_or((404, "not found".to_string()));
            let stream = reader.get_mut();
            let _ = if (300..400).contains(&status) {
                write!(
                    stream,
                    "HTTP/1.1 {status} X\r\nLocation: {body}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                )
            } else {
                write!(
                    stream,
                    "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                )
            };
            let _ = stream.flush();
        }
    });
    base
}

/// The token fixtures signed by an independent implementation: alg -> (token, key path).
pub fn signed(alg: &str) -> (String, String) {
    let all: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture_path("tokens.json")).unwrap())
            .unwrap();
    let t = &all[alg];
    (
        t["token"].as_str().unwrap().to_string(),
        fixture_path(t["key"].as_str().unwrap()),
    )
}

pub const ALGS: [&str; 14] = [
    "HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256",
    "ES384", "ES512", "ES256K", "EdDSA",
];

/// An ES256 token over `claims` (JSON text) signed with the P-256 fixture key, kid "ES256-key".
pub fn es256(claims: &str) -> String {
    use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
    use base64::Engine as _;
    let pem = std::fs::read_to_string(fixture_path("keys/ec256.key.pem")).unwrap();
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(body)
        .unwrap();
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &der).unwrap();
    let input = format!(
        "{}.{}",
        b64(r#"{"alg":"ES256","kid":"ES256-key"}"#),
        b64(claims)
    );
    let sig = pair
        .sign(&aws_lc_rs::rand::SystemRandom::new(), input.as_bytes())
        .unwrap();
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig.as_ref()))
}

/// An HS256 token over the given header and payload JSON, really signed with `secret`.
pub fn hs256_signed(secret: &[u8], header: &str, payload: &str) -> String {
    let input = format!("{}.{}", b64(header), b64(payload));
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, secret);
    let tag = aws_lc_rs::hmac::sign(&key, input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(tag.as_ref()))
}

/// The warning codes of one `--json` report.
pub fn warning_codes(report: &serde_json::Value) -> Vec<String> {
    report["warnings"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|w| w["code"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// A running process's peak resident memory so far, in KiB.
pub fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

/// jwtctl with `args`, as a standard command, for tests that choose where its streams go.
pub fn process(args: &[&str]) -> std::process::Command {
    let mut command = std::process::Command::new(assert_cmd::cargo::cargo_bin("jwtctl"));
    command
        .args(args)
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE");
    command
}

/// jwtctl started with stdin, stdout and stderr piped, for tests that stream into it.
pub fn spawn(args: &[&str]) -> std::process::Child {
    use std::process::Stdio;
    process(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}
