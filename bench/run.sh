#!/usr/bin/env bash
# Batch benchmark: jwtctl against `openssl speed` and the peers it can install (jwt-cli from
# crates.io, PyJWT from PyPI), on one generated corpus, interleaved, medians of RUNS rounds (the
# short cases' runs PAIRS times a round, the signature cases' CPAIRS times on corpora of NC tokens).
# Not part of `cargo test` or CI.
#   bash bench/run.sh                 N=200000 tokens per corpus, RUNS=5 rounds, PAIRS=8,
#                                     NC=N/4 tokens in the RS256/ES256/EdDSA corpora, CPAIRS=4
#   N=50000 RUNS=3 bash bench/run.sh  quicker
# Needs python3 (installs PyJWT and cryptography with pip if missing); builds jwt-cli into
# target/bench-peers the first time (a few minutes). Prints a table; record it, with the machine,
# in bench/RESULTS.md. Micro-benchmarks of the scanner, parser and judge: cargo bench --bench core
set -euo pipefail
cd "$(dirname "$0")/.."
[ -n "${EPOCHREALTIME:-}" ] || { echo "error: bench/run.sh needs bash 5 or later (EPOCHREALTIME)" >&2; exit 2; }
N=${N:-200000}
RUNS=${RUNS:-5}
PAIRS=${PAIRS:-8} # 1- and 2-thread pairs a round of each short case (see `short`)
# The signature cases' runs take seconds (RS256 ~4 s over 200,000 tokens on one thread, EdDSA
# ~9 s): a quarter of the corpus, 4 pairs a round, takes the time of one pair of the whole and
# gives the median of their 1-/2-thread ratios four times the pairs.
NC=${NC:-$((N >= 4 ? N / 4 : 1))}
CPAIRS=${CPAIRS:-4}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The binary the README's install makes: on Linux x86_64 with glibc, glibc linked in statically (no
# dynamic loader at start-up) and the code laid out by src/pgo.profdata (bench/pgo.sh), elsewhere
# the default build.
if [ "$(rustc -vV | sed -n 's/^host: //p')" = x86_64-unknown-linux-gnu ]; then
  RUSTFLAGS="-C target-feature=+crt-static -C profile-use=$PWD/src/pgo.profdata -C llvm-args=-no-pgo-warn-mismatch" \
    cargo build --release --locked --quiet --target x86_64-unknown-linux-gnu
  J=$PWD/target/x86_64-unknown-linux-gnu/release/jwtctl
else
  cargo build --release --locked --quiet
  J=$PWD/target/release/jwtctl
fi
python3 -c "import jwt, cryptography" 2>/dev/null || python3 -m pip install --quiet pyjwt cryptography
peers=$PWD/target/bench-peers
if [ ! -x "$peers/bin/jwt" ]; then
  echo "building jwt-cli from crates.io into $peers (once)" >&2
  cargo install --quiet --locked jwt-cli --root "$peers" >&2 || echo "jwt-cli: install failed, skipped" >&2
fi
JWTCLI=$peers/bin/jwt
[ -x /usr/bin/time ] || { apt-get install -y -qq time >/dev/null 2>&1 || true; }

# Corpora: ~400-byte HS256 tokens (RS256 ~700, with its 256-byte signature), one per line.
python3 - "$work" "$N" "$NC" <<'PY'
import base64, hashlib, hmac, json, sys
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, utils
work, n, nc = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
b = lambda d: base64.urlsafe_b64encode(d).decode().rstrip("=")
secret = b"bench-secret-bench-secret-bench-secret-0123"
open(f"{work}/hs.secret", "wb").write(secret)
load = lambda p: serialization.load_pem_private_key(open(p, "rb").read(), None)
rsa_key = load("tests/fixtures/keys/rsa.key.pem")
ec_key = load("tests/fixtures/keys/ec256.key.pem")
ed_key = load("tests/fixtures/keys/ed25519.key.pem")
def claims(i):
    return {"iss": "https://auth.example.com", "sub": f"user-{i:08d}", "aud": ["api", "web"],
            "scope": "read:orders write:orders", "iat": 1800000000, "nbf": 1800000000,
            "exp": 1800000000 + 900 + i % 3600, "jti": f"{i:032x}", "tenant": "acme-corp"}
def token(alg, i, sign):
    si = b(json.dumps({"alg": alg, "typ": "JWT", "kid": "k1"}, separators=(",", ":")).encode()) + "." + \
         b(json.dumps(claims(i), separators=(",", ":")).encode())
    return si + "." + b(sign(si.encode()))
# Signing is slow in Python: sign a pool and repeat it (verification work is the same).
pool = 2000
for alg, sign in [
    ("HS256", lambda m: hmac.new(secret, m, hashlib.sha256).digest()),
    ("RS256", lambda m: rsa_key.sign(m, padding.PKCS1v15(), hashes.SHA256())),
    ("ES256", lambda m: (lambda rs: rs[0].to_bytes(32, "big") + rs[1].to_bytes(32, "big"))(
        utils.decode_dss_signature(ec_key.sign(m, ec.ECDSA(hashes.SHA256()))))),
    ("EdDSA", lambda m: ed_key.sign(m)),
]:
    toks = [token(alg, i, sign) for i in range(pool)]
    with open(f"{work}/{alg}.txt", "w") as f:
        for i in range(n if alg == "HS256" else nc):
            f.write(toks[i % pool] + "\n")
PY
# The corpora's pages written out before timing starts: otherwise writeback of a few hundred MB
# runs beside the first round.
sync
wc -c "$work/HS256.txt" | awk -v n="$N" -v nc="$NC" \
  '{printf "corpus: %d tokens, %.0f bytes per HS256 line; RS256, ES256, EdDSA: %d tokens\n", n, $1/n, nc}'
# A process's start (~1 ms) is counted in every rate: over a small corpus it is much of each run.
if [ "$N" -lt 50000 ]; then
  echo "note: N=$N: a 1-thread run over so few tokens lasts under ~40 ms, of which each process's"
  echo "  ~1 ms start is several percent or more: the rates come out below the batch speed and the"
  echo "  ratios between cases are skewed. Compare with the targets at the default N=200000."
fi
# The HS256 corpus as a JSON dump on one line (`[{"access_token":"…","n":0},…]`): its pieces
# are cut for the threads as a line longer than a block.
awk 'BEGIN {printf "["} {printf "%s{\"access_token\":\"%s\",\"n\":%d}", (NR > 1 ? "," : ""), $0, NR} END {print "]"}' \
  "$work/HS256.txt" > "$work/dump.txt"
# The HS256 corpus's two halves, for two 1-thread processes side by side (see `halves`).
split -n l/2 -d "$work/HS256.txt" "$work/HS256.half"
head -1 "$work/HS256.txt" > "$work/one.txt"
ONE=$(cat "$work/one.txt")
ONE_RS=$(head -1 "$work/RS256.txt")

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# Times are read from bash's own clock, as microseconds (${EPOCHREALTIME//[!0-9]/}: digits only,
# the separator is the locale's). `$(date +%s.%N)` forks and runs a program, ~1.5-2 ms here, most
# of it inside the interval timed (the first date's exit, the second's start): 2-3% of a
# 2-thread run of the corpus, which lowered its ratio to one thread by ~1%.
seconds() { # wall seconds of one run of "$@", output to /dev/null
  local s e; s=${EPOCHREALTIME//[!0-9]/}; "$@" >/dev/null 2>&1 || true; e=${EPOCHREALTIME//[!0-9]/}
  echo "($e - $s) / 1000000" | bc -l
}
K=tests/fixtures/keys
NOW=1800000100
declare -A cmds=()
for t in 1 2; do
  cmds[decode_${t}t]="$J decode --json --threads $t --now $NOW @$work/HS256.txt"
  cmds[check_${t}t]="$J check-expiry --json --threads $t --now $NOW @$work/HS256.txt"
  cmds[hs256_${t}t]="$J verify --json --threads $t --now $NOW --secret-file $work/hs.secret @$work/HS256.txt"
  cmds[rs256_${t}t]="$J verify --json --threads $t --now $NOW --key $K/rsa.pub.pem @$work/RS256.txt"
  cmds[es256_${t}t]="$J verify --json --threads $t --now $NOW --key $K/ec256.pub.pem @$work/ES256.txt"
  cmds[eddsa_${t}t]="$J verify --json --threads $t --now $NOW --key $K/ed25519.pub.pem @$work/EdDSA.txt"
  cmds[pipe_${t}t]="piped $t"
  cmds[dump_${t}t]="$J decode --json --threads $t --now $NOW @$work/dump.txt"
done
# decode --json of the HS256 corpus through a pipe from cat, which shares the cores.
piped() { cat "$work/HS256.txt" | $J decode --json --threads "$1" --now $NOW -; }
# openssl's rate for each verify case, measured in every round right after that case's runs
# (one second each): the host's speed drifts, and a ratio of two runs taken together drifts
# less than one of figures taken minutes apart.
declare -A speed_cmd=(
  [hs256]="openssl speed -seconds 1 -bytes 448 -hmac sha256"
  [rs256]="openssl speed -seconds 1 rsa2048"
  [es256]="openssl speed -seconds 1 ecdsap256"
  [eddsa]="openssl speed -seconds 1 ed25519"
)
declare -A speed_awk=(
  [hs256]='/^hmac/ {sub("k","",$2); printf "%.0f", $2*1000/448}'
  [rs256]='/^rsa 2048/ {print int($7)}'
  [es256]='/nistp256/ && NF>=8 {print int($8)}'
  [eddsa]='/Ed25519/ {print int($NF)}'
)
# Each case's corpus, read through once before each of its timed runs. This host drops page-cache
# pages that have gone unread for a while (a DAMON "pageout" scheme; `fincore` shows a corpus
# losing ~30% of its pages within two minutes), and a run that reads the dropped part back from
# disk spends up to half again its time in the kernel: the timed runs measure jwtctl's work
# on a file in memory, as `openssl speed` measures its own with no file at all.
declare -A corpus=([decode]=HS256 [check]=HS256 [hs256]=HS256 [rs256]=RS256 [es256]=ES256 [eddsa]=EdDSA [pipe]=HS256 [dump]=dump)
resident() { cat "$J" "$work/${corpus[$1]}.txt" >/dev/null; } # case $1's binary and corpus in memory
declare -A times=() pairs=() speeds=() against=() side_by_side=() split_work=()
fast=(decode check hs256) # the cases whose runs are short against the host's bursts
short=(decode check hs256 pipe dump) # the cases whose runs take ~0.1-0.2 s each
signed=(rs256 es256 eddsa)            # the cases on corpora of NC tokens
# Tokens in the corpus of case $1 (`rs256`, or a command's name such as `rs256_1t`).
tokens() { if [[ " ${signed[*]} " == *" ${1%_[12]t} "* ]]; then echo "$NC"; else echo "$N"; fi; }
twice() { "$@" & "$@" & wait; } # two runs of "$@" side by side
halves() { # case $1's 1-thread command over each half of the HS256 corpus, side by side
  local one=${cmds[${1}_1t]}
  ${one/HS256.txt/HS256.half00} & ${one/HS256.txt/HS256.half01} & wait
}
for ((r = 0; r < RUNS; r++)); do
  # Interleaved: every command once per round, in a new order each round, so that no command
  # always follows the same one (on this VM a 2-thread run right after a long 1-thread run
  # is sometimes slower). A command's 1- and 2-thread runs go back to back, in either order:
  # the host's speed drifts over minutes, and the ratio of a pair taken together drifts less
  # than the ratio of medians taken minutes apart.
  mapfile -t order < <(printf '%s\n' decode check hs256 rs256 es256 eddsa pipe dump | shuf)
  for c in "${order[@]}"; do
    # The short cases' pairs PAIRS times a round: a pair of ~0.1 s runs is easily split by a
    # burst of the host's load, and more pairs steady their median at little cost.
    reps=1
    [[ " ${short[*]} " != *" $c "* ]] || reps=$PAIRS
    [[ " ${signed[*]} " != *" $c "* ]] || reps=$CPAIRS
    for ((k = 0; k < reps; k++)); do
      declare -A pair=()
      for t in $(printf '1\n2\n' | shuf); do
        resident "$c"
        pair[$t]=$(seconds ${cmds[${c}_${t}t]})
        times[${c}_${t}t]+="${pair[$t]} "
      done
      pairs[$c]+="$(echo "${pair[1]} / ${pair[2]}" | bc -l) "
    done
    # The fast cases' runs are short enough that a burst of the host's load can fall on one run
    # of a pair and not the other. Right after the pair, two 1-thread runs at once: what the host
    # gave two busy vCPUs just then, to read that round's 2-thread figure against.
    if [[ " ${fast[*]} " == *" $c "* ]]; then
      resident "$c"
      side_by_side[$c]+="$(echo "2 * ${pair[1]} / $(seconds twice ${cmds[${c}_1t]})" | bc -l) "
      # And the work split between two processes instead of two threads, each timed with a
      # 2-thread run of its own, back to back in either order: what threads cost that separate
      # processes do not (1.00x: nothing).
      cat "$J" "$work"/HS256.half0? >/dev/null
      declare -A split=()
      for how in $(printf 'threads\nprocesses\n' | shuf); do
        if [ "$how" = threads ]; then
          split[$how]=$(seconds ${cmds[${c}_2t]})
        else
          split[$how]=$(seconds halves "$c")
        fi
      done
      split_work[$c]+="$(echo "${split[processes]} / ${split[threads]}" | bc -l) "
      unset split
    fi
    if [ -n "${speed_cmd[$c]:-}" ]; then
      rate_now=$(${speed_cmd[$c]} 2>/dev/null | awk "${speed_awk[$c]}")
      # (An openssl without the algorithm gives no rate: the round is left out.)
      if [ -n "$rate_now" ] && [ "$rate_now" != 0 ]; then
        speeds[$c]+="$rate_now "
        against[$c]+="$(echo "$(tokens "$c") / ${pair[1]} / $rate_now" | bc -l) "
      fi
    fi
    unset pair
  done
done
values() { echo "$1" | tr ' ' '\n' | grep . || true; } # one a line, from a list of them
rate() { # tokens/s of the median run of case $1
  local m; m=$(values "${times[$1]}" | median)
  echo "$(tokens "$1") / $m" | bc -l | awk '{printf "%.0f", $1}'
}
ratio() { # $1 / $2, or n/a without a $2 (an openssl without the algorithm)
  if [ -n "$2" ]; then echo "$1 / $2" | bc -l | awk '{printf "%.2fx", $1}'; else echo n/a; fi
}
# Tokens/s of the fastest run of case $1: what the code does when the host lets it (the median
# is the target's measure; on a host with bursts of load the two tell them apart).
fastest() {
  local m n; m=$(values "${times[$1]}" | sort -n | head -1)
  n=$(values "${times[$1]}" | wc -l)
  echo "$(tokens "$1") / $m" | bc -l | awk -v n="$n" '{printf "fastest of %d %.0f/s", n, $1}'
}
# Median, lowest and highest of a list of ratios, or n/a for none.
spread() {
  values "$1" | sort -n |
    awk '{a[NR]=$1} END {if (NR) printf "%.2fx (%.2f-%.2f)", a[int((NR+1)/2)], a[1], a[NR]; else printf "n/a"}'
}

speed() { values "${speeds[$1]:-}" | median; }
rsa=$(speed rs256)
p256=$(speed es256)
ed=$(speed eddsa)
hmac=$(speed hs256)
# The rounds' ratios of a 1-thread case to openssl's rate taken right after it.
paired_against() { echo "paired rounds $(spread "${against[$1]:-}")"; }

row() { printf '%-34s %12s  %s\n' "$1" "$2" "$3"; }
echo
row "case (JSON Lines to /dev/null)" "tokens/s" "against"
row "decode --json, 1 thread" "$(rate decode_1t)" "target 1,000,000; $(fastest decode_1t)"
row "check-expiry --json, 1 thread" "$(rate check_1t)" "target: decode's speed; $(fastest check_1t)"
row "verify HS256, 1 thread" "$(rate hs256_1t)" "openssl HMAC-SHA256 (448 B) $hmac/s: $(ratio "$(rate hs256_1t)" "$hmac"), $(paired_against hs256); target 1,000,000; $(fastest hs256_1t)"
row "verify RS256, 1 thread" "$(rate rs256_1t)" "openssl RSA-2048 verify $rsa/s: $(ratio "$(rate rs256_1t)" "$rsa"), $(paired_against rs256) (target 0.9x)"
row "verify ES256, 1 thread" "$(rate es256_1t)" "openssl P-256 verify $p256/s: $(ratio "$(rate es256_1t)" "$p256"), $(paired_against es256) (target 1.0x)"
row "verify EdDSA, 1 thread" "$(rate eddsa_1t)" "openssl Ed25519 verify $ed/s: $(ratio "$(rate eddsa_1t)" "$ed"), $(paired_against eddsa)"
row "decode --json from cat |, 1 thread" "$(rate pipe_1t)" "the corpus on stdin's pipe; cat shares the cores"
row "decode --json, one-line dump, 1 t" "$(rate dump_1t)" "the corpus as one line of JSON ($(($(stat -c %s "$work/dump.txt") / 1000000)) MB)"
paired() { spread "${pairs[$1]}"; } # the 1-thread/2-thread time ratios of $1's pairs
# The fastest 1-thread run's time over the fastest 2-thread run's: on a host whose load comes in
# bursts, each case as the code runs it when the host lets it (the paired rounds are the target's
# measure).
fastest_ratio() {
  local one two
  one=$(values "${times[${1}_1t]}" | sort -n | head -1)
  two=$(values "${times[${1}_2t]}" | sort -n | head -1)
  echo "$one / $two" | bc -l | awk '{printf "fastest runs %.2fx", $1}'
}
for c in decode check hs256 rs256 es256 eddsa pipe dump; do
  target="(target 1.8x)"
  [ "$c" != pipe ] || target="(cat shares the cores: no target)"
  row "$c, 2 threads" "$(rate ${c}_2t)" "$(ratio "$(rate ${c}_2t)" "$(rate ${c}_1t)") of 1 thread; $(values "${pairs[$c]}" | wc -l) pairs $(paired $c) $target; $(fastest_ratio $c)"
done
for c in "${fast[@]}"; do
  row "$c, two 1-thread runs at once" "" "$(spread "${side_by_side[$c]}") the throughput of one run: what the host gave two busy vCPUs"
done
for c in "${fast[@]}"; do
  row "$c, the halves in two processes" "" "$(spread "${split_work[$c]}") the time of 2 threads: two 1-thread processes over the corpus's halves at once, timed back to back with a 2-thread run"
done

# Peers on the same corpus. PyJWT: a Python loop in one process. jwt-cli has no batch mode: one
# process per token, as jwtctl is run in the start-up rows below.
for alg in HS256 RS256; do
  s=${EPOCHREALTIME//[!0-9]/}
  python3 - "$work/$alg.txt" "$alg" "$work/hs.secret" <<'PY'
import sys, jwt
path, alg, secret = sys.argv[1], sys.argv[2], sys.argv[3]
key = open(secret, "rb").read() if alg == "HS256" else open("tests/fixtures/keys/rsa.pub.pem", "rb").read()
opts = {"verify_exp": False, "verify_aud": False, "verify_nbf": False, "verify_iat": False}
for i, line in enumerate(open(path)):
    jwt.decode(line.strip(), key, algorithms=[alg], options=opts)
PY
  e=${EPOCHREALTIME//[!0-9]/}
  row "PyJWT $(python3 -c 'import jwt;print(jwt.__version__)') verify $alg" "$(echo "$(tokens "${alg,,}") * 1000000 / ($e - $s)" | bc -l | awk '{printf "%.0f", $1}')" "one Python process, a loop"
done

# Start-up: one process per token, P times, interleaved run by run; per-process wall time and
# peak RSS.
# An HS256 token (decode's lint tries ~2,600 well-known secrets on it) and an RS256 one. Each
# binary runs as a fresh copy, as `cargo install` leaves it (its pages in the page cache as they
# were written), and jwtctl also as a copy whose pages were dropped from the page cache and read
# back from disk, as after a reboot or memory pressure: the kernel then maps its code in smaller
# pieces (here ~10 more page faults and ~0.15 ms a process).
JF=$work/jwtctl; cp "$J" "$JF"
JR=$work/jwtctl-read-back; cp "$J" "$JR"
python3 -c 'import os, sys; fd = os.open(sys.argv[1], os.O_RDONLY); os.fsync(fd); os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)' "$JR"
# Each jwtctl command once before timing it (the timed loop ignores failures, for jwt-cli's sake).
"$JF" decode --now $NOW "$ONE" >/dev/null
"$JF" decode --now $NOW "$ONE_RS" >/dev/null
"$JR" decode --now $NOW "$ONE_RS" >/dev/null
JC=$work/jwt
[ -x "$JWTCLI" ] && cp "$JWTCLI" "$JC"
P=${P:-300}
declare -A one=()
startup=(true hs rs rs_read_back)
declare -A startup_cmd=(
  [true]="/bin/true"
  [hs]="$JF decode --now $NOW $ONE"
  [rs]="$JF decode --now $NOW $ONE_RS"
  [rs_read_back]="$JR decode --now $NOW $ONE_RS"
)
if [ -x "$JC" ]; then
  startup+=(jwtcli_hs jwtcli_rs)
  startup_cmd[jwtcli_hs]="$JC decode $ONE"
  startup_cmd[jwtcli_rs]="$JC decode $ONE_RS"
fi
# Each round runs every command once per turn, P turns, so that the host's drift over seconds
# falls on all of them alike; a round's figure is a command's mean, in ms per process.
for ((r = 0; r < 3; r++)); do
  declare -A spent=()
  for k in "${startup[@]}"; do spent[$k]=0; done
  for ((i = 0; i < P; i++)); do
    for k in "${startup[@]}"; do
      s=${EPOCHREALTIME//[!0-9]/}
      ${startup_cmd[$k]} >/dev/null 2>&1 || true
      e=${EPOCHREALTIME//[!0-9]/}
      spent[$k]=$((spent[$k] + e - s))
    done
  done
  for k in "${startup[@]}"; do one[$k]+="$(echo "${spent[$k]} / $P / 1000" | bc -l) "; done
  unset spent
done
ms() { echo "${one[$1]}" | tr ' ' '\n' | grep . | median | awk '{printf "%.3f", $1}'; }
rss() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; }
echo
row "one token, one process" "ms/process" "peak RSS"
row "/bin/true" "$(ms true)" "$(rss /bin/true) KiB"
row "jwtctl decode HS256-TOKEN" "$(ms hs)" "$(rss "$JF" decode --now $NOW "$ONE") KiB; $(ratio "$(ms hs)" "$(ms true)") of /bin/true (target 1.5x)"
row "jwtctl decode RS256-TOKEN" "$(ms rs)" "$(rss "$JF" decode --now $NOW "$ONE_RS") KiB; $(ratio "$(ms rs)" "$(ms true)") of /bin/true (target 1.5x)"
row "  the same, pages read back" "$(ms rs_read_back)" "$(rss "$JR" decode --now $NOW "$ONE_RS") KiB; $(ratio "$(ms rs_read_back)" "$(ms true)") of /bin/true"
if [ -x "$JC" ]; then
  v=$("$JC" --version | awk '{print $2}')
  row "jwt-cli $v decode HS256-TOKEN" "$(ms jwtcli_hs)" "$(rss "$JC" decode "$ONE") KiB; $(ratio "$(ms jwtcli_hs)" "$(ms true)") of /bin/true"
  row "jwt-cli $v decode RS256-TOKEN" "$(ms jwtcli_rs)" "$(rss "$JC" decode "$ONE_RS") KiB; $(ratio "$(ms jwtcli_rs)" "$(ms true)") of /bin/true"
fi

# Memory: peak RSS while streaming (target: any input in 8 MiB).
echo
row "streaming" "peak RSS" ""
row "decode --json, corpus, 1 thread" "$(rss $J decode --json --threads 1 --now $NOW @$work/HS256.txt) KiB" ""
row "decode --json, corpus, 2 threads" "$(rss $J decode --json --threads 2 --now $NOW @$work/HS256.txt) KiB" ""
row "verify RS256, corpus, 2 threads" "$(rss $J verify --json --threads 2 --now $NOW --key $K/rsa.pub.pem @$work/RS256.txt) KiB" "$NC tokens"
row "verify ES256, corpus, 2 threads" "$(rss $J verify --json --threads 2 --now $NOW --key $K/ec256.pub.pem @$work/ES256.txt) KiB" "$NC tokens, with the key's table (src/p256.rs)"
python3 -c "
import sys
run = 'QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0123456789 abc.def ' * 20000
for _ in range(256 * 1024 * 1024 // len(run)): sys.stdout.write(run)
print(' $ONE')" > "$work/noline.txt"
row "256 MiB without a newline" "$(rss $J decode --json --now $NOW @$work/noline.txt) KiB" ""
python3 -c "
import sys
big = 'eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjE4MDAwMDA2MDB9.' + 'A' * (1000 * 1000)
for _ in range(64): print(big)" > "$work/big-tokens.txt"
row "64 tokens of 1 MB, 1 thread" "$(rss $J decode --json --threads 1 --now $NOW @$work/big-tokens.txt) KiB" ""
row "64 tokens of 1 MB, 2 threads" "$(rss $J decode --json --threads 2 --now $NOW @$work/big-tokens.txt) KiB" ""
# Small tokens whose reports are ~12 times their size (warnings: no exp, a well-known secret).
python3 -c "
import sys
sys.stdout.write('eyJhbGciOiJIUzI1NiJ9.e30.ZRrHA1JJJW8opsbCGfG_HACGpVUMN_a9IV7pAx_Zmeo\n' * 700000)" > "$work/small-tokens.txt"
row "700,000 tokens of 69 B, 1 thread" "$(rss $J decode --json --threads 1 --now $NOW @$work/small-tokens.txt) KiB" ""
row "700,000 tokens of 69 B, 2 threads" "$(rss $J decode --json --threads 2 --now $NOW @$work/small-tokens.txt) KiB" ""
row "  the same on a pipe, 2 threads" "$(cat "$work/small-tokens.txt" | rss $J decode --json --threads 2 --now $NOW) KiB" ""
# Reports ~32 times their tokens: unsigned tokens of 24 bytes (alg_none, no exp); then lines of
# 8,000 of them, each line one block that the thread writing it scans as a stream; then blocks
# of large tokens and of small ones by turns, each block of small ones cut for large ones.
python3 -c "
import sys
sys.stdout.write('eyJhbGciOiJub25lIn0.e30.\n' * 2000000)" > "$work/none.txt"
row "2M tokens of 24 B, 2 threads" "$(rss $J decode --json --threads 2 --now $NOW @$work/none.txt) KiB" ""
row "  the same on a pipe, 2 threads" "$(cat "$work/none.txt" | rss $J decode --json --threads 2 --now $NOW) KiB" ""
python3 -c "
import sys
sys.stdout.write((' '.join(['eyJhbGciOiJub25lIn0.e30.'] * 8000) + '\n') * 120)" > "$work/crowded.txt"
row "lines of 8,000 tokens, 2 threads" "$(rss $J decode --json --threads 2 --now $NOW @$work/crowded.txt) KiB" ""
row "  the same on a pipe, 2 threads" "$(cat "$work/crowded.txt" | rss $J decode --json --threads 2 --now $NOW) KiB" ""
python3 - "$work/HS256.txt" > "$work/by-turns.txt" <<'PY'
import sys
large = open(sys.argv[1]).read(4_000_000).splitlines()[:-1]
for k in range(60):
    sys.stdout.write('\n'.join(large[k * 160:(k + 1) * 160]) + '\n')
    sys.stdout.write('eyJhbGciOiJub25lIn0.e30.\n' * 2700)
PY
row "large, small by turns, 2 threads" "$(rss $J decode --json --threads 2 --now $NOW @$work/by-turns.txt) KiB" ""
row "  the same on a pipe, 2 threads" "$(cat "$work/by-turns.txt" | rss $J decode --json --threads 2 --now $NOW) KiB" ""
# A hostile log: tokens, random bytes, Date: and HTTP lines, lines of 60-300 KB of base64url
# letters before a token, truncated tokens, JSON bodies, invalid UTF-8.
python3 - "$work/HS256.txt" > "$work/hostile.bin" <<'PY'
import random, sys
random.seed(7)
toks = open(sys.argv[1]).read(8_000_000).splitlines()[:20000]
out = sys.stdout.buffer
for i in range(60000):
    t = toks[i % len(toks)].encode()
    r = random.random()
    if r < 0.5: line = b'tok=' + t
    elif r < 0.6: line = bytes(random.getrandbits(8) for _ in range(random.randint(0, 200))).replace(b'\n', b' ')
    elif r < 0.62: line = b'Date: Fri, 15 Jan 2027 08:0%d:00 GMT' % random.randint(0, 9)
    elif r < 0.63: line = b'HTTP/1.1 200 OK'
    elif r < 0.64: line = b'x' * random.randint(60000, 300000) + b' ' + t
    elif r < 0.7: line = t[:random.randint(10, 300)]
    elif r < 0.75: line = b'{"access_token":"%s","id_token":"%s"}' % (t, toks[(i + 1) % len(toks)].encode())
    else: line = b'plain log line %d with eyJ and dots.. and \xff\xfe bytes' % i
    out.write(line + b'\n')
PY
row "a hostile log, 2 threads" "$(rss $J decode --json --threads 2 --now $NOW @$work/hostile.bin) KiB" "$(($(stat -c %s "$work/hostile.bin") / 1000000)) MB"
row "  the same on a pipe, 2 threads" "$(cat "$work/hostile.bin" | rss $J decode --json --threads 2 --now $NOW) KiB" ""
# Lines longer than a block (700 tokens, ~280 KB), each after 200 lines of one token: each long
# line is cut into pieces for the threads (one thread scans the same pieces in turn), and the blocks
# go on after it.
python3 - "$work/HS256.txt" > "$work/long-lines.txt" <<'PY'
import sys
toks = open(sys.argv[1]).read(4_000_000).splitlines()[:8000]
for k in range(40):
    sys.stdout.write('\n'.join(toks[k * 200:(k + 1) * 200]) + '\n')
    sys.stdout.write(' '.join(toks[(k * 700) % 7000:(k * 700) % 7000 + 700]) + '\n')
PY
row "lines of 700 tokens, 2 threads" "$(rss $J decode --json --threads 2 --now $NOW @$work/long-lines.txt) KiB" "each after 200 lines of one token"
row "  the same on a pipe, 2 threads" "$(cat "$work/long-lines.txt" | rss $J decode --json --threads 2 --now $NOW) KiB" ""
row "a one-line JSON dump, 2 threads" "$(rss $J decode --json --threads 2 --now $NOW @$work/dump.txt) KiB" "the corpus on one line"
row "  the same on a pipe, 2 threads" "$(cat "$work/dump.txt" | rss $J decode --json --threads 2 --now $NOW) KiB" ""
