"""Writes pseudonym_vectors.json: known answers for the keyed macros, computed
with Python's hmac module from the documented constructions (never from the
SQL under test). Every engine's tests check its compiled macros against this
file, so pseudonyms join across engines.

    python integration_tests/vectors/generate.py   # rewrite the file
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from pathlib import Path

# A published test key: for these vectors only, never for real data.
TEST_KEY = "pii-guard-test-vectors-only-0123456789abcdef"
VALUES = [
    "ann.lee@example.com", "  Ann.Lee@Example.COM ", "+1 (617) 555-0123", "Zoë Bruno Díaz", "東京都",
    "🙂 ok", "", "   ", "n/a", None,
    "a-value-that-is-longer-than-the-sixty-four-byte-sha256-block-size-of-hmac-sha256",
]
KEY_TUPLES = [["a", "bc"], ["ab", "c"], [None, "x"], ["", "x"], ["-", "x"], ["null", "x"], [None, None], ["é", "ü"]]
SUBJECTS = ["patient-1", "patient-2", "1001", "Zoë", ""]
# Keys that a careless channel would mangle (PGOPTIONS, a shell, a SQL
# literal, a template): each must give these pseudonyms on every engine.
AWKWARD_KEYS = [
    "backslash \\ and \\n in the middle, 0123456789",
    "trailing whitespace 0123456789abcdef \n ",
    " leading space, 'quotes', \"double\", ${braces} and ; 0123",
    "Zoë-Bruno-Díaz-東京都-key-0123456789abcdef",
]
AWKWARD_VALUES = ["ann.lee@example.com", "Zoë"]
# pseudonymize_int: (min, max) ranges and the values of each to pseudonymize
# (the ends, a few inside, NULL). n = max - min + 1 is 10, 1000, 4, 2**31, 11,
# 2**12 (no cycle walking), about 2**62 (k = 63, the widest state), and 1.
INT_RANGES = [
    (0, 9, list(range(10))),
    (1, 1000, [1, 2, 3, 500, 999, 1000]),
    (1000, 1003, [1000, 1001, 1002, 1003]),
    (0, 2147483647, [0, 1, 42, 123456789, 2147483646, 2147483647]),
    (-5, 5, list(range(-5, 6))),
    (100, 4195, [100, 101, 2024, 4195]),
    (-3, 4611686018427388000, [-3, 0, 7, 4611686018427387904, 4611686018427388000]),
    (-9223372036854775808, -9223372036854775808, [-9223372036854775808]),
    (42, 42, [42]),
]
INT_DOMAIN = "pii_guard.pseudonymize_int.v1"
# encrypt_pii: AES-256-GCM under a published test key (64 hex characters,
# never the HMAC test key), fixed 12-byte IVs (real encryption draws a random
# one per value), as base64(iv || ciphertext || tag).
ENCRYPTION_TEST_KEY = "00112233445566778899aabbccddeeff0f1e2d3c4b5a69788796a5b4c3d2e1f0"
ENCRYPTION_VALUES = ["ann.lee@example.com", "Zoë Bruno Díaz", "東京都", "🙂 ok", "", "   ",
                     "exactly-16-bytes", "a-value-longer-than-two-aes-blocks-of-sixteen-bytes-each", None]
PATH = Path(__file__).with_name("pseudonym_vectors.json")


def mac(text: str | None, key: str = TEST_KEY) -> str | None:
    if text is None:
        return None
    return hmac.new(key.encode(), text.encode("utf-8"), hashlib.sha256).hexdigest()


def normalized(value: str | None, how: str | None) -> str | None:
    if value is None or how is None:
        return value
    text = re.sub(r"[^0-9]", "", value) if how == "phone" else value.strip(" ").lower()
    return text or None


def pseudonymize_int(value: int | None, low: int, high: int, key: str = TEST_KEY) -> int | None:
    """The README's construction, written out: an 8-round Feistel network on
    k-bit states (halves of a = ceil(k/2) and b = k - a bits, PRF = first 32
    bits of HMAC(key, 'pii_guard.pseudonymize_int.v1:min:max:round:R')),
    cycle-walked into [0, n) at most 128 times."""
    if value is None:
        return None
    assert low <= value <= high
    n = high - low + 1
    if n == 1:
        return value
    k = max(2, (n - 1).bit_length())
    a = (k + 1) // 2
    b = k - a

    def feistel(x: int) -> int:
        for i in range(8):
            high_bits, low_bits = (a, b) if i % 2 == 0 else (b, a)
            left, right = x >> low_bits, x % 2 ** low_bits
            f = int(mac(f"{INT_DOMAIN}:{low}:{high}:{i}:{right}", key)[:8], 16) % 2 ** high_bits
            x = right * 2 ** high_bits + (left ^ f)
        return x

    y = feistel(value - low)
    for _ in range(127):
        if y < n:
            break
        y = feistel(y)
    assert y < n, "cycle walk did not return within 128 steps"
    return low + y


def encrypt(value: str | None, n: int) -> str | None:
    """AESGCM from the cryptography package, IV = 12 bytes of n (the vectors' only)."""
    import base64

    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    if value is None:
        return None
    iv = n.to_bytes(12, "big")
    return base64.b64encode(iv + AESGCM(bytes.fromhex(ENCRYPTION_TEST_KEY)).encrypt(iv, value.encode(), None)).decode()


def vectors() -> dict:
    return {
        "key": TEST_KEY,
        "hash_pii": [
            {"value": v, **{f"normalize_{how or 'none'}": mac(normalized(v, how)) for how in (None, "email", "phone", "text")}}
            for v in VALUES
        ],
        "surrogate_key": [
            {"values": t, "expected": mac("".join("-" if v is None else f"{len(v.encode())}:{v}" for v in t))}
            for t in KEY_TUPLES
        ],
        "shift_date": [
            {"subject": s, **{f"max_days_{m}": int(mac("pii_guard.shift_date:" + s)[:8], 16) % (2 * m + 1) - m
                              for m in (1, 30, 365)}}
            for s in SUBJECTS
        ],
        "pseudonymize_int": [
            {"min": low, "max": high,
             "cases": [{"value": v, "expected": pseudonymize_int(v, low, high)} for v in values + [None]]}
            for low, high, values in INT_RANGES
        ],
        "encryption_key": ENCRYPTION_TEST_KEY,
        "encrypt_pii": [{"value": v, "ciphertext": encrypt(v, n + 1)} for n, v in enumerate(ENCRYPTION_VALUES)],
        "awkward_keys": [
            {"key": key, "hash_pii": {value: mac(value, key) for value in AWKWARD_VALUES}} for key in AWKWARD_KEYS
        ],
    }


if __name__ == "__main__":
    PATH.write_text(json.dumps(vectors(), indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {PATH}")
