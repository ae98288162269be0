#!/usr/bin/env bash
# Writes src/pgo.profdata: how often each branch of jwtctl (and of the Rust crates it is built
# from) ran in runs like the benchmark's, which the README's static install and bench/run.sh hand
# to rustc (`-C profile-use`) so that LLVM inlines and lays out the code for them (profile-guided
# optimization). On the Zen 4 host of bench/RESULTS.md a 1-thread `decode --json` of the
# benchmark's corpus took ~14% less time with it, verify HS256 ~12% less. Run it again after
# changing the compiler, Cargo.lock or the code on the batch paths: a function whose code changed
# since is built as without a profile (`-C llvm-args=-no-pgo-warn-mismatch` keeps rustc quiet
# about it), so a stale profile costs speed, never correctness.
#   bash bench/pgo.sh
# Linux x86_64 with glibc; needs rustup's llvm-tools (`rustup component add llvm-tools`) and
# python3. Builds jwtctl instrumented once, in target/pgo-generate (a few minutes the first time).
set -euo pipefail
cd "$(dirname "$0")/.."
T=x86_64-unknown-linux-gnu
[ "$(rustc -vV | sed -n 's/^host: //p')" = $T ] || { echo "error: bench/pgo.sh runs on $T only" >&2; exit 2; }
command -v python3 >/dev/null || { echo "error: bench/pgo.sh needs python3" >&2; exit 2; }
profdata="$(rustc --print sysroot)/lib/rustlib/$T/bin/llvm-profdata"
[ -x "$profdata" ] || {
  echo "error: bench/pgo.sh needs llvm-profdata from rustup's llvm-tools: rustup component add llvm-tools" >&2
  exit 2
}
# The counts and the runs' inputs stay in target/pgo for a look.
work=$PWD/target/pgo
rm -rf "$work" && mkdir -p "$work/raw"
# The README's static install, instrumented (its own target directory: the flags differ).
RUSTFLAGS="-C target-feature=+crt-static -C profile-generate=$work/raw" \
  cargo build --release --locked --quiet --target $T --target-dir target/pgo-generate
I=target/pgo-generate/$T/release/jwtctl
K=tests/fixtures/keys
printf 'pgo-secret-0123456789abcdef-0123456789' > "$work/hs.secret"
# Tokens shaped like bench/run.sh's: ~400 bytes for HS256, each with its own sub, jti and exp.
claims() {
  printf '{"iss":"https://auth.example.com","sub":"user-%08d","aud":["api","web"],' "$1"
  printf '"scope":"read:orders write:orders","iat":1800000000,"nbf":1800000000,'
  printf '"exp":%d,"jti":"%032x","tenant":"acme-corp"}' $((1800000900 + $1 % 3600)) "$1"
}
make_tokens() { # ALG COUNT KEY-OPTIONS...: COUNT tokens, one per line
  local alg=$1 count=$2 i
  shift 2
  for ((i = 0; i < count; i++)); do
    claims "$i" | "$I" encode --alg "$alg" --kid k1 "$@" -
  done
}
make_tokens HS256 64 --secret-file "$work/hs.secret" >"$work/hs.pool"
make_tokens RS256 16 --key $K/rsa.key.pem >"$work/rs.pool"
make_tokens ES256 16 --key $K/ec256.key.pem >"$work/es.pool"
make_tokens EdDSA 16 --key $K/ed25519.key.pem >"$work/ed.pool"
# Streams: the pools repeated (the work of a token is the same the second time).
python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
def repeat(name, count):
    pool = open(f"{work}/{name}.pool").read().split()
    lines = [pool[i % len(pool)] for i in range(count)]
    open(f"{work}/{name}.txt", "w").write("\n".join(lines) + "\n")
    return lines
hs = repeat("hs", 40000)
repeat("rs", 4000)
repeat("es", 3000)
repeat("ed", 2000)
# A JSON dump on one line, an HTTP exchange with a Date (curl -i), and a log with bad tokens.
json.dump([{"access_token": t, "n": i} for i, t in enumerate(hs[:20000])], open(f"{work}/dump.txt", "w"))
with open(f"{work}/http.txt", "w") as f:
    f.write("HTTP/1.1 200 OK\r\nDate: Fri, 15 Jan 2027 08:10:00 GMT\r\nContent-Type: application/json\r\n")
    f.write(f"Authorization: Bearer {hs[0]}\r\n\r\n")
    f.write(json.dumps({"access_token": hs[1], "id_token": hs[2], "token_type": "Bearer"}) + "\n")
with open(f"{work}/log.txt", "w") as f:
    for i, t in enumerate(hs[:4000]):
        f.write(f"2027-01-15T08:{i % 60:02d}:00Z GET /api/orders token={t} status=200\n")
        if i % 50 == 0:
            f.write("token=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.bad!sig and eyJhbGciOiJub25lIn0.e30.\n")
PY
NOW="--now 2027-01-15T08:10:00Z"
ONE=$(head -1 "$work/hs.pool")
# Each run with the exit code it must give (the log's bad tokens: 3); any other stops the script.
runs=(
  # One token: the start-up path.
  "0 decode $NOW $ONE"
  "0 decode $ONE"
  "0 decode --json $NOW $ONE"
  "0 check-expiry $NOW $ONE"
  "0 verify $NOW --secret-file $work/hs.secret $ONE"
  "0 verify $NOW --key $K/rsa.pub.pem $(head -1 "$work/rs.pool")"
  "0 decode $NOW @$work/http.txt"
  "3 decode $NOW @$work/log.txt"
)
for threads in 1 2; do
  runs+=(
    "0 decode --json --threads $threads $NOW @$work/hs.txt"
    "0 check-expiry --json --threads $threads $NOW @$work/hs.txt"
    "0 verify --json --threads $threads $NOW --secret-file $work/hs.secret @$work/hs.txt"
    "0 verify --json --threads $threads $NOW --key $K/rsa.pub.pem @$work/rs.txt"
    "0 verify --json --threads $threads $NOW --key $K/ec256.pub.pem @$work/es.txt"
    "0 verify --json --threads $threads $NOW --key $K/ed25519.pub.pem @$work/ed.txt"
    "0 decode --json --threads $threads $NOW @$work/dump.txt"
    "3 decode --threads $threads $NOW @$work/log.txt"
  )
done
for run in "${runs[@]}"; do
  code=0
  # shellcheck disable=SC2086 # each run is a command line split into its words
  "$I" ${run#* } >/dev/null 2>"$work/stderr" || code=$?
  [ "$code" = "${run%% *}" ] ||
    { echo "error: jwtctl ${run#* } exited $code, not ${run%% *}; see $work/stderr" >&2; exit 1; }
done
# A stream from a pipe (stdin redirected from a file would be read as the file).
cat "$work/hs.txt" | "$I" decode --json $NOW >/dev/null
"$profdata" merge -o src/pgo.profdata "$work/raw"
echo "wrote src/pgo.profdata ($(wc -c <src/pgo.profdata) bytes)"
# Cargo does not see a file named in RUSTFLAGS change: builds made with the old profile stay.
echo "cargo builds with the old profile stay until removed: rm -rf target/$T/release"
