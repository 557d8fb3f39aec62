"""The tracer on one fixture per SQL construct and dialect
(integration_tests/fixtures/lineage_constructs), asserted column by column
against expected.yml; and every fixture run on its real engine (DuckDB in
process, the throwaway PostgreSQL server, a local SparkSession) over the tables
of tables.yml, proving it is valid SQL there and that the expected output names
are the engine's."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
import yaml

from pii_guard.lineage.schemas import schema_for
from pii_guard.lineage.trace import trace_model

FIXTURES = Path(__file__).resolve().parents[2] / "integration_tests" / "fixtures" / "lineage_constructs"
TABLES: dict = yaml.safe_load((FIXTURES / "tables.yml").read_text())
EXPECTED: dict = yaml.safe_load((FIXTURES / "expected.yml").read_text())
DIALECTS = ("duckdb", "postgres", "spark")
CASES = sorted(f"{dialect}/{path.stem}" for dialect in DIALECTS for path in (FIXTURES / dialect).glob("*.sql"))

# tables.yml's neutral types, per engine.
TYPES = {
    "integer": {"duckdb": "integer", "postgres": "integer", "spark": "int"},
    "text": {"duckdb": "varchar", "postgres": "text", "spark": "string"},
    "date": {"duckdb": "date", "postgres": "date", "spark": "date"},
    "decimal": {"duckdb": "decimal(10,2)", "postgres": "numeric(10,2)", "spark": "decimal(10,2)"},
    "text_list": {"duckdb": "varchar[]", "postgres": "text[]", "spark": "array<string>"},
}


def _sql(case: str) -> str:
    return (FIXTURES / f"{case}.sql").read_text()


def _rows(table: str) -> list[tuple]:
    """The table's rows as Python values of its column types."""
    types = list(TABLES[table]["columns"].values())
    convert = {"date": dt.date.fromisoformat, "decimal": Decimal}

    def value(kind: str, raw):
        return raw if raw is None or kind not in convert else convert[kind](str(raw))

    return [tuple(value(kind, raw) for kind, raw in zip(types, row, strict=True)) for row in TABLES[table]["rows"]]


def _column_defs(table: str, engine: str) -> str:
    return ", ".join(f"{name} {TYPES[kind][engine]}" for name, kind in TABLES[table]["columns"].items())


def _expand(deps: list[str]) -> list[str]:
    """`table.*` -> every column of the table."""
    found: list[str] = []
    for dep in deps:
        table, column = dep.split(".")
        found += [f"{table}.{c}" for c in TABLES[table]["columns"]] if column == "*" else [dep]
    return sorted(found)


def _dedupe(names: list[str]) -> list[str]:
    return list(dict.fromkeys(names))


def _passing(deps) -> list[str]:
    """The columns whose value passes (whatever the transform), as
    `table.column` for relations in s, fully dotted for anything else."""
    names = set()
    for dep in deps:
        if not dep.passes_value:
            continue
        relation = tuple(dep.relation)
        names.add(f"{relation[-1]}.{dep.column}" if relation[:-1] == ("", "s")
                  else ".".join(relation + (dep.column,)))
    return sorted(names)


# -- expected.yml itself ----------------------------------------------------------


def test_every_fixture_has_one_expectation():
    assert sorted(EXPECTED) == CASES
    for case, expected in EXPECTED.items():
        assert ("columns" in expected) != ("unresolved" in expected), case
        assert set(expected) <= {"columns", "unresolved", "engine_columns", "omit_from_schema"}, case
        for table in expected.get("omit_from_schema", []):
            assert table in TABLES, case
        if "columns" in expected:
            for name, deps in expected["columns"].items():
                assert name == name.lower(), case
                for dep in deps:
                    table, column = dep.split(".")
                    assert column == "*" or column in TABLES[table]["columns"], (case, dep)
            if "engine_columns" in expected:
                # A name the engine gives twice is one output for the tracer.
                assert _dedupe(expected["engine_columns"]) == list(expected["columns"]), case


# -- the tracer --------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES)
def test_tracer(case):
    dialect = case.split("/")[0]
    expected = EXPECTED[case]
    omitted = set(expected.get("omit_from_schema", []))
    schema = schema_for({("", "s", table): list(spec["columns"]) for table, spec in TABLES.items()
                         if table not in omitted}, dialect)
    traced = trace_model(_sql(case), dialect, schema)
    if "unresolved" in expected:
        assert traced.unresolved is not None, (
            f"expected unresolved ({expected['unresolved']!r}), traced: "
            f"{[(name, _passing(deps)) for name, deps in traced.columns.items()]}")
        assert expected["unresolved"].lower() in traced.unresolved.lower()
        return
    assert traced.unresolved is None, traced.unresolved
    found = [(name, _passing(deps)) for name, deps in traced.columns.items()]
    assert found == [(name, _expand(deps)) for name, deps in expected["columns"].items()]


# -- the engines -------------------------------------------------------------------


@pytest.fixture(scope="module")
def duckdb_engine(tmp_path_factory):
    """An in-memory DuckDB with the tables, and people.csv / people.parquet on
    its file_search_path (for the fixtures that read files)."""
    connection = duckdb.connect()
    connection.execute("create schema s")
    for table, spec in TABLES.items():
        connection.execute(f"create table s.{table} ({_column_defs(table, 'duckdb')})")
        marks = ", ".join(["?"] * len(spec["columns"]))
        connection.executemany(f"insert into s.{table} values ({marks})", _rows(table))
    files = tmp_path_factory.mktemp("lineage_constructs_files")
    connection.execute(f"copy s.people to '{files / 'people.csv'}' (header)")
    connection.execute(f"copy s.people to '{files / 'people.parquet'}' (format parquet)")
    connection.execute(f"set file_search_path = '{files}'")

    def run(sql: str) -> list[str]:
        result = connection.execute(sql)
        names = [column[0] for column in result.description]
        result.fetchall()
        return names

    yield run
    connection.close()


@pytest.fixture(scope="module")
def postgres_engine(postgres):
    """A database of its own on the session's PostgreSQL server, with the tables."""
    import psycopg2

    postgres.psql("drop database if exists lineage_constructs")
    postgres.psql("create database lineage_constructs")
    connection = psycopg2.connect(host="127.0.0.1", port=postgres.port, user="pii_guard", dbname="lineage_constructs")
    connection.autocommit = True
    cursor = connection.cursor()
    cursor.execute("create schema s")
    for table, spec in TABLES.items():
        cursor.execute(f"create table s.{table} ({_column_defs(table, 'postgres')})")
        marks = ", ".join(["%s"] * len(spec["columns"]))
        cursor.executemany(f"insert into s.{table} values ({marks})", _rows(table))

    def run(sql: str) -> list[str]:
        cursor.execute(sql)
        names = [column[0] for column in cursor.description]
        cursor.fetchall()
        return names

    yield run
    connection.close()
    postgres.psql("drop database if exists lineage_constructs")


@pytest.fixture(scope="module")
def spark_engine(spark_session):
    """The database s in the session's in-memory catalog, with the tables."""
    spark_session.sql("create database if not exists s")
    for table in TABLES:
        spark_session.sql(f"drop table if exists s.{table}")
        frame = spark_session.createDataFrame(_rows(table), schema=_column_defs(table, "spark"))
        frame.write.mode("overwrite").saveAsTable(f"s.{table}")

    def run(sql: str) -> list[str]:
        frame = spark_session.sql(sql)
        frame.collect()
        return frame.columns

    yield run
    spark_session.sql("drop database if exists s cascade")


@pytest.mark.parametrize("case", CASES)
def test_engine_runs_it(case, request):
    """The fixture runs on its engine, whose result columns are the expected
    outputs (engine_columns when given), in order."""
    dialect = case.split("/")[0]
    expected = EXPECTED[case]
    names = [name.lower() for name in request.getfixturevalue(f"{dialect}_engine")(_sql(case))]
    if "engine_columns" in expected:
        assert names == expected["engine_columns"]
    elif "columns" in expected:
        assert names == list(expected["columns"])
