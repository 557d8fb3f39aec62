"""dbt-duckdb plugin: gives every DuckDB connection a keyed HMAC function whose
key never enters DuckDB.

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
``dbt compile`` need no key): the function is still registered, and raises the
reason when a query calls it, so nothing is ever hashed without the key.

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
from typing import Any

import duckdb
import pyarrow
from dbt.adapters.duckdb.plugins import BasePlugin

from pii_guard.keys import KeyProblem, padded_key_blocks, read_key

HMAC_FUNCTION = "pii_guard_hmac_sha256_hex"


def hmac_batches(environ: Mapping[str, str]) -> Callable[[pyarrow.Array], pyarrow.Array]:
    """Return the Arrow batch function behind :data:`HMAC_FUNCTION`.

    HMAC-SHA256 of each value's UTF-8 bytes as 64 lowercase hex characters;
    NULL stays NULL. Without an acceptable key the function raises the reason.

    >>> hash_batch = hmac_batches({"DBT_ENV_SECRET_PII_GUARD_KEY": "0123456789abcdef" * 2})
    >>> hash_batch(pyarrow.array(["a", None])).to_pylist()[1] is None
    True
    """
    try:
        inner_block, outer_block = padded_key_blocks(read_key(environ))
    except KeyProblem as problem:
        reason = str(problem)

        def refuse(values: pyarrow.Array) -> pyarrow.Array:
            raise KeyProblem(reason)

        return refuse
    # SHA-256 states that have absorbed each padded block: a row then costs one
    # compression for the message and one for the inner digest (RFC 2104).
    inner, outer = hashlib.sha256(inner_block), hashlib.sha256(outer_block)
    del inner_block, outer_block

    def hash_batch(values: pyarrow.Array) -> pyarrow.Array:
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


def register_hmac_function(connection: Any, hash_batch: Callable[[pyarrow.Array], pyarrow.Array]) -> None:
    """Register :data:`HMAC_FUNCTION` on a DuckDB connection (its cursors share it)."""
    try:
        connection.create_function(
            HMAC_FUNCTION, hash_batch, ["VARCHAR"], "VARCHAR",
            type="arrow", null_handling="special", side_effects=False,
        )
    except duckdb.CatalogException as error:
        # Registered already: cursors share their connection's functions.
        if "already exists" not in str(error):
            raise


class Plugin(BasePlugin):
    """Registers the keyed HMAC function on dbt-duckdb's connection and cursors."""

    def initialize(self, plugin_config: dict[str, Any]) -> None:
        self._hash_batch = hmac_batches(os.environ)

    def configure_connection(self, conn) -> None:
        register_hmac_function(conn, self._hash_batch)

    def configure_cursor(self, cursor) -> None:
        register_hmac_function(cursor, self._hash_batch)
