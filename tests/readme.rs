//! Every `$ jwtctl …` example in README.md runs here (trycmd), with its output and exit code,
//! and so does every ```bash block, whose stdout must equal the ```text block that follows it.

#[test]
fn readme_console_examples() {
    trycmd::TestCases::new()
        .register_bin("jwtctl", std::path::Path::new(env!("CARGO_BIN_EXE_jwtctl")))
        .env("NO_COLOR", "1")
        .case("README.md");
}

/// The fenced blocks of a Markdown text: (info string, body).
fn blocks(markdown: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut current: Option<(String, String)> = None;
    for line in markdown.lines() {
        match (&mut current, line.strip_prefix("```")) {
            (None, Some(info)) => current = Some((info.trim().to_string(), String::new())),
            (Some(_), Some("")) => out.push(current.take().unwrap()),
            (Some((_, body)), _) => {
                body.push_str(line);
                body.push('\n');
            }
            (None, None) => {}
        }
    }
    out
}

#[test]
fn readme_bash_snippets() {
    let root = env!("CARGO_MANIFEST_DIR");
    let readme = std::fs::read_to_string(format!("{root}/README.md")).unwrap();
    let bin_dir = std::path::Path::new(env!("CARGO_BIN_EXE_jwtctl"))
        .parent()
        .unwrap()
        .to_path_buf();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let all = blocks(&readme);
    let mut ran = 0;
    for (i, (info, script)) in all.iter().enumerate() {
        if info != "bash" {
            continue;
        }
        let expected = match all.get(i + 1) {
            Some((next, text)) if next == "text" => text.clone(),
            _ => {
                panic!("README bash block {i} must be followed by a ```text block with its output")
            }
        };
        let out = std::process::Command::new("bash")
            .args(["-euo", "pipefail", "-c", script])
            .current_dir(root)
            .env("PATH", &path)
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "README bash block failed ({:?}):\n{script}\nstderr: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            stdout, expected,
            "README bash block's output differs:\n{script}"
        );
        ran += 1;
    }
    assert!(ran >= 3, "expected the README's bash examples, found {ran}");
}
