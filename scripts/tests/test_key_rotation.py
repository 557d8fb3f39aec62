"""Key identity: a changed key is never mixed in silently.

The package's run hooks record each keyed relation's key fingerprint after a
build and, before an incremental model appends or a snapshot merges, compare
it with the current key's. Python's hmac is the reference for every
fingerprint and pseudonym; the SQL (pii_guard.key_fingerprint) and the CLI
(`pii-guard keyid`) must both agree with it."""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from dbt_harness import DbtProject, require_ok

KEY_ENV_VAR = "DBT_ENV_SECRET_PII_GUARD_KEY"
SCHEMA = "main_key_identity"
REGISTRY = "main.pii_guard_key_registry"
PII_GUARD = str(Path(sys.executable).parent / "pii-guard")
SELECT = ("--select", "key_identity")
INCREMENTALS = ("contact_log", "contact_log_from_upstream")


def reference_fingerprint(key: str) -> str:
    """The definition in the README, written out independently."""
    return hmac.new(key.encode(), b"pii_guard.key_fingerprint.v1", hashlib.sha256).hexdigest()[:16]


def reference_email_hash(key: str, email: str) -> str:
    normalized = email.strip(" ").lower()
    return hmac.new(key.encode(), normalized.encode(), hashlib.sha256).hexdigest()


def test_keyid_prints_the_fingerprint_of_the_environment_key():
    key = secrets.token_hex(32)
    env = {k: v for k, v in os.environ.items() if k != KEY_ENV_VAR}
    result = subprocess.run([PII_GUARD, "keyid"], env={**env, KEY_ENV_VAR: key}, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout == reference_fingerprint(key) + "\n"
    assert key not in result.stdout
    other = subprocess.run([PII_GUARD, "keyid"], env={**env, KEY_ENV_VAR: secrets.token_hex(32)},
                           capture_output=True, text=True)
    assert other.stdout != result.stdout


def test_keyid_without_a_key_is_one_line_with_what_to_do():
    env = {k: v for k, v in os.environ.items() if k != KEY_ENV_VAR}
    result = subprocess.run([PII_GUARD, "keyid"], env=env, capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("error: pii_guard: DBT_ENV_SECRET_PII_GUARD_KEY is not set.")
    assert "pii-guard keygen" in result.stderr and "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1


@pytest.fixture
def rotation_project(request, tmp_path, dbt_packages):
    """A factory for the integration project on one engine (the test's
    parameter) in one scratch warehouse, with the given key. On PostgreSQL a
    database of its own, since keys change."""
    engine = request.param
    extra_env = request.getfixturevalue("postgres_database")("key_rotation") if engine == "postgres" else {}

    def make(key: str) -> DbtProject:
        return DbtProject(tmp_path, key=key, target=engine, extra_env=extra_env)

    return make


def execute(project: DbtProject, sql: str) -> None:
    """A statement outside dbt, as a user fixing the warehouse by hand would run it."""
    if project.target == "postgres":
        import psycopg2

        connection = psycopg2.connect(host="127.0.0.1", port=int(project.extra_env["PII_GUARD_PG_PORT"]),
                                      user="pii_guard", dbname=project.extra_env["PII_GUARD_PG_DATABASE"])
        connection.autocommit = True
        try:
            connection.cursor().execute(sql)
        finally:
            connection.close()
    else:
        with duckdb.connect(str(project.database)) as connection:
            connection.execute(sql)


def hashes(project: DbtProject, relation: str) -> list[str]:
    return [row[0] for row in project.query(f"select email_hash from {SCHEMA}.{relation}")]


def latest_fingerprints(project: DbtProject) -> dict[str, str]:
    latest = {}
    for relation, fingerprint in project.query(f"select relation, fingerprint from {REGISTRY} order by recorded_at"):
        latest[relation.replace('"', "").split(".")[-1]] = fingerprint
    return latest


ENGINES = ["duckdb", "postgres", "spark"]


@pytest.mark.parametrize("rotation_project", ENGINES, indirect=True)
def test_a_changed_key_stops_appends_until_rebuilt(rotation_project):
    key_a, key_b = secrets.token_hex(32), secrets.token_hex(32)
    old = rotation_project(key_a)
    engine = old.target
    # Spark: dbt-spark snapshots need Delta, Hudi or Iceberg (docs/engines-and-keys.md, Key rotation).
    keyed = INCREMENTALS + (() if engine == "spark" else ("contact_snapshot",))
    # Every keyed relation that stores rows is recorded: on Spark the keyed upstream is a table, elsewhere a view.
    recorded = keyed + (("contact_pseudonyms",) if engine == "spark" else ())
    require_ok(old.dbt("seed"), "dbt seed")
    require_ok(old.dbt("build", *SELECT), "dbt build under key A")
    emails = [row[0] for row in old.query("select email from main_raw.raw_customers")]
    customers = len(emails)
    expected_a = {reference_email_hash(key_a, e) for e in emails}
    expected_b = {reference_email_hash(key_b, e) for e in emails}

    # The fingerprint the warehouse computed (pii_guard.key_fingerprint) is Python's.
    assert latest_fingerprints(old) == {name: reference_fingerprint(key_a) for name in recorded}
    # The incremental models append on every run: a second run under key A adds a second copy.
    require_ok(old.dbt("build", *SELECT), "dbt build under key A, again")
    for name in INCREMENTALS:
        assert set(hashes(old, name)) == expected_a and len(hashes(old, name)) == 2 * customers, name

    # Key B, no full refresh: the run stops before anything is appended.
    new = rotation_project(key_b)
    outputs = {}
    # The whole selection, and one model alone with four threads: neither gets through.
    for command in (("build", *SELECT), ("run", "--select", "contact_log", "--threads", "4")):
        result = new.dbt(*command)
        output = outputs[command[0]] = result.stdout + result.stderr
        assert result.returncode != 0, output[-4000:]
        assert "Traceback" not in output
        assert "pii_guard: the key changed since these relations were built" in output, output[-4000:]
        assert re.search(rf"model contact_log \([^)\n]*\bcontact_log\W*\): built under key "
                         rf"{reference_fingerprint(key_a)}, the current key is {reference_fingerprint(key_b)}\n",
                         output), output[-4000:]
        assert "Nothing has been run." in output
        for name in INCREMENTALS:
            assert set(hashes(old, name)) == expected_a and len(hashes(old, name)) == 2 * customers, name
    assert "dbt build --full-refresh -s contact_log contact_log_from_upstream." in outputs["build"]
    assert "dbt build --full-refresh -s contact_log." in outputs["run"]
    if "contact_snapshot" in keyed:
        assert "snapshot contact_snapshot (" in outputs["build"]
        assert "dbt snapshot -s contact_snapshot" in outputs["build"]
        assert set(hashes(old, "contact_snapshot")) == expected_a and len(hashes(old, "contact_snapshot")) == customers

    # The fix for incremental models: a full refresh under key B.
    require_ok(new.dbt("build", "--full-refresh", "--select", "contact_pseudonyms", *INCREMENTALS),
               "dbt build --full-refresh under key B")
    for name in INCREMENTALS:
        assert set(hashes(new, name)) == expected_b and len(hashes(new, name)) == customers, name
        assert latest_fingerprints(new)[name] == reference_fingerprint(key_b)

    if "contact_snapshot" in keyed:
        # A snapshot is never rebuilt: --full-refresh leaves it alone, so the run still stops.
        result = new.dbt("build", "--full-refresh", *SELECT)
        assert result.returncode != 0 and "snapshot contact_snapshot" in result.stdout, result.stdout[-4000:]
        assert "A snapshot cannot be rebuilt" in result.stdout
        assert set(hashes(new, "contact_snapshot")) == expected_a
        # The documented procedure: archive it (rename), and start a new history under key B.
        archive = f"contact_snapshot_key_{reference_fingerprint(key_a)}"
        execute(new, f"alter table {SCHEMA}.contact_snapshot rename to {archive}")
        require_ok(new.dbt("snapshot", "--select", "contact_snapshot"), "dbt snapshot under key B")
        assert set(hashes(new, "contact_snapshot")) == expected_b
        assert len(hashes(new, "contact_snapshot")) == customers
        assert set(hashes(new, archive)) == expected_a

    # Rotated: ordinary builds under key B append again, all under key B.
    require_ok(new.dbt("build", *SELECT), "dbt build under key B")
    for name in INCREMENTALS:
        assert set(hashes(new, name)) == expected_b and len(hashes(new, name)) == 2 * customers, name
    assert latest_fingerprints(new) == {name: reference_fingerprint(key_b) for name in recorded}


def test_a_relation_without_a_recorded_fingerprint_is_adopted_with_a_warning(scratch_project):
    """Relations built before pii_guard recorded fingerprints: the run goes on
    with a warning and records the current key; --warn-error makes it fail."""
    key = secrets.token_hex(32)
    project = scratch_project(key)
    require_ok(project.dbt("seed"), "dbt seed")
    require_ok(project.dbt("build", *SELECT), "dbt build")
    execute(project, f"drop table {REGISTRY}")

    strict = project.dbt("--warn-error", "run", "--select", "contact_log")
    assert strict.returncode != 0
    assert "no key fingerprint is recorded for contact_log" in strict.stdout, strict.stdout[-4000:]
    assert len(hashes(project, "contact_log")) == 8

    result = project.dbt("run", "--select", "contact_log")
    require_ok(result, "dbt run with an unrecorded relation")
    assert "no key fingerprint is recorded for contact_log" in result.stdout
    assert len(hashes(project, "contact_log")) == 16
    assert latest_fingerprints(project) == {"contact_log": reference_fingerprint(key)}
    # Recorded now: the next run says nothing.
    again = project.dbt("run", "--select", "contact_log")
    require_ok(again, "dbt run")
    assert "no key fingerprint is recorded" not in again.stdout


def test_runs_without_keyed_relations_never_touch_the_key(scratch_project):
    """The hooks run in every project that installs pii_guard: a run that builds
    nothing keyed computes no fingerprint and creates no registry, so it needs
    no key at all."""
    project = scratch_project(None)
    require_ok(project.dbt("seed"), "dbt seed without a key")
    require_ok(project.dbt("run", "--select", "test_mask_email"), "dbt run of an unkeyed model without a key")
    tables = {name for (name,) in project.query("select table_name from information_schema.tables")}
    assert "pii_guard_key_registry" not in tables


def test_dbt_retry_under_a_new_key_is_stopped_too(scratch_project, tmp_path):
    """`dbt retry` gives the hook no selection: every relation is checked."""
    key_a = secrets.token_hex(32)
    old = scratch_project(key_a)
    require_ok(old.dbt("seed"), "dbt seed")
    require_ok(old.dbt("build", *SELECT), "dbt build under key A")
    execute(old, "alter table main_raw.raw_customers rename to raw_customers_away")
    assert old.dbt("run", "--select", "contact_log").returncode == 1  # a failure to retry
    execute(old, "alter table main_raw.raw_customers_away rename to raw_customers")
    result = DbtProject(tmp_path, key=secrets.token_hex(32)).dbt("retry")
    assert result.returncode != 0
    assert "pii_guard: the key changed since these relations were built" in result.stdout, result.stdout[-4000:]
    assert len(hashes(old, "contact_log")) == 8
