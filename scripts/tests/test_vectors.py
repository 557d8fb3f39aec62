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
from dbt_harness import DbtProject

from pii_guard.duckdb_plugin import Plugin, hmac_batches, register_hmac_function
from pii_guard.keys import KEY_ENV_VAR
from pii_guard.postgres_keyring import install_keyring

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
    """The same interface on the local SparkSession of this process, whose
    driver JVM was launched with the vectors' key in its environment (the
    spark_session fixture), as dbt-spark's session JVM inherits dbt's. The
    macros are compiled by a dbt process of their own: loading the Spark and
    DuckDB adapters into one process leaves DuckDB objects alive at exit, where
    its bindings report leaks."""

    def __init__(self, spark, spark_compile) -> None:
        self.spark, self.spark_compile = spark, spark_compile

    def load(self, columns: str, rows: list[list]) -> None:
        schema = columns.replace("varchar", "string")
        self.spark.createDataFrame(rows, schema=schema).createOrReplaceTempView("vectors")

    def run(self, sql: str) -> list[tuple]:
        return [tuple(row) for row in self.spark.sql(self.spark_compile(sql)).collect()]


@pytest.fixture(params=["duckdb", "postgres", "spark"])
def session(request, monkeypatch, dbt_inline):
    monkeypatch.setenv(KEY_ENV_VAR, VECTORS["key"])
    if request.param == "spark":
        spark = request.getfixturevalue("spark_session")  # its JVM holds VECTORS["key"] in its environment
        yield SparkVectorsSession(spark, request.getfixturevalue("spark_compile"))
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
        connection = psycopg2.connect(host="127.0.0.1", port=server.port, user="pii_guard", dbname="pii_guard")
        install_keyring(connection, VECTORS["key"].encode(), ["pii_guard"])
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


@pytest.mark.parametrize("engine", ["duckdb", "postgres"])
def test_awkward_keys_give_the_shared_pseudonyms(request, dbt_inline, engine):
    """Backslashes, quotes, braces, leading and trailing whitespace and
    non-ASCII survive each engine's key channel byte for byte."""
    compiled, error = dbt_inline("select value, {{ pii_guard.hash_pii('value') }} from vectors order by value",
                                 "--target", engine)
    assert error is None, error
    for case in VECTORS["awkward_keys"]:
        rows = [[value] for value in case["hash_pii"]]
        if engine == "duckdb":
            connection = duckdb.connect()
            register_hmac_function(connection, hmac_batches({KEY_ENV_VAR: case["key"]}))
            cursor, placeholder = connection.cursor(), "?"
        else:
            import psycopg2

            server = request.getfixturevalue("postgres")
            connection = psycopg2.connect(host="127.0.0.1", port=server.port, user="pii_guard", dbname="pii_guard")
            install_keyring(connection, case["key"].encode(), ["pii_guard"])
            cursor, placeholder = connection.cursor(), "%s"
        cursor.execute("create temporary table vectors (value varchar)")
        cursor.executemany(f"insert into vectors values ({placeholder})", rows)
        cursor.execute(compiled)
        assert dict(cursor.fetchall()) == case["hash_pii"], repr(case["key"])
        connection.close()


def spark_refuses(key: str) -> bool:
    """What the Spark macro refuses before substituting the key into SQL text
    (see spark__keyed_hmac_hex): a single quote, or `${`."""
    return "'" in key or "${" in key


def test_awkward_keys_give_the_shared_pseudonyms_on_spark(tmp_path, spark_compile):
    """The same on Spark, whose driver reads the key from its environment: one
    JVM per key (a worker process each, run side by side), since a JVM reads its
    environment once. Keys Spark cannot take into SQL text are refused by the
    macro (test_key_errors.py checks the message)."""
    import subprocess
    import sys

    compiled = spark_compile("select value, {{ pii_guard.hash_pii('value') }} from vectors order by value")
    accepted = [case for case in VECTORS["awkward_keys"] if not spark_refuses(case["key"])]
    assert accepted and len(accepted) < len(VECTORS["awkward_keys"])
    worker = str(Path(__file__).with_name("spark_sql_worker.py"))
    runs = []
    for number, case in enumerate(accepted):
        env = DbtProject(tmp_path / f"jvm{number}", key=case["key"], target="spark").env()
        process = subprocess.Popen([sys.executable, worker], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                   stderr=subprocess.DEVNULL, env=env, text=True)
        process.stdin.write(json.dumps({"columns": "value string", "sql": compiled,
                                        "rows": [[value] for value in case["hash_pii"]]}))
        process.stdin.close()
        runs.append((case, process))
    for case, process in runs:
        answer = json.loads(process.stdout.read())
        assert process.wait(timeout=300) == 0
        assert dict(map(tuple, answer.get("rows", []))) == case["hash_pii"], (repr(case["key"]), answer.get("error"))


# -- pseudonymize_int --------------------------------------------------------------


def pseudonymize_call(column: str, low: int, high: int) -> str:
    return "{{ pii_guard.pseudonymize_int('" + column + f"', min_value={low}, max_value={high})" + " }}"


def test_pseudonymize_int_matches_the_vectors(session):
    """Every range's cases in one statement: a UNION ALL of one select per
    range, each filtered to its own rows before the macro runs."""
    ranges = VECTORS["pseudonymize_int"]
    rows = [[n, r, case["value"]] for r, spec in enumerate(ranges) for n, case in enumerate(spec["cases"])]
    session.load("n integer, r integer, value bigint", rows)
    selects = [f"select {r} as r, n, {pseudonymize_call('value', spec['min'], spec['max'])} as p "
               f"from vectors where r = {r}" for r, spec in enumerate(ranges)]
    found = {(r, n): p for r, n, p in session.run(" union all ".join(selects))}
    expected = {(r, n): case["expected"] for r, spec in enumerate(ranges) for n, case in enumerate(spec["cases"])}
    assert found == expected


@pytest.mark.parametrize("low, high", [(0, 999), (5, 37)])
def test_pseudonymize_int_permutes_the_range(session, low, high):
    """Every value lands inside the range and no two collide."""
    session.load("value bigint", [[v] for v in range(low, high + 1)])
    [(count, distinct, smallest, largest)] = session.run(
        "select count(*), count(distinct p), min(p), max(p) from (select "
        + pseudonymize_call("value", low, high) + " as p from vectors) as pseudonyms")
    assert (count, distinct, smallest, largest) == (high - low + 1, high - low + 1, low, high)


def test_pseudonymized_foreign_keys_join_like_the_raw_ids(session):
    """Customers and orders pseudonymized separately join on the pseudonyms
    exactly as they join on the raw ids (NULL and unknown customers included)."""
    customers = [["customer", i, None, None] for i in range(1, 41)]
    orders = [["order", None, 100 + n, None if n % 7 == 0 else (n * 13) % 50 + 1] for n in range(60)]
    session.load("kind varchar, id bigint, order_id bigint, customer_id bigint", customers + orders)
    joined = session.run(
        "with customers as (select id, " + pseudonymize_call("id", 1, 500) + " as pid from vectors "
        "where kind = 'customer'), orders as (select order_id, " + pseudonymize_call("customer_id", 1, 500)
        + " as pid from vectors where kind = 'order') "
        "select o.order_id, c.id from orders o join customers c on o.pid = c.pid")
    raw = {(order_id, customer_id) for _, _, order_id, customer_id in orders if customer_id is not None
           and customer_id <= 40}
    assert len(raw) > 30 and set(joined) == raw and len(joined) == len(raw)


def test_pseudonymize_int_refuses_a_value_outside_the_range(session):
    session.load("value bigint", [[3], [11]])
    with pytest.raises(Exception, match=r"pii_guard.pseudonymize_int: a value is outside the declared range \[0, 10\]"):
        session.run("select " + pseudonymize_call("value", 0, 10) + " from vectors")
