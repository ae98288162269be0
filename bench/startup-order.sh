#!/usr/bin/env bash
# Writes src/startup-order.txt: the functions one-token runs of jwtctl execute, then those that
# streams of tokens execute besides, named as the release builds name them, which build.rs hands
# to the linker (LLD's --symbol-ordering-file) so that they sit together: starting touches fewer
# pages of code, and so does a stream (a long one touches every page its functions are on). Run
# it again after changing the compiler, Cargo.lock, the start-up path or the batch path: names a
# build does not have are skipped by the linker, so a stale list costs speed and memory, never
# correctness.
#   bash bench/startup-order.sh
# Linux x86_64 with glibc; needs valgrind, nm and python3. Builds the static profiling build (to
# see which functions run) and links the static and the dynamic release builds once more (for
# the names they give them); a few minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
T=x86_64-unknown-linux-gnu
[ "$(rustc -vV | sed -n 's/^host: //p')" = $T ] || { echo "error: bench/startup-order.sh runs on $T only" >&2; exit 2; }
for tool in valgrind nm python3; do
  command -v $tool >/dev/null || { echo "error: bench/startup-order.sh needs $tool" >&2; exit 2; }
done
export RUSTFLAGS="-C target-feature=+crt-static"
# The profiles, the link map and the symbol sizes stay in target/startup-order for a look.
# (Relative paths: the runs' command lines below are split into words.)
work=target/startup-order
rm -rf "$work" && mkdir -p "$work"

# Which functions run: callgrind over the profiling build (release code with symbols), with
# names left mangled, in the runs the start-up benchmark times and their neighbours.
cargo build --profile profiling --locked --quiet --target $T
P=target/$T/profiling/jwtctl
K=tests/fixtures/keys
printf 'startup-order-secret-0123456789abcdef' > "$work/hs.secret"
# Tokens like bench/run.sh's, read at the same --now (its start-up rows), and at the real time.
claims=(--no-iat --kid k1 --claim iss=https://auth.example.com --claim sub=user-00000000
  --claim 'aud=["api","web"]' --claim iat=1800000000 --claim nbf=1800000000
  --claim exp=1800000900)
HS=$("$P" encode --alg HS256 --secret-file "$work/hs.secret" "${claims[@]}")
RS=$("$P" encode --alg RS256 --key $K/rsa.key.pem "${claims[@]}")
NOW="--now 1800000100"
# The runs in order of weight: the start-up benchmark's HS256 and RS256 decodes come first, so
# that their functions are the ones packed most tightly. Each must succeed (exit 0).
runs=(
  "decode $NOW $HS"
  "decode $NOW $RS"
  "decode $HS"
  "decode --json $NOW $HS"
  "check-expiry $NOW $HS"
  "verify $NOW --secret-file $work/hs.secret $HS"
  "verify $NOW --key $K/rsa.pub.pem $RS"
)
# Then streams, after every one-token run: files of tokens on one thread and on two (their paths
# differ), so that the functions a stream runs sit together too (a long stream touches every
# page of code they are on, ~3 MiB of the binary when they were strewn through it).
ES=$("$P" encode --alg ES256 --key $K/ec256.key.pem "${claims[@]}")
ED=$("$P" encode --alg EdDSA --key $K/ed25519.key.pem "${claims[@]}")
# A small token signed with a well-known secret: its report has warnings the others lack.
SMALL=eyJhbGciOiJIUzI1NiJ9.e30.ZRrHA1JJJW8opsbCGfG_HACGpVUMN_a9IV7pAx_Zmeo
stream() { python3 -c "import sys; sys.stdout.write((sys.argv[1] + '\n') * int(sys.argv[2]))" "$@"; }
stream "$HS" 4000 >"$work/hs.txt"
stream "$RS" 400 >"$work/rs.txt"
stream "$ES" 200 >"$work/es.txt"
stream "$ED" 200 >"$work/ed.txt"
stream "$SMALL" 8000 >"$work/small.txt"
for threads in 2 1; do
  runs+=(
    "decode --json --threads $threads $NOW @$work/hs.txt"
    "decode --threads $threads $NOW @$work/hs.txt"
    "check-expiry --json --threads $threads $NOW @$work/hs.txt"
    "check-expiry --threads $threads $NOW @$work/hs.txt"
    "verify --json --threads $threads $NOW --secret-file $work/hs.secret @$work/hs.txt"
    "verify --threads $threads $NOW --secret-file $work/hs.secret @$work/hs.txt"
    "verify --json --threads $threads $NOW --key $K/rsa.pub.pem @$work/rs.txt"
    "verify --json --threads $threads $NOW --key $K/ec256.pub.pem @$work/es.txt"
    "verify --json --threads $threads $NOW --key $K/ed25519.pub.pem @$work/ed.txt"
    "decode --json --threads $threads @$work/small.txt"
    "decode --threads $threads @$work/small.txt"
  )
done
i=0
for run in "${runs[@]}"; do
  # shellcheck disable=SC2086 # each run is a command line split into its words
  valgrind --tool=callgrind --demangle=no --callgrind-out-file="$work/cg.$i" "$P" $run \
    >/dev/null 2>"$work/valgrind.$i" ||
    { echo "error: jwtctl ${run%% *} failed under valgrind; see $work/valgrind.$i" >&2; exit 1; }
  i=$((i + 1))
done

# The names the release builds give, static (the README's static install, the benchmark's) and
# dynamic (`cargo install`, `cargo run --release`): their link maps, from one more link of each
# binary. Their Rust functions' hashes differ, as RUSTFLAGS are part of them; a build passes
# over the other's names.
cargo rustc --release --locked --quiet --target $T --bin jwtctl -- \
  -C link-arg=-Wl,-Map="$PWD/$work/release-static.map"
env -u RUSTFLAGS cargo rustc --release --locked --quiet --bin jwtctl -- \
  -C link-arg=-Wl,-Map="$PWD/$work/release-dynamic.map"
nm --defined-only --print-size "$P" >"$work/profiling.nm"

python3 - "$work" src/startup-order.txt "$i" <<'PY'
import re, sys
work, out, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
# Functions that ran, run by run; within a run by name (callgrind lists them in an order that
# changes from one profile to the next, and every function of a run is touched when it runs).
executed, seen = [], set()
for i in range(runs):
    ran = set()
    for line in open(f"{work}/cg.{i}"):
        m = re.match(r"c?fn=\(\d+\) (\S+)", line)
        if m:
            name = re.sub(r"'\d+$", "", m.group(1))  # callgrind's recursion marks
            # Leaves out code without a symbol (0x...) and callgrind's "(below main)".
            if not name.startswith(("0x", "(")):
                ran.add(name)
    executed.extend(sorted(ran - seen))
    seen |= ran
# A Rust function's hash differs between the profiling and the release builds (a profile's
# settings are part of it): a release build's counterpart of a profiling build's function is
# the one with the same path and the same size of code (the builds differ in debug information,
# not in code), or all of them when several are alike.
hashed = re.compile(r"(_ZN.*)17h[0-9a-f]{16}E")
size = {}
for line in open(f"{work}/profiling.nm"):
    parts = line.split()
    if len(parts) == 4:
        size[parts[3]] = int(parts[1], 16)
# Code chosen by the processor's features, where valgrind's processor (no AVX-512, no SHA
# extensions) runs other code than the machine will: all variants of a C function one of which
# ran (`__memcpy_avx_unaligned_erms` brings `__memcpy_evex_unaligned_erms`; `strcmp_ifunc`, the
# resolver, brings `__strcmp_evex`), and the whole of the weak-secret search's SHA-256 module.
isa = re.compile(r"_(?:sse2|ssse3|sse4_1|sse4_2|avx|avx2|avx512|evex|evex512|shaext|erms|nohw|hw)(?:_|$)")
module = "_ZN6jwtctl11hmac_sha256"
section = re.compile(r"^\s*\S+\s+\S+\s+(\S+)\s.*:\(\.text\.(?:unlikely\.|hot\.|startup\.|exit\.)?(\S+)\)$")

class Build:
    """A release build's link map: input sections `.text.NAME` (Rust, and C built with function
    sections; `.text.unlikely.NAME` for a function LLVM judged cold, as it does much of clap's
    builder) with their sizes, and the symbols listed under input sections (glibc's objects
    have one `.text` for several functions)."""

    def __init__(self, path):
        self.names, self.sized, self.alike = set(), [], {}
        for line in open(path):
            m = section.match(line)
            if m:
                self.names.add(m.group(2))
                self.sized.append((m.group(2), int(m.group(1), 16)))
            else:
                parts = line.split(None, 4)
                if len(parts) == 5 and not parts[4].startswith((".", "<", "/")):
                    self.names.add(parts[4].strip())
        for name, n in self.sized:
            m = hashed.fullmatch(name)
            if m:
                self.alike.setdefault((m.group(1), n), []).append(name)

    def counterparts(self, name):
        """This build's functions for one that ran in the profiling build."""
        m = hashed.fullmatch(name)
        if name in self.names:
            return [name]
        if m and name in size:
            return self.alike.get((m.group(1), size[name]), [])
        return []

    def variants(self, name):
        """The other variants of a function chosen by the processor's features."""
        if name.endswith("_ifunc"):  # glibc's resolver for `__NAME_*`, run where NAME is not
            name = f"__{name[: -len('_ifunc')]}_sse2"
        m = isa.search(name)
        if m:
            stem = name[: m.start() + 1]
            # Not the variants for processors with transactional memory, nor the _chk ones.
            return sorted(
                n for n in self.names
                if n.startswith(stem) and isa.search(n, len(stem) - 1) and "_rtm" not in n
                and "_chk_" not in n
            )
        if name.startswith(module):
            return sorted(n for n, _ in self.sized if n.startswith(module))
        return []

builds = [Build(f"{work}/release-static.map"), Build(f"{work}/release-dynamic.map")]
order, listed, missing = [], set(), []
def add(found):
    for name in found:
        if name not in listed:
            listed.add(name)
            order.append(name)
# The static start-up, before anything callgrind names, and crtbegin's functions.
start = ["_start", "__libc_start_main", "__libc_start_call_main", "frame_dummy",
         "register_tm_clones", "deregister_tm_clones", "__do_global_dtors_aux"]
add(n for n in start if n in builds[0].names)
for name in executed:
    found = False
    for build in builds:
        counterparts = build.counterparts(name)
        found = found or bool(counterparts)
        add(counterparts)
        add(build.variants(name))
    if not found:
        missing.append(name)
with open(out, "w") as f:
    f.write("# Functions one-token runs, then streams, execute, run by run (by name within a run), by the names the\n")
    f.write("# static and the dynamic release builds give them. Written by bench/startup-order.sh;\n# read by build.rs.\n")
    f.write("\n".join(order) + "\n")
for name in missing:
    print(f"  ran in the profiling build, not found in a release build: {name}")
print(f"{out}: {len(order)} names ({len(executed)} functions ran; {len(missing)} of them, "
      "listed above, have no counterpart in the release builds: inlined there, or not in a map)")
PY
# The release binaries as `cargo build --release` makes them: without a map, with the new list.
cargo build --release --locked --quiet --target $T
env -u RUSTFLAGS cargo build --release --locked --quiet
