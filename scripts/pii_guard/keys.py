"""The pii_guard HMAC key: where it lives, what makes it acceptable, and its
padded key blocks (RFC 2104), from which the DuckDB plugin's function starts
each HMAC.

The key is the UTF-8 encoding of the environment variable
``DBT_ENV_SECRET_PII_GUARD_KEY``. dbt scrubs ``DBT_ENV_SECRET_*`` values from
its logs and refuses them in model SQL, so the key never reaches compiled SQL:
DuckDB's plugin holds it in the dbt process, PostgreSQL's keyring in a table
dbt's role cannot read, Spark's driver in its environment.

>>> key = read_key({KEY_ENV_VAR: "0123456789abcdef" * 2})
>>> inner, outer = padded_key_blocks(key)
>>> len(inner), inner[:1].hex(), outer[:1]
(64, '06', b'l')
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping

KEY_ENV_VAR = "DBT_ENV_SECRET_PII_GUARD_KEY"
MIN_KEY_BYTES = 32
# A key must also use at least this many different byte values: 32 copies of
# one character (or a short pattern typed to fill the length) is not a secret.
# The Spark macros check the same rule in SQL.
MIN_DISTINCT_BYTES = 8
SHA256_BLOCK_BYTES = 64
_INNER_PAD = 0x36
_OUTER_PAD = 0x5C


class KeyProblem(ValueError):
    """The key is missing, too weak or not text; the message says what to do."""


def read_key(environ: Mapping[str, str]) -> bytes:
    """Return the key from ``environ``, or raise :class:`KeyProblem`.

    Missing, empty and short keys are refused: an empty-key HMAC is an unkeyed
    hash that anyone can recompute by enumerating emails or customer ids. So
    are keys with fewer than MIN_DISTINCT_BYTES different byte values (a
    guessable filler such as 32 times "x"), and a value that is not UTF-8 text
    (the operating system hands Python undecodable bytes as surrogate escapes).

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
    try:
        key = value.encode("utf-8")
    except UnicodeEncodeError:
        # Never show the value: it is the secret, however malformed.
        raise KeyProblem(
            f"pii_guard: {KEY_ENV_VAR} is not valid UTF-8 text. Set it to a key generated "
            "with `pii-guard keygen` (64 hex characters)."
        ) from None
    if len(key) < MIN_KEY_BYTES:
        raise KeyProblem(
            f"pii_guard: {KEY_ENV_VAR} is {len(key)} bytes long; it must be at least "
            f"{MIN_KEY_BYTES} bytes. Generate a key with `pii-guard keygen`."
        )
    distinct = len(set(key))
    if distinct < MIN_DISTINCT_BYTES:
        raise KeyProblem(
            f"pii_guard: {KEY_ENV_VAR} uses only {distinct} different byte "
            f"value{'' if distinct == 1 else 's'}; a key needs at least {MIN_DISTINCT_BYTES} "
            "(a repeated character or short pattern is guessable). Generate a key with "
            "`pii-guard keygen`."
        )
    return key


def padded_key_blocks(key: bytes) -> tuple[bytes, bytes]:
    """Return HMAC-SHA256's inner and outer padded key blocks (RFC 2104).

    ``HMAC(K, m) = SHA256(outer || SHA256(inner || m))``: with SHA-256 states
    that have absorbed each block, a short message costs two compressions.
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
