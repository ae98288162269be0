//! Compiles the weak-secret list (src/weak_secrets.txt) into a table: each secret with its
//! HMAC-SHA256 pad states (SHA-256's state after the key block xor ipad and after it xor opad),
//! so that the weak_secret lint's search starts every secret two blocks in. A unit test in
//! src/lint.rs holds the table to the HMAC module's own key preparation.
//!
//! In release builds for Linux x86_64 with glibc, also hands the linker src/startup-order.txt,
//! the functions one-token runs execute, to lay out together (`startup_order`).
//!
//! On Linux x86_64, turns on src/p256.rs's key tables (`cfg(p256_asm)`) when the aws-lc library
//! aws-lc-sys built holds the functions that module calls by name (`p256_asm`).

use std::fmt::Write as _;

// IV and K, SHA-256's constants, and its message schedule, shared with src/hmac_sha256.rs.
include!("src/sha256_constants.rs");

/// SHA-256's compression function (FIPS 180-4, 6.2.2) over one 64-byte block.
fn compress(state: &mut [u32; 8], block: &[u8]) {
    let w = schedule(block);
    let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut h] = *state;
    for i in 0..64 {
        let s1 = e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25);
        let ch = (e & f) ^ (!e & g);
        let t1 = h
            .wrapping_add(s1)
            .wrapping_add(ch)
            .wrapping_add(K[i])
            .wrapping_add(w[i]);
        let s0 = a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22);
        let maj = (a & b) ^ (a & c) ^ (b & c);
        let t2 = s0.wrapping_add(maj);
        h = g;
        g = f;
        f = e;
        e = d.wrapping_add(t1);
        d = c;
        c = b;
        b = a;
        a = t1.wrapping_add(t2);
    }
    for (s, v) in state.iter_mut().zip([a, b, c, d, e, f, g, h]) {
        *s = s.wrapping_add(v);
    }
}

fn main() {
    println!("cargo:rerun-if-changed=src/weak_secrets.txt");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=src/sha256_constants.rs");
    let dir = std::env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR");
    startup_order(&dir);
    p256_asm(&dir);
    let list = std::fs::read_to_string(format!("{dir}/src/weak_secrets.txt"))
        .expect("src/weak_secrets.txt");
    let secrets: Vec<&str> = list
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with("# "))
        .collect();
    let mut out = String::new();
    // The list as one string and offsets, not an array of `&str`: a pointer in a static is a
    // relocation the loader writes at every start (two tables of 2,600 pointers were ~20 pages
    // written before main).
    let blob: String = secrets.concat();
    assert!(
        blob.len() <= usize::from(u16::MAX),
        "src/weak_secrets.txt: the list is longer than 64 KiB, which its u16 offsets do not reach"
    );
    writeln!(out, "/// The well-known secrets, one after another.").unwrap();
    writeln!(out, "const SECRET_BYTES: &str = {blob:?};").unwrap();
    let ends = secrets.iter().scan(0, |end, s| {
        *end += s.len();
        Some(end.to_string())
    });
    table(
        &mut out,
        "Where each secret ends in SECRET_BYTES, in the list's order.",
        &format!("SECRET_ENDS: [u16; {}]", secrets.len()),
        ends,
    );
    // `is_well_known` searches this order: no set to build at start-up.
    let mut sorted: Vec<usize> = (0..secrets.len()).collect();
    sorted.sort_by_key(|&i| (secrets[i], i));
    sorted.dedup_by_key(|i| secrets[*i]);
    table(
        &mut out,
        "The places of the secrets in byte order, each secret once.",
        &format!("SORTED: [u16; {}]", sorted.len()),
        sorted.iter().map(usize::to_string),
    );
    let states: Vec<([u32; 8], [u32; 8])> = secrets
        .iter()
        .map(|s| {
            // HMAC hashes a key longer than its block first; no listed secret is that long.
            assert!(
                s.len() <= 64,
                "src/weak_secrets.txt: {s:?} is longer than 64 bytes, which this script does not hash"
            );
            let mut block = [0u8; 64];
            block[..s.len()].copy_from_slice(s.as_bytes());
            let (mut inner, mut outer) = (IV, IV);
            compress(&mut inner, &block.map(|b| b ^ 0x36));
            compress(&mut outer, &block.map(|b| b ^ 0x5c));
            (inner, outer)
        })
        .collect();
    // The states sixteen keys at a time, word by word, the last group filled up with the last
    // key.
    let groups = states.len().div_ceil(16);
    let group = |g: usize| {
        let lane = |l: usize| states[(g * 16 + l).min(states.len() - 1)];
        // Word `w` of every lane's inner (`outer` false) or outer state, row by row.
        let rows = |outer: bool| -> String {
            let rows: Vec<String> = (0..8)
                .map(|w| {
                    let words: Vec<u32> = (0..16)
                        .map(|l| if outer { lane(l).1[w] } else { lane(l).0[w] })
                        .collect();
                    format!("{words:?}")
                })
                .collect();
            format!("[{}]", rows.join(", "))
        };
        format!(
            "crate::hmac_sha256::Keys16::from_states({}, {})",
            rows(false),
            rows(true)
        )
    };
    table(
        &mut out,
        "Each secret's HMAC-SHA256 key, its pad blocks hashed, sixteen keys at a time (the last group's spare lanes repeat the last key).",
        &format!("PREPARED: [crate::hmac_sha256::Keys16; {groups}]"),
        (0..groups).map(group),
    );
    let dir = std::env::var("OUT_DIR").expect("OUT_DIR");
    std::fs::write(format!("{dir}/weak_secrets.rs"), out).expect("writing weak_secrets.rs");
}

/// A static table: `doc` as its doc comment, `declaration` its name and type, one item a line.
fn table(out: &mut String, doc: &str, declaration: &str, items: impl Iterator<Item = String>) {
    writeln!(out, "/// {doc}").unwrap();
    writeln!(out, "static {declaration} = [").unwrap();
    for item in items {
        writeln!(out, "    {item},").unwrap();
    }
    writeln!(out, "];").unwrap();
}

/// Asks the linker to put the functions one-token runs execute next to each other, in the order
/// of src/startup-order.txt (written by bench/startup-order.sh), so that a start touches fewer
/// pages of code. Only in release builds for Linux x86_64 with glibc, and only when a trial link
/// with the same compiler, flags and linker takes the options (LLD, which rustc uses there by
/// default since 1.90, does; GNU ld and gold do not): otherwise the build goes on without them.
/// The linker passes over a name the binary lacks (a hash changed with the compiler or a
/// dependency) without a word: the list only moves code, so a stale one costs speed, never
/// correctness.
fn startup_order(dir: &str) {
    println!("cargo:rerun-if-changed=src/startup-order.txt");
    println!("cargo:rerun-if-env-changed=RUSTC_LINKER");
    let var = |name: &str| std::env::var(name).unwrap_or_default();
    if var("PROFILE") != "release"
        || var("CARGO_CFG_TARGET_ARCH") != "x86_64"
        || var("CARGO_CFG_TARGET_OS") != "linux"
        || var("CARGO_CFG_TARGET_ENV") != "gnu"
    {
        return;
    }
    let args = [
        format!("-Wl,--symbol-ordering-file={dir}/src/startup-order.txt"),
        "-Wl,--no-warn-symbol-ordering".to_string(),
    ];
    if links_with(&args) {
        for arg in args {
            println!("cargo:rustc-link-arg-bins={arg}");
        }
    }
}

/// Sets `cfg(p256_asm)` when the target is Linux x86_64 and the static library aws-lc-sys links
/// (its `libcrypto_path`) defines every function src/p256.rs names in a `link_name`: aws-lc-sys
/// builds them with its assembly and its symbol prefix, which a build without assembly
/// (`AWS_LC_SYS_NO_ASM`), without the prefix (`AWS_LC_SYS_NO_PREFIX`) or a system aws-lc may
/// lack. Otherwise the module's tables are left out (with a warning on Linux x86_64) and aws-lc
/// verifies every ES256 token: a slower build, never a link error.
fn p256_asm(dir: &str) {
    println!("cargo:rustc-check-cfg=cfg(p256_asm)");
    println!("cargo:rerun-if-changed=src/p256.rs");
    let var = |name: &str| std::env::var(name).unwrap_or_default();
    if var("CARGO_CFG_TARGET_ARCH") != "x86_64" || var("CARGO_CFG_TARGET_OS") != "linux" {
        return;
    }
    let source = std::fs::read_to_string(format!("{dir}/src/p256.rs")).expect("src/p256.rs");
    let names: Vec<&str> = source
        .lines()
        .filter_map(|line| line.trim().strip_prefix("#[link_name = \""))
        .filter_map(|rest| rest.strip_suffix("\"]"))
        .collect();
    assert!(!names.is_empty(), "src/p256.rs: no link_name found");
    // aws-lc-sys's `links` name carries its version, pinned in Cargo.toml like the link names.
    let path = var("DEP_AWS_LC_0_47_0_LIBCRYPTO_PATH");
    let missing = match std::fs::read(&path) {
        Ok(archive) => {
            println!("cargo:rerun-if-changed={path}");
            let defined = archive_symbols(&archive).unwrap_or_default();
            names
                .iter()
                .find(|name| !defined.contains(&name.as_bytes()))
                .copied()
        }
        Err(_) => Some(names[0]),
    };
    match missing {
        None => println!("cargo:rustc-cfg=p256_asm"),
        Some(name) => println!(
            "cargo:warning=ES256 key tables left out: aws-lc's library ({}) defines no {name} \
             (built without its assembly or its symbol prefix, or not a static library?); aws-lc \
             verifies every ES256 token",
            if path.is_empty() {
                "not named by aws-lc-sys"
            } else {
                &path
            },
        ),
    }
}

/// The names a static library (a System V / GNU `ar` archive) defines, from its symbol table:
/// the first member, `/` (32-bit offsets) or `/SYM64/` (64-bit), a big-endian count, the
/// offsets, and the names, each ended by a NUL. None for anything else (a shared library).
fn archive_symbols(archive: &[u8]) -> Option<Vec<&[u8]>> {
    let rest = archive.strip_prefix(b"!<arch>\n")?;
    let header = rest.get(..60)?;
    let width = match &header[..16] {
        name if name.starts_with(b"/SYM64/ ") => 8,
        name if name.starts_with(b"/ ") => 4,
        _ => return None,
    };
    let size: usize = std::str::from_utf8(&header[48..58])
        .ok()?
        .trim()
        .parse()
        .ok()?;
    let table = rest.get(60..60 + size)?;
    let count = table
        .get(..width)?
        .iter()
        .fold(0usize, |n, &b| n << 8 | usize::from(b));
    let names = table.get(width.checked_mul(count.checked_add(1)?)?..)?;
    Some(names.split(|&b| b == 0).take(count).collect())
}

/// Whether an empty program for the target being built links with `args` given to the linker,
/// by the compiler, flags and linker cargo builds the crate with.
fn links_with(args: &[String]) -> bool {
    use std::io::Write as _;
    use std::process::{Command, Stdio};
    let var = |name: &str| std::env::var_os(name).unwrap_or_default();
    let out = std::path::Path::new(&var("OUT_DIR")).join("link-probe");
    let mut rustc = Command::new(std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into()));
    rustc
        .args(["--crate-type=bin", "--crate-name=link_probe", "--target"])
        .arg(var("TARGET"))
        .arg("-o")
        .arg(&out);
    let flags = var("CARGO_ENCODED_RUSTFLAGS");
    let flags = flags.to_string_lossy();
    rustc.args(flags.split('\x1f').filter(|flag| !flag.is_empty()));
    if let Some(linker) = std::env::var_os("RUSTC_LINKER") {
        let mut flag = std::ffi::OsString::from("linker=");
        flag.push(linker);
        rustc.arg("-C").arg(flag);
    }
    for arg in args {
        rustc.arg("-C").arg(format!("link-arg={arg}"));
    }
    let child = rustc
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    let Ok(mut child) = child else {
        return false;
    };
    let fed = child
        .stdin
        .take()
        .is_some_and(|mut stdin| stdin.write_all(b"fn main() {}\n").is_ok());
    let linked = child.wait().is_ok_and(|status| status.success());
    let _ = std::fs::remove_file(&out);
    fed && linked
}
