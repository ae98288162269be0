"""Verifies tokens with joserfc, an independent JOSE implementation: the oracle for encode.

Reads lines "ALG KEYFILE TOKEN" on stdin; prints "ok ALG" or "FAIL ALG reason" per line.
"""
import json
import sys
import warnings

warnings.simplefilter("ignore")
from joserfc import jws  # noqa: E402
from joserfc.jwk import ECKey, OctKey, OKPKey, RSAKey  # noqa: E402

KINDS = {"HS": OctKey, "RS": RSAKey, "PS": RSAKey, "ES": ECKey, "Ed": OKPKey}

for line in sys.stdin:
    alg, keyfile, token = line.split()
    data = open(keyfile, "rb").read()
    try:
        cls = KINDS[alg[:2]]
        key = cls.import_key(json.loads(data) if data.lstrip().startswith(b"{") else data)
        obj = jws.deserialize_compact(token, key, algorithms=[alg])
        json.loads(obj.payload)
        print("ok", alg)
    except Exception as e:  # noqa: BLE001
        print("FAIL", alg, type(e).__name__, e)
