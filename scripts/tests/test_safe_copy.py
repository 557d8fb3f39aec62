"""The safe raw copy (pii_guard.build_safe_copy) and the dev workflow on it.

PostgreSQL, with roles: a builder role (reads raw, holds the production key)
writes the protected copy of every source of the integration project and
grants it to a developer role, which cannot read raw and hashes with a
development key of its own; the whole project then builds as the developer
on the copy (`--target dev`). A production role reads raw and not the copy.
DuckDB and Spark: the copy itself (schema, row counts, joins, no raw values).
"""

from __future__ import annotations

import secrets

import psycopg2
import pytest

from dbt_harness import DbtProject, require_ok
from pii_guard.postgres_keyring import install_keyring

TABLES = ["raw_appointments", "raw_customers", "raw_events", "raw_orders"]
# Text PII columns of raw (policies other than keep): none of their values
# may appear anywhere in the copy.
RAW_TEXT_PII = {
    "raw_customers": ["first_name", "last_name", "email", "phone", "street_address", "zip", "ssn"],
    "raw_orders": ["customer_email", "shipping_address"],
    "raw_events": ["ip_address"],
}
# Types that every treatment the integration project uses on them keeps.
KEPT_TYPES = {"integer", "bigint", "date", "numeric", "timestamp without time zone"}
ORDERS_JOINED = ("select count(*) from {schema}.raw_orders o "
                 "join {schema}.raw_customers c on o.customer_id = c.customer_id")


def _create_roles(postgres, database: str) -> None:
    for role in ("prod_dbt", "copy_builder", "developer"):
        postgres.psql(f"do $$ begin create role {role} login; exception when duplicate_object then null; end $$")
    postgres.psql(f"grant create on database {database} to prod_dbt, copy_builder, developer", database=database)
    postgres.psql("grant usage on schema main_raw to prod_dbt, copy_builder;"
                  "grant select on all tables in schema main_raw to prod_dbt, copy_builder", database=database)


@pytest.fixture(scope="module")
def safe_copy_pg(tmp_path_factory, dbt_packages, postgres):
    """Raw seeded by an admin; the copy built and granted by copy_builder; the
    whole project built on it by developer. Returns (postgres, database,
    builder's run-operation output, developer's build output)."""
    database = "safe_copy_" + secrets.token_hex(4)
    postgres.psql(f"create database {database}")
    postgres.psql("create extension pgcrypto", database=database)
    base = {"PII_GUARD_PG_PORT": str(postgres.port), "PII_GUARD_PG_DATABASE": database}
    production_key, development_key = secrets.token_hex(32), secrets.token_hex(32)
    admin = DbtProject(tmp_path_factory.mktemp("copy_admin"), key=production_key, target="postgres", extra_env=base)
    require_ok(admin.dbt("seed"), "dbt seed (admin)")
    _create_roles(postgres, database)
    connection = psycopg2.connect(host="127.0.0.1", port=postgres.port, user="pii_guard", dbname=database)
    try:
        install_keyring(connection, development_key.encode(), ["developer"], schema="pii_guard_keyring_dev")
    finally:
        connection.close()

    # The harness installs the production keyring for copy_builder (as an admin would).
    builder = DbtProject(tmp_path_factory.mktemp("copy_builder"), key=production_key, target="postgres",
                         extra_env={**base, "PII_GUARD_PG_USER": "copy_builder"})
    copied = builder.dbt("run-operation", "pii_guard.build_safe_copy",
                         "--args", "{schema: main_raw_safe, grant_to: [developer]}")
    require_ok(copied, "build_safe_copy (copy_builder)")

    developer = DbtProject(tmp_path_factory.mktemp("developer"), key=development_key, target="dev",
                           extra_env={**base, "PII_GUARD_PG_USER": "developer"})
    built = developer.dbt("build")
    require_ok(built, "dbt build --target dev (developer, on the copy)")
    yield postgres, database, copied.stdout, built.stdout
    postgres.psql(f"drop database {database} with (force)")


def _columns(postgres, database: str, schema: str, table: str) -> list[tuple[str, str]]:
    rows = postgres.psql("select column_name, data_type from information_schema.columns "
                         f"where table_schema = '{schema}' and table_name = '{table}' order by ordinal_position",
                         database=database)
    return [tuple(line.split("|")) for line in rows.splitlines()]


def test_copy_keeps_every_table_column_and_row(safe_copy_pg):
    postgres, database, copied, _ = safe_copy_pg
    for table in TABLES:
        raw, copy = (_columns(postgres, database, schema, table) for schema in ("main_raw", "main_raw_safe"))
        assert [name for name, _ in copy] == [name for name, _ in raw], table
        kept = [(name, kind) for name, kind in raw if kind in KEPT_TYPES]
        assert kept and all(column in copy for column in kept), (table, raw, copy)
        counts = [postgres.psql(f"select count(*) from {schema}.{table}", database=database).strip()
                  for schema in ("main_raw", "main_raw_safe")]
        assert counts[0] == counts[1] != "0", table
        assert f"pii_guard: copied raw.{table} to " in copied


def test_copy_keeps_joins_and_holds_no_raw_value(safe_copy_pg):
    postgres, database, _, _ = safe_copy_pg
    joined = [postgres.psql(ORDERS_JOINED.format(schema=schema), database=database).strip()
              for schema in ("main_raw", "main_raw_safe")]
    assert joined[0] == joined[1] != "0"
    # Pseudonymized ids are new integers, distinct as the raw ids were.
    ids = postgres.psql("select count(distinct customer_id), count(*) filter (where customer_id in "
                        "(select customer_id from main_raw.raw_customers)) from main_raw_safe.raw_customers",
                        database=database).strip()
    raw_ids = postgres.psql("select count(distinct customer_id) from main_raw.raw_customers", database=database).strip()
    assert ids == f"{raw_ids}|0"
    copy_text = postgres.psql(
        "select string_agg(t::text, ' ') from (" + " union all ".join(
            f"select t::text from main_raw_safe.{table} t" for table in TABLES) + ") as t(t)", database=database)
    for table, columns in RAW_TEXT_PII.items():
        for column in columns:
            values = postgres.psql(f"select distinct trim({column}) from main_raw.{table} where trim({column}) <> ''",
                                   database=database).splitlines()
            assert values, (table, column)
            leaked = [value for value in values if value in copy_text]
            assert not leaked, (table, column, len(leaked))


@pytest.mark.parametrize("role, relation", [
    ("developer", "main_raw.raw_customers"),
    ("prod_dbt", "main_raw_safe.raw_customers"),
])
def test_roles_read_only_their_side(safe_copy_pg, role, relation):
    postgres, database, _, _ = safe_copy_pg
    with pytest.raises(RuntimeError, match="permission denied"):
        postgres.psql(f"select * from {relation} limit 1", user=role, database=database)


def test_each_role_reads_its_own_side(safe_copy_pg):
    postgres, database, _, _ = safe_copy_pg
    assert postgres.psql("select count(*) from main_raw_safe.raw_customers", user="developer", database=database).strip() != "0"
    assert postgres.psql("select count(*) from main_raw.raw_customers", user="prod_dbt", database=database).strip() != "0"


def test_developer_cannot_hash_with_the_production_key(safe_copy_pg):
    """Hashing a guessed email with the production key would find its row in the copy."""
    postgres, database, _, _ = safe_copy_pg
    with pytest.raises(RuntimeError, match="permission denied"):
        postgres.psql("select pii_guard_keyring.hmac_sha256_hex('ann.lee@example.com')", user="developer", database=database)
    assert len(postgres.psql("select pii_guard_keyring_dev.hmac_sha256_hex('x')", user="developer",
                             database=database).strip()) == 64


def test_dev_target_built_the_whole_project_on_the_copy(safe_copy_pg):
    postgres, database, _, built = safe_copy_pg
    assert "ERROR=0" in built and "SKIP=0" in built
    # The sanity tests ran on the copy: row counts and keys preserved.
    for test in ("row_count_matches_stg_customers", "keys_preserved_stg_orders_customer_key",
                 "keys_preserved_raw_raw_orders_customer_id"):
        assert test in built, test
    # The developer's models hold the copy's rows, in the developer's schemas.
    assert postgres.psql("select count(*) from dev_staging.stg_customers", database=database).strip() == \
        postgres.psql("select count(*) from main_raw.raw_customers", database=database).strip()
    assert postgres.psql("select count(*) from dev_safe.customer_segments", database=database).strip() != "0"


@pytest.mark.parametrize("engine", ["duckdb", "spark"])
def test_copy_on_duckdb_and_spark(tmp_path, dbt_packages, engine):
    project = DbtProject(tmp_path, key=secrets.token_hex(32), target=engine)
    require_ok(project.dbt("seed"), f"dbt seed ({engine})")
    copied = project.dbt("run-operation", "pii_guard.build_safe_copy", "--args", "{schema: main_raw_safe}")
    require_ok(copied, f"build_safe_copy ({engine})")
    for table in TABLES:
        raw, copy = (project._run(f"select * from {schema}.{table}") for schema in ("main_raw", "main_raw_safe"))
        assert [name.lower() for name in copy[0]] == [name.lower() for name in raw[0]], table
        assert len(copy[1]) == len(raw[1]), table
    joined = [project.query(ORDERS_JOINED.format(schema=schema))[0][0] for schema in ("main_raw", "main_raw_safe")]
    assert joined[0] == joined[1] > 0
    emails = {row[0] for row in project.query("select email from main_raw_safe.raw_customers")}
    assert not emails & {row[0] for row in project.query("select email from main_raw.raw_customers")}
    ids = [row[0] for row in project.query("select customer_id from main_raw_safe.raw_customers")]
    assert all(isinstance(value, int) for value in ids) and len(set(ids)) == len(ids)


def test_nothing_is_copied_when_a_column_is_unclassified(tmp_path, dbt_packages):
    project = DbtProject(tmp_path, key=secrets.token_hex(32))
    require_ok(project.dbt("seed"), "dbt seed")
    project.query  # the DuckDB file exists now
    import duckdb

    with duckdb.connect(str(project.database)) as connection:
        connection.execute("alter table main_raw.raw_events add column referrer varchar")
        connection.execute("alter table main_raw.raw_orders add column coupon_email varchar")
    result = project.dbt("run-operation", "pii_guard.build_safe_copy", "--args", "{schema: main_raw_safe}")
    assert result.returncode != 0
    assert "pii_guard.build_safe_copy: nothing was copied; 2 problem(s): " in result.stdout
    assert "raw.raw_events: referrer is in the relation but not declared in yml" in result.stdout
    assert "raw.raw_orders: coupon_email is in the relation but not declared in yml" in result.stdout
    assert not project.query("select 1 from information_schema.schemata where schema_name = 'main_raw_safe'")


@pytest.mark.parametrize("arguments, message", [
    ("{schema: main_raw}", "raw.raw_customers: the copy would replace the source itself"),
    ("{schema: 'raw safe'}", "schema must be a plain schema name"),
    ("{schema: main_raw_safe, sources: [crm]}", "crm: no source of this project has that name"),
    ("{schema: main_raw_safe, grant_to: [developer]}", "grant_to is for PostgreSQL"),
    ("{schema: main_raw_safe, grant_to: 'developer'}", "grant_to must be a list of plain role names"),
])
def test_bad_arguments_are_one_clear_error(tmp_path, dbt_packages, arguments, message):
    project = DbtProject(tmp_path, key=secrets.token_hex(32))
    require_ok(project.dbt("seed"), "dbt seed")
    result = project.dbt("run-operation", "pii_guard.build_safe_copy", "--args", arguments)
    assert result.returncode != 0
    assert message in result.stdout, result.stdout[-2000:]
    assert "Traceback" not in result.stdout + result.stderr


def test_the_copy_never_writes_where_another_source_lives(tmp_path, dbt_packages):
    import shutil

    from dbt_harness import INTEGRATION, REPO

    directory = tmp_path / "project"
    shutil.copytree(INTEGRATION, directory, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))
    (directory / "packages.yml").write_text(f"packages:\n  - local: {REPO}\n")
    (directory / "package-lock.yml").unlink(missing_ok=True)
    (directory / "models" / "warehouse" / "staging" / "_crm.yml").write_text(
        "version: 2\nsources:\n  - name: crm\n    schema: main_crm\n    tables:\n      - name: raw_orders\n")
    project = DbtProject(tmp_path, key=secrets.token_hex(32), project_dir=directory)
    require_ok(project.dbt("deps"), "dbt deps")
    require_ok(project.dbt("seed"), "dbt seed")
    result = project.dbt("run-operation", "pii_guard.build_safe_copy", "--args", "{schema: main_crm, sources: [raw]}")
    assert result.returncode != 0
    assert "raw.raw_customers: the copy would be written into main_crm, where source crm lives" in result.stdout
    # Two sources whose tables share a name cannot go into one copy schema.
    import duckdb

    with duckdb.connect(str(project.database)) as connection:
        connection.execute("create schema main_crm")
        connection.execute("create table main_crm.raw_orders as select * from main_raw.raw_orders")
    result = project.dbt("run-operation", "pii_guard.build_safe_copy", "--args", "{schema: main_raw_safe}")
    assert result.returncode != 0
    assert "raw.raw_orders: its copy " in result.stdout and "would overwrite the copy of crm.raw_orders" in result.stdout
    assert not project.query("select 1 from information_schema.schemata where schema_name = 'main_raw_safe'")
