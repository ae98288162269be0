#!/usr/bin/env bash
# A short fuzzing run of every target (about 90 s in all), for CI or by hand:
#   bash fuzz/run.sh [SECONDS_PER_TARGET]
# Needs cargo-fuzz (cargo install cargo-fuzz); RUSTC_BOOTSTRAP lets the stable toolchain build
# the sanitizer instrumentation cargo-fuzz asks for. Prints each target's executions.
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-15}
command -v cargo-fuzz >/dev/null 2>&1 || cargo install --locked cargo-fuzz
export RUSTC_BOOTSTRAP=1
for target in scan pieces parse keys verify es256; do
  mkdir -p artifacts
  log=$(mktemp)
  # New inputs go to a scratch corpus; the committed seeds in corpus/ stay as they are.
  scratch=$(mktemp -d)
  cargo fuzz run "$target" "$scratch" "corpus/$target" -- -max_total_time="$seconds" -artifact_prefix=artifacts/ >"$log" 2>&1 || {
    tail -40 "$log"; echo "fuzz target $target FAILED"; exit 1; }
  runs=$(grep -Eo 'Done [0-9]+ runs' "$log" | grep -Eo '[0-9]+' | tail -1)
  echo "$target: ${runs:-?} executions in ${seconds}s, no crash"
done
