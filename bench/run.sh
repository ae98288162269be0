#!/usr/bin/env bash
# Batch benchmark: jwtctl against openssl speed and the peers it can install, on one corpus,
# interleaved, medians of 5 runs. Not part of `cargo test` or CI.
#   bash bench/run.sh            (needs python3 with PyJWT and cryptography; hyperfine optional)
# Prints a table of tokens/s and ratios; record results with the machine in bench/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-200000}
RUNS=${RUNS:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cargo build --release --locked --quiet
J=$PWD/target/release/jwtctl

# Corpora: ~400-byte tokens, one per line, made by jwtctl encode's keys.
python3 - "$work" "$N" <<'PY'
import base64, hashlib, hmac, json, sys
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, utils
work, n = sys.argv[1], int(sys.argv[2])
b = lambda d: base64.urlsafe_b64encode(d).decode().rstrip("=")
secret = b"bench-secret-bench-secret-bench-secret-0123"
open(f"{work}/hs.secret", "wb").write(secret)
rsa_key = serialization.load_pem_private_key(open("tests/fixtures/keys/rsa.key.pem", "rb").read(), None)
ec_key = serialization.load_pem_private_key(open("tests/fixtures/keys/ec256.key.pem", "rb").read(), None)
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
]:
    toks = [token(alg, i, sign) for i in range(pool)]
    with open(f"{work}/{alg}.txt", "w") as f:
        for i in range(n):
            f.write(toks[i % pool] + "\n")
PY
wc -c "$work/HS256.txt" | awk -v n="$N" '{printf "corpus: %d tokens, %.0f bytes per line\n", n, $1/n}'

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
time_it() { # prints seconds for one run of "$@"
  local s e; s=$(date +%s.%N); "$@" >/dev/null 2>&1 || true; e=$(date +%s.%N)
  echo "$e - $s" | bc -l
}
rate() { echo "$N / $1" | bc -l | awk '{printf "%.0f", $1}'; }

declare -A cmds=(
  [decode_1t]="$J decode --json --threads 1 --now 1800000100 @$work/HS256.txt"
  [check_1t]="$J check-expiry --json --threads 1 --now 1800000100 @$work/HS256.txt"
  [hs256_1t]="$J verify --json --threads 1 --now 1800000100 --secret-file $work/hs.secret @$work/HS256.txt"
  [rs256_1t]="$J verify --json --threads 1 --now 1800000100 --key tests/fixtures/keys/rsa.pub.pem @$work/RS256.txt"
  [es256_1t]="$J verify --json --threads 1 --now 1800000100 --key tests/fixtures/keys/ec256.pub.pem @$work/ES256.txt"
  [check_2t]="$J check-expiry --json --threads 2 --now 1800000100 @$work/HS256.txt"
  [rs256_2t]="$J verify --json --threads 2 --now 1800000100 --key tests/fixtures/keys/rsa.pub.pem @$work/RS256.txt"
)
declare -A times
for ((r = 0; r < RUNS; r++)); do   # interleaved: every command once per round
  for k in "${!cmds[@]}"; do times[$k]+="$(time_it ${cmds[$k]}) "; done
done

rsa=$(openssl speed -seconds 3 rsa2048 2>/dev/null | awk '/^rsa 2048/ {print $7}')
ecdsa=$(openssl speed -seconds 3 ecdsap256 2>/dev/null | awk '/nistp256/ && NF>=8 {print $8}')

printf '\n%-12s %14s %s\n' "case" "tokens/s" "note"
for k in decode_1t check_1t hs256_1t rs256_1t es256_1t check_2t rs256_2t; do
  m=$(echo "${times[$k]}" | tr ' ' '\n' | grep . | median)
  printf '%-12s %14s %s\n' "$k" "$(rate "$m")" "median of $RUNS"
done
printf '%-12s %14s %s\n' "openssl_rsa" "${rsa:-?}" "RSA-2048 verify/s (openssl speed, 1 core)"
printf '%-12s %14s %s\n' "openssl_p256" "${ecdsa:-?}" "ECDSA P-256 verify/s"

# Peers: PyJWT decode and RS256 verify on the same corpus (a Python loop, one core).
python3 -c "import jwt" 2>/dev/null || python3 -m pip install --quiet pyjwt cryptography || true
if python3 -c "import jwt" 2>/dev/null; then
  for alg in HS256 RS256; do
    s=$(date +%s.%N)
    python3 - "$work/$alg.txt" "$alg" "$work/hs.secret" <<'PY'
import sys, jwt
path, alg, secret = sys.argv[1:4]
key = open(secret, "rb").read() if alg == "HS256" else open("tests/fixtures/keys/rsa.pub.pem", "rb").read()
opts = {"verify_exp": False, "verify_aud": False, "verify_nbf": False, "verify_iat": False}
for line in open(path):
    jwt.decode(line.strip(), key, algorithms=[alg], options=opts)
PY
    e=$(date +%s.%N)
    printf '%-12s %14s %s\n' "pyjwt_$alg" "$(rate "$(echo "$e - $s" | bc -l)")" "PyJWT $(python3 -c 'import jwt;print(jwt.__version__)'), 1 run"
  done
fi
