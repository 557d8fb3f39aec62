"""The shared pseudonym vectors (integration_tests/vectors): computed with
Python's hmac, and reproduced by the macros as compiled for DuckDB (through the
real plugin), PostgreSQL and Spark, so pseudonyms join across engines."""

from __future__ import annotations

import datetime as dt
import json
import runpy
from pathlib import Path

import duckdb
import pytest
from dbt_harness import DbtProject, require_ok

from pii_guard.duckdb_plugin import Plugin
from pii_guard.keys import KEY_ENV_VAR

VECTORS_DIR = Path(__file__).resolve().parents[2] / "integration_tests" / "vectors"
VECTORS = json.loads((VECTORS_DIR / "pseudonym_vectors.json").read_text())
DAY = dt.date(2024, 1, 1)


def test_committed_vectors_are_what_the_reference_computes():
    generator = runpy.run_path(str(VECTORS_DIR / "generate.py"))
    assert generator["vectors"]() == VECTORS


class Session:
    """One engine's session holding the vectors' key, and the macros compiled for it."""

    def __init__(self, cursor, dbt_inline, target: str, placeholder: str) -> None:
        self.cursor, self.dbt_inline, self.target, self.placeholder = cursor, dbt_inline, target, placeholder

    def load(self, columns: str, rows: list[list]) -> None:
        self.cursor.execute(f"create temporary table vectors ({columns})")
        marks = ", ".join([self.placeholder] * len(rows[0]))
        self.cursor.executemany(f"insert into vectors values ({marks})", rows)

    def run(self, sql: str) -> list[tuple]:
        compiled, error = self.dbt_inline(sql, "--target", self.target)
        assert error is None, error
        self.cursor.execute(compiled)
        return self.cursor.fetchall()


class SparkVectorsSession:
    """The same interface on a local SparkSession whose configuration
    spark.pii_guard.key holds the key, as dbt-spark's server_side_parameters set
    it. The macros are compiled by a dbt process of their own: loading the Spark
    and DuckDB adapters into one process leaves DuckDB objects alive at exit,
    where its bindings report leaks."""

    def __init__(self, spark, project: DbtProject) -> None:
        self.spark, self.project = spark, project

    def load(self, columns: str, rows: list[list]) -> None:
        schema = columns.replace("varchar", "string")
        self.spark.createDataFrame(rows, schema=schema).createOrReplaceTempView("vectors")

    def run(self, sql: str) -> list[tuple]:
        result = self.project.dbt("--quiet", "compile", "--no-populate-cache", "--inline", sql, "--output", "json")
        require_ok(result, "dbt compile --inline (spark)")
        compiled = json.loads(result.stdout)["compiled"]
        return [tuple(row) for row in self.spark.sql(compiled).collect()]


@pytest.fixture(params=["duckdb", "postgres", "spark"])
def session(request, monkeypatch, dbt_inline):
    monkeypatch.setenv(KEY_ENV_VAR, VECTORS["key"])
    if request.param == "spark":
        spark = request.getfixturevalue("spark_session")
        spark.conf.set("spark.pii_guard.key", VECTORS["key"])
        yield SparkVectorsSession(spark, DbtProject(request.getfixturevalue("tmp_path"), key=None, target="spark"))
        spark.conf.unset("spark.pii_guard.key")
        return
    if request.param == "duckdb":
        connection = duckdb.connect()
        cursor = connection.cursor()
        Plugin("pii_guard", {}).configure_cursor(cursor)  # the real plugin path
        yield Session(cursor, dbt_inline, "duckdb", "?")
    else:
        import psycopg2

        server = request.getfixturevalue("postgres")
        monkeypatch.setenv("PII_GUARD_PG_PORT", str(server.port))
        connection = psycopg2.connect(host="127.0.0.1", port=server.port, user="pii_guard", dbname="pii_guard",
                                      options=f"-c pii_guard.key={VECTORS['key']}")
        yield Session(connection.cursor(), dbt_inline, "postgres", "%s")
    connection.close()


@pytest.mark.parametrize("normalize", ["none", "email", "phone", "text"])
def test_hash_pii_matches_the_vectors(session, normalize):
    session.load("n integer, value varchar", [[n, case["value"]] for n, case in enumerate(VECTORS["hash_pii"])])
    argument = "" if normalize == "none" else f", normalize='{normalize}'"
    rows = session.run("select n, {{ pii_guard.hash_pii('value'" + argument + ") }} from vectors order by n")
    assert [row[1] for row in rows] == [case[f"normalize_{normalize}"] for case in VECTORS["hash_pii"]]


def test_surrogate_key_matches_the_vectors(session):
    session.load("n integer, a varchar, b varchar",
                 [[n, *case["values"]] for n, case in enumerate(VECTORS["surrogate_key"])])
    rows = session.run("select n, {{ pii_guard.surrogate_key(['a', 'b']) }} from vectors order by n")
    assert [row[1] for row in rows] == [case["expected"] for case in VECTORS["surrogate_key"]]


@pytest.mark.parametrize("max_days", [1, 30, 365])
def test_shift_date_matches_the_vectors(session, max_days):
    session.load("n integer, subject varchar, day date",
                 [[n, case["subject"], DAY] for n, case in enumerate(VECTORS["shift_date"])])
    rows = session.run("select n, {{ pii_guard.shift_date('day', 'subject', max_days=" + str(max_days) + ") }} "
                       "from vectors order by n")
    assert [(row[1] - DAY).days for row in rows] == [case[f"max_days_{max_days}"] for case in VECTORS["shift_date"]]
