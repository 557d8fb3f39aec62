"""PostgreSQL: the key is never in dbt's session, so an object dbt reads cannot
steal it.

A hostile view over a function owned by the role that loads a source runs in
dbt's session, as dbt's role. With the key in a session setting (the channel
before the keyring) it reads it; with the keyring it gets nothing, while dbt's
hashes still match Python's hmac. Keys with backslashes, spaces and trailing
whitespace install byte for byte."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import subprocess
import sys
from pathlib import Path

import psycopg2
import pytest

from dbt_harness import KEY_ENV_VAR, REPO, DbtProject, require_ok
from pii_guard.postgres_keyring import install_keyring
from test_integration import key_forms

HOSTILE_SOURCE = """
create role ingest login;
create role transformer login;
grant create, temporary on database {database} to transformer;
create schema raw_crm authorization ingest;
grant usage on schema raw_crm to transformer;
set role ingest;
create table raw_crm.loot (captured text);
grant insert on raw_crm.loot to public;
create table raw_crm.customers_table (id integer, email text);
insert into raw_crm.customers_table values (1, 'ann.lee@example.com'), (2, 'bob@example.com');
-- Runs as whoever reads the view: everything dbt's role can see.
create function raw_crm.steal() returns boolean language plpgsql volatile as $$
begin
  begin
    insert into raw_crm.loot values (current_setting('pii_guard.key', true));
  exception when others then insert into raw_crm.loot values ('refused: ' || sqlerrm);
  end;
  begin
    insert into raw_crm.loot select reset_val from pg_settings where name = 'pii_guard.key';
  exception when others then insert into raw_crm.loot values ('refused: ' || sqlerrm);
  end;
  begin
    insert into raw_crm.loot select encode(key, 'escape') from pii_guard_keyring.hmac_key;
  exception when others then insert into raw_crm.loot values ('refused: ' || sqlerrm);
  end;
  -- The one thing it can do: have chosen values hashed (an oracle).
  begin
    insert into raw_crm.loot values ('oracle: ' || pii_guard_keyring.hmac_sha256_hex('guess@example.com'));
  exception when others then insert into raw_crm.loot values ('refused: ' || sqlerrm);
  end;
  return true;
end $$;
create view raw_crm.customers as select * from raw_crm.customers_table where raw_crm.steal();
grant select on raw_crm.customers to transformer;
reset role;
"""


def reference_hmac(key: str, text: str) -> str:
    return hmac.new(key.encode(), text.encode(), hashlib.sha256).hexdigest()


@pytest.fixture
def hostile_database(postgres):
    """A fresh database whose source `raw_crm.customers` is a hostile view."""
    database = "hostile_" + secrets.token_hex(4)
    postgres.psql(f"create database {database}")
    postgres.psql("create extension pgcrypto", database=database)
    postgres.psql(HOSTILE_SOURCE.format(database=database), database=database)
    yield database
    postgres.psql(f"drop database {database} with (force)")
    postgres.psql("drop role if exists ingest")
    postgres.psql("drop role if exists transformer")


def loot(postgres, database: str) -> list[str]:
    return [line for line in postgres.psql("select coalesce(captured, '<null>') from raw_crm.loot",
                                           database=database).splitlines()]


def test_a_hostile_view_steals_a_key_held_in_the_session(postgres, hostile_database):
    """The threat is real: the trap catches a key passed the old way (PGOPTIONS)."""
    key = secrets.token_hex(32)
    connection = psycopg2.connect(host="127.0.0.1", port=postgres.port, user="transformer",
                                  dbname=hostile_database, options=f"-c pii_guard.key={key}")
    with connection, connection.cursor() as cursor:
        cursor.execute("select * from raw_crm.customers")
    connection.close()
    assert key in loot(postgres, hostile_database)


def hostile_source_project(directory: Path) -> Path:
    """A one-model dbt project whose staging model hashes the hostile source."""
    (directory / "models").mkdir(parents=True)
    (directory / "dbt_project.yml").write_text(
        "name: hostile_source\nversion: '1.0'\nconfig-version: 2\nprofile: pii_guard_integration_tests\n")
    (directory / "packages.yml").write_text(f"packages:\n  - local: {REPO}\n")
    (directory / "models" / "stg_customers.sql").write_text(
        "{{ config(materialized='table') }}\n"
        "select id, {{ pii_guard.hash_pii('email') }} as email_hash from raw_crm.customers")
    return directory


def test_a_hostile_view_gets_nothing_from_the_keyring(tmp_path, postgres, hostile_database):
    key = secrets.token_hex(32)
    project = DbtProject(tmp_path / "run", key=key, target="postgres",
                         project_dir=hostile_source_project(tmp_path / "project"), extra_env={
                             "PII_GUARD_PG_PORT": str(postgres.port), "PII_GUARD_PG_DATABASE": hostile_database,
                             "PII_GUARD_PG_USER": "transformer"})
    require_ok(project.dbt("deps"), "dbt deps")
    postgres.psql("alter system set log_statement = 'all'")
    postgres.psql("select pg_reload_conf()")
    try:
        result = project.dbt("run")
    finally:
        postgres.psql("alter system reset log_statement")
        postgres.psql("select pg_reload_conf()")
    require_ok(result, "dbt run as transformer")
    # dbt's session hashed with the key it cannot read.
    hashed = postgres.psql("select email_hash from main.stg_customers order by id", database=hostile_database)
    assert hashed.split() == [reference_hmac(key, "ann.lee@example.com"), reference_hmac(key, "bob@example.com")]
    captured = loot(postgres, hostile_database)
    assert captured, "the hostile view never ran"
    forms = key_forms(key)
    assert not [line for line in captured if any(form.decode("latin-1") in line for form in forms.values())]
    assert "refused: permission denied for schema pii_guard_keyring" not in captured  # usage is granted...
    assert "refused: permission denied for table hmac_key" in captured  # ...the key is not
    assert "<null>" in captured  # no session setting to read
    # What it can still do, and the README says so: hash values of its choosing.
    assert f"oracle: {reference_hmac(key, 'guess@example.com')}" in captured
    # Installed as COPY data, the key is not in the statement log either.
    server_log = (postgres.directory / "server.log").read_bytes()
    assert b"raw_crm.customers" in server_log  # the log really records statements
    assert not [name for name, form in forms.items() if form in server_log]


@pytest.mark.parametrize("key", [
    "k" * 31 + "\\ \n ",  # backslash, space, trailing newline and space
    " leading space, 'quote', }brace{ and é" * 2,
    "\\" * 40,
], ids=["trailing-whitespace", "quotes-braces-unicode", "backslashes"])
def test_keys_install_byte_for_byte(postgres, key):
    connection = psycopg2.connect(host="127.0.0.1", port=postgres.port, user="pii_guard", dbname="pii_guard")
    try:
        install_keyring(connection, key.encode(), ["pii_guard"])
        with connection.cursor() as cursor:
            cursor.execute("select pii_guard_keyring.hmac_sha256_hex('ann.lee@example.com'), "
                           "pii_guard_keyring.hmac_sha256_hex(null)")
            assert cursor.fetchone() == (reference_hmac(key, "ann.lee@example.com"), None)
    finally:
        connection.close()


def run_keyring_command(postgres, key: str | None, *arguments: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "PGHOST": "127.0.0.1", "PGPORT": str(postgres.port), "PGUSER": "pii_guard",
           "PGDATABASE": "pii_guard"}
    if key is not None:
        env[KEY_ENV_VAR] = key
    return subprocess.run([sys.executable, "-m", "pii_guard.cli", "postgres-keyring", *arguments],
                          capture_output=True, text=True, env=env)


@pytest.mark.parametrize("key, arguments, message", [
    (None, ["--grant", "pii_guard"], "DBT_ENV_SECRET_PII_GUARD_KEY is not set"),
    ("too-short-key", ["--grant", "pii_guard"], "is 13 bytes long; it must be at least 32 bytes"),
    ("k" * 16 + "0123456789abcdef", ["--grant", "nobody_here"], "the role 'nobody_here' does not exist"),
    ("k" * 16 + "0123456789abcdef", ["--grant", "pii_guard", "--dsn", "port=1"], "cannot connect to PostgreSQL"),
], ids=["missing-key", "short-key", "unknown-role", "no-server"])
def test_the_keyring_command_fails_with_one_clear_line(postgres, key, arguments, message):
    result = run_keyring_command(postgres, key, *arguments)
    assert result.returncode == 2
    assert message in result.stderr and result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert key is None or key not in result.stderr


def test_the_keyring_command_installs_the_key(postgres):
    key = secrets.token_hex(32)
    result = run_keyring_command(postgres, key, "--grant", "pii_guard")
    assert result.returncode == 0, result.stderr
    assert ("pii_guard_keyring.hmac_sha256_hex(text) and pii_guard_keyring.pseudonymize_int(bigint,bigint,bigint) "
            "may be executed by: pii_guard") in result.stdout
    assert postgres.psql("select pii_guard_keyring.hmac_sha256_hex('x')").strip() == reference_hmac(key, "x")


def test_a_database_without_the_keyring_stops_the_run_with_what_to_do(tmp_path, dbt_packages, postgres):
    database = "no_keyring_" + secrets.token_hex(4)
    postgres.psql(f"create database {database}")
    try:
        project = DbtProject(tmp_path, key=None, target="postgres", extra_env={
            "PII_GUARD_PG_PORT": str(postgres.port), "PII_GUARD_PG_DATABASE": database})
        result = project.dbt("run", "--select", "test_hash_pii", "test_surrogate_key", "test_shift_date",
                             "test_pseudonymize_int")
        assert result.returncode == 1
        message = "cannot execute pii_guard_keyring.hmac_sha256_hex(text). Install the key in this database"
        assert result.stdout.count(message) == 3, result.stdout[-4000:]
        message = ("cannot execute pii_guard_keyring.pseudonymize_int(bigint,bigint,bigint). Install the key in "
                   "this database")
        assert result.stdout.count(message) == 1, result.stdout[-4000:]
        assert "pii-guard postgres-keyring --grant pii_guard" in result.stdout
    finally:
        postgres.psql(f"drop database {database} with (force)")


def test_an_emptied_keyring_raises_instead_of_hashing_to_null(postgres):
    database = "emptied_" + secrets.token_hex(4)
    postgres.psql(f"create database {database}")
    try:
        postgres.psql("create extension pgcrypto", database=database)
        connection = psycopg2.connect(host="127.0.0.1", port=postgres.port, user="pii_guard", dbname=database)
        install_keyring(connection, secrets.token_hex(32).encode(), ["pii_guard"])
        connection.close()
        postgres.psql("truncate pii_guard_keyring.hmac_key", database=database)
        with pytest.raises(RuntimeError, match="the keyring holds no HMAC key"):
            postgres.psql("select pii_guard_keyring.hmac_sha256_hex('x')", database=database)
        with pytest.raises(RuntimeError, match="the keyring holds no HMAC key"):
            postgres.psql("select pii_guard_keyring.pseudonymize_int(3, 0, 10)", database=database)
    finally:
        postgres.psql(f"drop database {database} with (force)")
