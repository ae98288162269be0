//! Every `$ jwtctl …` example in README.md runs here, with its output and exit code.

#[test]
fn readme_examples() {
    trycmd::TestCases::new()
        .register_bin("jwtctl", std::path::Path::new(env!("CARGO_BIN_EXE_jwtctl")))
        .env("NO_COLOR", "1")
        .case("README.md");
}
