"""The pii_guard HMAC key: where it lives, what makes it acceptable, and the
padded key blocks that let SQL engines without an HMAC function compute one.

The key is the UTF-8 encoding of the environment variable
``DBT_ENV_SECRET_PII_GUARD_KEY``. dbt scrubs ``DBT_ENV_SECRET_*`` values from
its logs and refuses them in model SQL, so the key reaches the warehouse
session (a DuckDB variable, a PostgreSQL setting), never the compiled SQL.

>>> key = read_key({KEY_ENV_VAR: "k" * 32})
>>> inner, outer = padded_key_blocks(key)
>>> len(inner), inner[:1], outer[:1]
(64, b']', b'7')
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping

KEY_ENV_VAR = "DBT_ENV_SECRET_PII_GUARD_KEY"
MIN_KEY_BYTES = 32
SHA256_BLOCK_BYTES = 64
_INNER_PAD = 0x36
_OUTER_PAD = 0x5C


class KeyProblem(ValueError):
    """The key is missing or too weak; the message says what to do."""


def read_key(environ: Mapping[str, str]) -> bytes:
    """Return the key from ``environ``, or raise :class:`KeyProblem`.

    Missing, empty and short keys are refused: an empty-key HMAC is an unkeyed
    hash that anyone can recompute by enumerating emails or customer ids.

    >>> read_key({KEY_ENV_VAR: "short"})
    Traceback (most recent call last):
    ...
    pii_guard.keys.KeyProblem: pii_guard: DBT_ENV_SECRET_PII_GUARD_KEY is 5 bytes long; it must be at least 32 bytes. Generate a key with `pii-guard keygen`.
    """
    value = environ.get(KEY_ENV_VAR)
    if value is None or value == "":
        state = "is not set" if value is None else "is empty"
        raise KeyProblem(
            f"pii_guard: {KEY_ENV_VAR} {state}. Set it to a secret of at least "
            f"{MIN_KEY_BYTES} bytes (generate one with `pii-guard keygen`) in the "
            "environment that runs dbt; never in dbt vars, profiles or git."
        )
    key = value.encode("utf-8")
    if len(key) < MIN_KEY_BYTES:
        raise KeyProblem(
            f"pii_guard: {KEY_ENV_VAR} is {len(key)} bytes long; it must be at least "
            f"{MIN_KEY_BYTES} bytes. Generate a key with `pii-guard keygen`."
        )
    return key


def padded_key_blocks(key: bytes) -> tuple[bytes, bytes]:
    """Return HMAC-SHA256's inner and outer padded key blocks (RFC 2104).

    ``HMAC(K, m) = SHA256(outer || SHA256(inner || m))``: with both blocks
    computed once per session, a row costs two SHA-256 calls in SQL.
    """
    if len(key) > SHA256_BLOCK_BYTES:
        key = hashlib.sha256(key).digest()
    block = key.ljust(SHA256_BLOCK_BYTES, b"\0")
    inner = bytes(byte ^ _INNER_PAD for byte in block)
    outer = bytes(byte ^ _OUTER_PAD for byte in block)
    return inner, outer


def generate_key() -> str:
    """Return a fresh random key: 32 random bytes as 64 hex characters."""
    return secrets.token_hex(32)
