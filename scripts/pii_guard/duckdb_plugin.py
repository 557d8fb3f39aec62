"""dbt-duckdb plugin: puts the HMAC key blocks on every DuckDB cursor.

DuckDB has SHA-256 but no HMAC, and its variables belong to one cursor, while
dbt-duckdb opens a cursor per thread. The plugin computes the padded key blocks
once, from ``DBT_ENV_SECRET_PII_GUARD_KEY``, and sets them with bound
parameters on the connection and on each cursor, so neither the key nor the
blocks ever appear in SQL text, dbt's logs or ``target/``.

Enable it in ``profiles.yml``::

    type: duckdb
    plugins:
      - module: pii_guard.duckdb_plugin

A missing or weak key does not stop dbt from starting (seeds, docs and
``dbt compile`` need no key): the plugin stores the reason instead, and every
pii_guard macro that needs the key fails with it at query time.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from dbt.adapters.duckdb.plugins import BasePlugin

from pii_guard.keys import KeyProblem, padded_key_blocks, read_key

INNER_BLOCK_VARIABLE = "pii_guard_ipad"
OUTER_BLOCK_VARIABLE = "pii_guard_opad"
KEY_ERROR_VARIABLE = "pii_guard_key_error"


def session_variables(environ: Mapping[str, str]) -> dict[str, Any]:
    """Return the DuckDB variables that carry the key, or the reason there is none.

    >>> sorted(session_variables({"DBT_ENV_SECRET_PII_GUARD_KEY": "k" * 32}))
    ['pii_guard_ipad', 'pii_guard_opad']
    >>> session_variables({})["pii_guard_key_error"][:47]
    'pii_guard: DBT_ENV_SECRET_PII_GUARD_KEY is not '
    """
    try:
        inner, outer = padded_key_blocks(read_key(environ))
    except KeyProblem as problem:
        return {KEY_ERROR_VARIABLE: str(problem)}
    return {INNER_BLOCK_VARIABLE: inner, OUTER_BLOCK_VARIABLE: outer}


class Plugin(BasePlugin):
    """Sets the pii_guard session variables on every connection and cursor."""

    def initialize(self, plugin_config: dict[str, Any]) -> None:
        self._variables = session_variables(os.environ)

    def configure_connection(self, conn) -> None:
        self._set_variables(conn)

    def configure_cursor(self, cursor) -> None:
        self._set_variables(cursor)

    def _set_variables(self, cursor) -> None:
        for name, value in self._variables.items():
            # Bound parameter: the value never becomes SQL text.
            cursor.execute(f"SET VARIABLE {name} = ?", [value])
