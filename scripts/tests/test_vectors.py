"""The shared pseudonym vectors (integration_tests/vectors): computed with
Python's hmac, and reproduced by the macros as compiled for DuckDB, through the
real plugin, so pseudonyms from every engine can be checked against one file."""

from __future__ import annotations

import datetime as dt
import json
import runpy
from pathlib import Path

import duckdb
import pytest

from pii_guard.duckdb_plugin import Plugin
from pii_guard.keys import KEY_ENV_VAR

VECTORS_DIR = Path(__file__).resolve().parents[2] / "integration_tests" / "vectors"
VECTORS = json.loads((VECTORS_DIR / "pseudonym_vectors.json").read_text())
DAY = dt.date(2024, 1, 1)


def test_committed_vectors_are_what_the_reference_computes():
    generator = runpy.run_path(str(VECTORS_DIR / "generate.py"))
    assert generator["vectors"]() == VECTORS


@pytest.fixture
def duckdb_session(monkeypatch):
    """A DuckDB cursor configured by the pii_guard plugin with the vectors' key."""
    monkeypatch.setenv(KEY_ENV_VAR, VECTORS["key"])
    connection = duckdb.connect()
    cursor = connection.cursor()
    Plugin("pii_guard", {}).configure_cursor(cursor)
    yield cursor
    connection.close()


def run(cursor, dbt_inline, sql: str) -> list[tuple]:
    compiled, error = dbt_inline(sql)
    assert error is None, error
    return cursor.execute(compiled).fetchall()


@pytest.mark.parametrize("normalize", ["none", "email", "phone", "text"])
def test_hash_pii_matches_the_vectors_on_duckdb(duckdb_session, dbt_inline, normalize):
    duckdb_session.execute("create table vectors (n integer, value varchar)")
    duckdb_session.executemany("insert into vectors values (?, ?)",
                               [[n, case["value"]] for n, case in enumerate(VECTORS["hash_pii"])])
    argument = "" if normalize == "none" else f", normalize='{normalize}'"
    rows = run(duckdb_session, dbt_inline,
               "select n, {{ pii_guard.hash_pii('value'" + argument + ") }} from vectors order by n")
    assert [row[1] for row in rows] == [case[f"normalize_{normalize}"] for case in VECTORS["hash_pii"]]


def test_surrogate_key_matches_the_vectors_on_duckdb(duckdb_session, dbt_inline):
    duckdb_session.execute("create table vectors (n integer, a varchar, b varchar)")
    duckdb_session.executemany("insert into vectors values (?, ?, ?)",
                               [[n, *case["values"]] for n, case in enumerate(VECTORS["surrogate_key"])])
    rows = run(duckdb_session, dbt_inline, "select n, {{ pii_guard.surrogate_key(['a', 'b']) }} from vectors order by n")
    assert [row[1] for row in rows] == [case["expected"] for case in VECTORS["surrogate_key"]]


@pytest.mark.parametrize("max_days", [1, 30, 365])
def test_shift_date_matches_the_vectors_on_duckdb(duckdb_session, dbt_inline, max_days):
    duckdb_session.execute("create table vectors (n integer, subject varchar, day date)")
    duckdb_session.executemany("insert into vectors values (?, ?, ?)",
                               [[n, case["subject"], DAY] for n, case in enumerate(VECTORS["shift_date"])])
    rows = run(duckdb_session, dbt_inline,
               "select n, {{ pii_guard.shift_date('day', 'subject', max_days=" + str(max_days) + ") }} from vectors order by n")
    assert [(row[1] - DAY).days for row in rows] == [case[f"max_days_{max_days}"] for case in VECTORS["shift_date"]]
