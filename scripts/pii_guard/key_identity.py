"""The key fingerprint: a keyed, one-way id of the pii_guard key, safe to store
and print.

``fingerprint = first 16 hex characters of HMAC-SHA256(key, "pii_guard.key_fingerprint.v1")``

with the key as UTF-8 bytes, exactly as ``hash_pii`` uses it: it is the
pseudonym of the fixed text ``pii_guard.key_fingerprint.v1``, cut to 64 bits.
Two keys with the same fingerprint are the same key (up to a 2**-64 chance);
HMAC being a pseudorandom function, the fingerprint tells nothing else about
the key and cannot be computed without it. The macro
``pii_guard.key_fingerprint()`` computes the same value in the warehouse.

>>> key_fingerprint(b"0" * 64)
'b103c1c89f97fd63'
"""

from __future__ import annotations

import hashlib
import hmac

FINGERPRINT_MESSAGE = b"pii_guard.key_fingerprint.v1"
FINGERPRINT_HEX_CHARS = 16


def key_fingerprint(key: bytes) -> str:
    """The fingerprint of ``key``: 16 lowercase hex characters."""
    return hmac.new(key, FINGERPRINT_MESSAGE, hashlib.sha256).hexdigest()[:FINGERPRINT_HEX_CHARS]
