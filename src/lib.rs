//! jwtctl as a library: the modules behind the `jwtctl` command, public for its fuzz targets and
//! benchmarks. The command-line contract is the stable interface; this API is not.

pub mod base64url;
pub mod bytes;
pub mod claims;
pub mod cli;
pub mod commands;
pub mod cpu;
pub mod escape;
pub mod exit;
pub mod hmac_sha256;
pub mod input;
pub mod keys;
pub mod lint;
pub mod manual;
pub mod p256;
pub mod render;
pub mod report;
pub mod spare;
#[cfg(unix)]
pub mod start;
pub mod time;
pub mod token;
pub mod verify;
