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
        "awkward_keys": [
            {"key": key, "hash_pii": {value: mac(value, key) for value in AWKWARD_VALUES}} for key in AWKWARD_KEYS
        ],
    }


if __name__ == "__main__":
    PATH.write_text(json.dumps(vectors(), indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {PATH}")
