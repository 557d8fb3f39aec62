"""dbt-duckdb plugin: gives every DuckDB connection a keyed HMAC function, and
the keyed integer permutation of pseudonymize_int, whose key never enters DuckDB.

DuckDB has SHA-256 but no HMAC. Computing HMAC in SQL needs the padded key
blocks as SQL values, and DuckDB folds such values into its plans, where
EXPLAIN, ``enable_profiling`` and any query that reads them print them (XOR
with 0x36 gives back the key). Instead the plugin registers a Python function,
:data:`HMAC_FUNCTION`, that holds the key in the dbt process's memory and
hashes Arrow batches of values; SQL sees only its name and its results.

Enable it in ``profiles.yml``::

    type: duckdb
    plugins:
      - module: pii_guard.duckdb_plugin

A missing or weak key does not stop dbt from starting (seeds, docs and
``dbt compile`` need no key): the functions are still registered, and raise the
reason when a query calls them, so nothing is ever hashed without the key.

:data:`PSEUDONYMIZE_FUNCTION` is pseudonymize_int's Feistel network (docs/macros.md,
``pseudonymize_int``) on the same HMAC: the whole permutation runs in Python,
so no round key or PRF output ever reaches DuckDB either.

>>> import duckdb
>>> connection = duckdb.connect()
>>> register_hmac_function(connection, hmac_batches({"DBT_ENV_SECRET_PII_GUARD_KEY": "0123456789abcdef" * 2}))
>>> connection.execute(f"select {HMAC_FUNCTION}('a')").fetchone()[0][:16]
'aa2187723645a252'
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

import duckdb
import pyarrow
from dbt.adapters.duckdb.plugins import BasePlugin

from pii_guard.keys import KeyProblem, padded_key_blocks, read_key

HMAC_FUNCTION = "pii_guard_hmac_sha256_hex"
ENCRYPT_FUNCTION = "pii_guard_encrypt"
DECRYPT_FUNCTION = "pii_guard_decrypt"
PSEUDONYMIZE_FUNCTION = "pii_guard_pseudonymize_int"
PSEUDONYMIZE_DOMAIN = "pii_guard.pseudonymize_int.v1"
FEISTEL_ROUNDS = 8
MAX_FEISTEL_APPLICATIONS = 128  # the same bound on every engine: results never differ
Batch = Callable[..., pyarrow.Array]


def _key_states(environ: Mapping[str, str]) -> tuple[Any, Any] | str:
    """SHA-256 states that have absorbed the key's inner and outer padded
    blocks, or the reason there is no acceptable key. From them a short
    message's HMAC costs one compression for itself and one for the inner
    digest (RFC 2104)."""
    try:
        inner_block, outer_block = padded_key_blocks(read_key(environ))
    except KeyProblem as problem:
        return str(problem)
    return hashlib.sha256(inner_block), hashlib.sha256(outer_block)


def _hmac_hex(states: tuple[Any, Any]) -> Callable[[bytes], str]:
    """HMAC-SHA256 as lowercase hex, from :func:`_key_states`' states."""
    new_inner, new_outer = states[0].copy, states[1].copy

    def digest(message: bytes) -> str:
        inner_hash = new_inner()
        inner_hash.update(message)
        outer_hash = new_outer()
        outer_hash.update(inner_hash.digest())
        return outer_hash.hexdigest()

    return digest


def _refusal(reason: str) -> Batch:
    """A batch function that raises the key's problem whenever a query calls it."""

    def refuse(values: pyarrow.Array) -> pyarrow.Array:
        raise KeyProblem(reason)

    return refuse


def hmac_batches(environ: Mapping[str, str]) -> Batch:
    """Return the Arrow batch function behind :data:`HMAC_FUNCTION`.

    HMAC-SHA256 of each value's UTF-8 bytes as 64 lowercase hex characters;
    NULL stays NULL. Without an acceptable key the function raises the reason.

    >>> hash_batch = hmac_batches({"DBT_ENV_SECRET_PII_GUARD_KEY": "0123456789abcdef" * 2})
    >>> hash_batch(pyarrow.array(["a", None])).to_pylist()[1] is None
    True
    """
    states = _key_states(environ)
    if isinstance(states, str):
        return _refusal(states)
    inner, outer = states

    def hash_batch(values: pyarrow.Array) -> pyarrow.Array:
        # The loop of _hmac_hex written inline: the per-row call costs measurably here.
        new_inner, new_outer = inner.copy, outer.copy
        digests: list[str | None] = []
        append = digests.append
        for message in values.cast(pyarrow.binary()).to_pylist():
            if message is None:
                append(None)
                continue
            inner_hash = new_inner()
            inner_hash.update(message)
            outer_hash = new_outer()
            outer_hash.update(inner_hash.digest())
            append(outer_hash.hexdigest())
        return pyarrow.array(digests, pyarrow.string())

    return hash_batch


class PseudonymizeProblem(ValueError):
    """A value outside its declared range, or a walk that did not return."""


def pseudonymizer(digest: Callable[[bytes], str], low: int, high: int) -> Callable[[int], int]:
    """The keyed permutation of [low, high] (docs/macros.md, pseudonymize_int): an
    8-round Feistel network on k-bit states, cycle-walked into the range.

    >>> from pii_guard.keys import KEY_ENV_VAR
    >>> permute = pseudonymizer(_hmac_hex(_key_states({KEY_ENV_VAR: "0123456789abcdef" * 2})), 1, 10)
    >>> sorted(permute(v) for v in range(1, 11)) == list(range(1, 11))
    True
    """
    n = high - low + 1
    k = max(2, (n - 1).bit_length())
    a = (k + 1) // 2
    b = k - a
    prefix = f"{PSEUDONYMIZE_DOMAIN}:{low}:{high}:"

    def compute(round_: int, right: int) -> int:
        return int(digest(f"{prefix}{round_}:{right}".encode())[:8], 16)

    # A round's PRF depends only on (round, R), and R has at most 2^a values:
    # up to 32-bit ranges (a <= 16, at most 8 * 65,536 entries, about 20 MB)
    # every one is kept once computed; wider ranges keep the recent ones.
    if a <= 16:
        tables: list[list[int | None]] = [[None] * (1 << a) for _ in range(FEISTEL_ROUNDS)]

        def prf(round_: int, right: int) -> int:
            found = tables[round_][right]
            if found is None:
                found = tables[round_][right] = compute(round_, right)
            return found
    else:
        prf = lru_cache(maxsize=1 << 16)(compute)

    def feistel(x: int) -> int:
        for round_ in range(FEISTEL_ROUNDS):
            high_bits, low_bits = (a, b) if round_ % 2 == 0 else (b, a)
            right = x & ((1 << low_bits) - 1)
            x = (right << high_bits) | ((x >> low_bits) ^ (prf(round_, right) & ((1 << high_bits) - 1)))
        return x

    def permute(value: int) -> int:
        if not low <= value <= high:
            raise PseudonymizeProblem(
                f"pii_guard.pseudonymize_int: a value is outside the declared range [{low}, {high}]. "
                "Widen min_value/max_value to cover every value of the column, or filter such rows out first.")
        if n == 1:
            return value
        y = feistel(value - low)
        for _ in range(MAX_FEISTEL_APPLICATIONS - 1):
            if y < n:
                return low + y
            y = feistel(y)
        if y < n:
            return low + y
        raise PseudonymizeProblem(
            f"pii_guard.pseudonymize_int: the cycle walk over [{low}, {high}] did not return into the range "
            f"within {MAX_FEISTEL_APPLICATIONS} Feistel applications (odds below 2^-128). Report this.")

    return permute


def pseudonymize_batches(environ: Mapping[str, str]) -> Batch:
    """Return the Arrow batch function behind :data:`PSEUDONYMIZE_FUNCTION`:
    (value, min, max) BIGINTs to the value's pseudonym; NULL stays NULL.
    Without an acceptable key the function raises the reason.

    >>> from pii_guard.keys import KEY_ENV_VAR
    >>> batch = pseudonymize_batches({KEY_ENV_VAR: "0123456789abcdef" * 2})
    >>> batch(*(pyarrow.array(c, pyarrow.int64()) for c in ([7, None], [7, 7], [7, 7]))).to_pylist()
    [7, None]
    """
    states = _key_states(environ)
    if isinstance(states, str):
        refuse = _refusal(states)
        # DuckDB counts a function's parameters: it must take all three.
        return lambda values, lows, highs: refuse(values)
    digest = _hmac_hex(states)
    # One permutation (and its PRF cache) per range, kept across batches.
    permutations: dict[tuple[int, int], Callable[[int], int]] = {}

    def pseudonymize_batch(values: pyarrow.Array, lows: pyarrow.Array, highs: pyarrow.Array) -> pyarrow.Array:
        out: list[int | None] = []
        for value, low, high in zip(values.to_pylist(), lows.to_pylist(), highs.to_pylist()):
            if value is None:
                out.append(None)
                continue
            if low is None or high is None or low > high:
                raise PseudonymizeProblem(f"pii_guard.pseudonymize_int: the range [{low}, {high}] is empty or "
                                          "NULL; min_value must be at most max_value.")
            permute = permutations.get((low, high))
            if permute is None:
                permute = permutations[(low, high)] = pseudonymizer(digest, low, high)
            out.append(permute(value))
        return pyarrow.array(out, pyarrow.int64())

    return pseudonymize_batch


def _register(connection: Any, name: str, batch: Batch, arguments: list[str], result: str) -> None:
    try:
        connection.create_function(name, batch, arguments, result,
                                   type="arrow", null_handling="special", side_effects=False)
    except duckdb.CatalogException as error:
        # Registered already: cursors share their connection's functions.
        if "already exists" not in str(error):
            raise


def register_hmac_function(connection: Any, hash_batch: Batch) -> None:
    """Register :data:`HMAC_FUNCTION` on a DuckDB connection (its cursors share it)."""
    _register(connection, HMAC_FUNCTION, hash_batch, ["VARCHAR"], "VARCHAR")


def register_pseudonymize_function(connection: Any, pseudonymize_batch: Batch) -> None:
    """Register :data:`PSEUDONYMIZE_FUNCTION` on a DuckDB connection."""
    _register(connection, PSEUDONYMIZE_FUNCTION, pseudonymize_batch, ["BIGINT", "BIGINT", "BIGINT"], "BIGINT")


def _encryption_key(environ: Mapping[str, str]) -> bytes | str:
    from pii_guard.encryption import read_encryption_key

    try:
        return read_encryption_key(environ)
    except KeyProblem as problem:
        return str(problem)


def encrypt_batches(environ: Mapping[str, str]) -> Batch:
    """The Arrow batch function behind :data:`ENCRYPT_FUNCTION`: each value's
    UTF-8 bytes under AES-256-GCM with a fresh random IV, as
    base64(iv || ciphertext || tag) (pii_guard.encryption); NULL stays NULL.
    Without an acceptable encryption key it raises the reason."""
    key = _encryption_key(environ)
    if isinstance(key, str):
        return _refusal(key)
    from pii_guard.encryption import encrypt_text

    def encrypt_batch(values: pyarrow.Array) -> pyarrow.Array:
        return pyarrow.array([None if v is None else encrypt_text(key, v) for v in values.to_pylist()],
                             pyarrow.string())

    return encrypt_batch


def decrypt_batches(environ: Mapping[str, str], cleared: bool) -> Batch:
    """The Arrow batch function behind :data:`DECRYPT_FUNCTION`. Not cleared
    (the plugin's ``decrypt`` setting is not true): every value is NULL, and
    the key is never read. Cleared: the plaintexts; a value that is not a
    ciphertext or fails authentication raises; no acceptable key raises."""
    if not cleared:
        return lambda values: pyarrow.nulls(len(values), pyarrow.string())
    key = _encryption_key(environ)
    if isinstance(key, str):
        return _refusal(key)
    from pii_guard.encryption import decrypt_text

    def decrypt_batch(values: pyarrow.Array) -> pyarrow.Array:
        return pyarrow.array([None if v is None else decrypt_text(key, v) for v in values.to_pylist()],
                             pyarrow.string())

    return decrypt_batch


def register_encryption_functions(connection: Any, encrypt_batch: Batch, decrypt_batch: Batch) -> None:
    """Register :data:`ENCRYPT_FUNCTION` and :data:`DECRYPT_FUNCTION` (random
    IVs: never folded as constants, hence side_effects)."""
    for name, batch in ((ENCRYPT_FUNCTION, encrypt_batch), (DECRYPT_FUNCTION, decrypt_batch)):
        try:
            connection.create_function(name, batch, ["VARCHAR"], "VARCHAR",
                                       type="arrow", null_handling="special", side_effects=True)
        except duckdb.CatalogException as error:
            if "already exists" not in str(error):
                raise


class Plugin(BasePlugin):
    """Registers the keyed functions on dbt-duckdb's connection and cursors.

    Plugin config ``decrypt: true`` (in the profile of a user cleared to read
    plaintext) makes :data:`DECRYPT_FUNCTION` decrypt; otherwise it returns NULL.
    """

    def initialize(self, plugin_config: dict[str, Any]) -> None:
        self._hash_batch = hmac_batches(os.environ)
        self._pseudonymize_batch = pseudonymize_batches(os.environ)
        self._encrypt_batch = encrypt_batches(os.environ)
        self._decrypt_batch = decrypt_batches(os.environ, (plugin_config or {}).get("decrypt") is True)

    def _register_all(self, connection: Any) -> None:
        register_hmac_function(connection, self._hash_batch)
        register_pseudonymize_function(connection, self._pseudonymize_batch)
        register_encryption_functions(connection, self._encrypt_batch, self._decrypt_batch)

    def configure_connection(self, conn) -> None:
        self._register_all(conn)

    def configure_cursor(self, cursor) -> None:
        self._register_all(cursor)
