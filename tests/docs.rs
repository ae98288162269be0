//! The generated documents: completion scripts checked in under completions/ must match what the
//! binary prints, the man page must render and name every subcommand, and the linker's list of
//! start-up functions must be one it can read.

mod common;
use common::*;

const SHELLS: [(&str, &str); 5] = [
    ("bash", "jwtctl.bash"),
    ("zsh", "_jwtctl"),
    ("fish", "jwtctl.fish"),
    ("powershell", "_jwtctl.ps1"),
    ("elvish", "jwtctl.elv"),
];

#[test]
fn checked_in_completions_match_the_cli() {
    for (shell, file) in SHELLS {
        let out = jwtctl().args(["completions", shell]).output().unwrap();
        assert_eq!(out.status.code(), Some(0));
        let path = format!("{}/completions/{file}", env!("CARGO_MANIFEST_DIR"));
        let checked_in = std::fs::read(&path).unwrap_or_default();
        assert!(
            checked_in == out.stdout,
            "completions/{file} is out of date with the CLI; regenerate it with:\n  \
             cargo run -- completions {shell} > completions/{file}"
        );
    }
}

#[test]
fn completions_offer_fixed_choices_and_file_paths() {
    let out = jwtctl().args(["completions", "fish"]).output().unwrap();
    let fish = String::from_utf8(out.stdout).unwrap();
    for word in [
        "ES256K",
        "EdDSA",
        "always",
        "never",
        "powershell",
        "decode",
        "check-expiry",
    ] {
        assert!(fish.contains(word), "fish completions lack {word}");
    }
    // --key completes file names (fish: -r -F).
    assert!(
        fish.lines()
            .any(|l| l.contains("-l key") && l.contains("-F")),
        "--key must complete paths"
    );
    jwtctl().args(["completions", "tcsh"]).assert().code(2);
}

#[test]
fn man_page_names_every_subcommand_and_renders() {
    let out = jwtctl().arg("man").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let roff = String::from_utf8(out.stdout).unwrap();
    assert!(roff.starts_with(".ie \\n(.g .ds Aq"), "roff preamble");
    assert!(roff.contains(".TH jwtctl 1"), "title");
    for sub in [
        "DECODE",
        "VERIFY",
        "CHECK-EXPIRY",
        "ENCODE",
        "COMPLETIONS",
        "MAN",
    ] {
        assert!(
            roff.contains(&format!(".SH \"JWTCTL {sub}\"")),
            "no section for {sub}"
        );
    }
    for needle in [
        ".SH \"EXIT STATUS\"",
        ".SH EXAMPLES",
        "\\-\\-min\\-ttl",
        "\\-\\-oidc\\-issuer",
    ] {
        assert!(roff.contains(needle), "man page lacks {needle}");
    }
    // Where groff is installed, the page must render without warnings.
    if let Ok(g) = std::process::Command::new("groff")
        .args(["-man", "-Tutf8", "-ww", "-z"])
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
    {
        use std::io::Write;
        let mut g = g;
        g.stdin.take().unwrap().write_all(roff.as_bytes()).unwrap();
        let res = g.wait_with_output().unwrap();
        assert!(
            res.status.success(),
            "groff failed: {}",
            String::from_utf8_lossy(&res.stderr)
        );
        assert!(
            res.stderr.is_empty(),
            "groff warnings: {}",
            String::from_utf8_lossy(&res.stderr)
        );
    }
}

#[test]
fn help_and_version() {
    let out = jwtctl().arg("--version").output().unwrap();
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        format!("jwtctl {}\n", env!("CARGO_PKG_VERSION"))
    );
    for sub in ["decode", "verify", "check-expiry", "encode"] {
        let out = jwtctl().args([sub, "--help"]).output().unwrap();
        assert_eq!(out.status.code(), Some(0));
        let help = String::from_utf8(out.stdout).unwrap();
        assert!(help.contains("Examples:"), "{sub} --help has no examples");
        assert!(
            help.matches("\n  jwtctl ").count() + help.matches("| jwtctl").count() >= 2,
            "{sub}: {help}"
        );
    }
    let out = jwtctl().arg("verify").arg("--help").output().unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    for heading in ["Keys:", "Claims:", "Time:", "Output:"] {
        assert!(help.contains(heading), "verify --help lacks {heading}");
    }
    // No arguments: an overview on stderr and exit 2.
    let out = jwtctl().output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8(out.stderr).unwrap().contains("Commands:"));
}

/// src/startup-order.txt, which build.rs hands to the linker: one symbol a line (comments start
/// with `#`), each once, the static start-up first and jwtctl's own functions in it. A list that
/// bench/startup-order.sh wrote from a failed run (empty, or names split by spaces) fails here
/// rather than quietly laying nothing out.
#[test]
fn startup_order_is_a_list_of_symbols() {
    let path = format!("{}/src/startup-order.txt", env!("CARGO_MANIFEST_DIR"));
    let list = std::fs::read_to_string(path).unwrap();
    let names: Vec<&str> = list.lines().filter(|l| !l.starts_with('#')).collect();
    let mut seen = std::collections::HashSet::new();
    for name in &names {
        assert!(
            !name.is_empty() && !name.contains(char::is_whitespace),
            "src/startup-order.txt: {name:?} is not a symbol name"
        );
        assert!(seen.insert(name), "src/startup-order.txt: {name} twice");
    }
    assert_eq!(names.first(), Some(&"_start"));
    assert!(names.contains(&"main"));
    for module in ["commands", "time", "render", "lint"] {
        // The legacy mangling's path: each name after its length.
        let path = format!("_ZN6jwtctl{}{module}", module.len());
        assert!(
            names.iter().any(|n| n.starts_with(&path)),
            "src/startup-order.txt names no function of jwtctl's {module} module"
        );
    }
}
