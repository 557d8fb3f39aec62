"""Secure by default: no key, a weak key, no plugin, a key in dbt vars, or a
view read outside dbt each fail with a clear message, never an unkeyed hash
or a NULL."""

from __future__ import annotations

import duckdb
import pytest

KEYED_MODELS = "test_hash_pii test_surrogate_key test_shift_date"


@pytest.mark.parametrize(
    "key, message",
    [
        (None, "DBT_ENV_SECRET_PII_GUARD_KEY is not set"),
        ("", "DBT_ENV_SECRET_PII_GUARD_KEY is empty"),
        ("too-short-key", "DBT_ENV_SECRET_PII_GUARD_KEY is 13 bytes long; it must be at least 32 bytes"),
        ("é" * 15 + "x", "DBT_ENV_SECRET_PII_GUARD_KEY is 31 bytes long"),
    ],
    ids=["missing", "empty", "short", "short-in-bytes"],
)
def test_keyed_models_fail_without_a_good_key(scratch_project, key, message):
    project = scratch_project(key)
    result = project.dbt("run", "--select", *KEYED_MODELS.split())
    assert result.returncode == 1
    assert result.stdout.count(message) >= 3, result.stdout[-4000:]
    assert "ERROR=3" in result.stdout


def test_keyed_models_fail_without_the_plugin(scratch_project):
    project = scratch_project("k" * 32, target="duckdb_without_plugin")
    result = project.dbt("run", "--select", "test_hash_pii")
    assert result.returncode == 1
    assert "this DuckDB session has no HMAC key. Enable the pii_guard plugin" in result.stdout


def test_a_32_byte_key_is_accepted(scratch_project):
    result = scratch_project("k" * 32).dbt("run", "--select", "test_hash_pii")
    assert result.returncode == 0, result.stdout[-4000:]


def test_key_in_dbt_vars_is_refused(scratch_project):
    result = scratch_project("k" * 32).dbt(
        "compile", "--select", "test_hash_pii", "--vars", "{pii_salt: s3cr3t}"
    )
    assert result.returncode != 0
    assert "found the dbt var 'pii_salt'" in result.stdout
    assert "put the key in the environment variable DBT_ENV_SECRET_PII_GUARD_KEY" in result.stdout


def test_view_read_outside_dbt_fails_instead_of_returning_null(built_project):
    """A DuckDB view keeps calling getvariable(); in a session without the
    plugin it must raise, not hand back NULL pseudonyms."""
    project, _ = built_project
    compiled = next(project.target_path.rglob("compiled/**/test_hash_pii.sql")).read_text()
    with duckdb.connect() as connection:
        connection.execute(f"create view hashed as {compiled}")
        with pytest.raises(duckdb.Error, match="this DuckDB session has no HMAC key"):
            connection.execute("select hashed from hashed").fetchall()
        # Even a NULL input does not slip through as NULL.
        with pytest.raises(duckdb.Error, match="no HMAC key"):
            connection.execute("select hashed from hashed where value is null").fetchall()


@pytest.mark.parametrize("key, fragment", [
    (None, "the session setting pii_guard.key is missing or shorter than 32 bytes"),
    ("too-short-key", "the session setting pii_guard.key is missing or shorter than 32 bytes"),
], ids=["missing", "short"])
def test_postgres_keyed_models_fail_without_a_good_key(tmp_path, dbt_packages, postgres, key, fragment):
    from dbt_harness import DbtProject

    project = DbtProject(tmp_path, key=key, target="postgres", extra_env={"PII_GUARD_PG_PORT": str(postgres.port)})
    result = project.dbt("run", "--select", *KEYED_MODELS.split())
    assert result.returncode == 1
    assert result.stdout.count(fragment) >= 3, result.stdout[-4000:]
    # The error never echoes the key itself.
    assert key is None or f'"{key}' not in result.stdout


@pytest.mark.parametrize("key", [None, "too-short-key"], ids=["missing", "short"])
def test_spark_keyed_models_fail_without_a_good_key(scratch_project, key):
    """An unset spark.pii_guard.key substitutes as '': the length check raises
    instead of hashing with an empty or short key."""
    project = scratch_project(key, target="spark")
    result = project.dbt("run", "--select", *KEYED_MODELS.split())
    assert result.returncode == 1
    fragment = "the Spark configuration spark.pii_guard.key is missing or shorter than 32 bytes"
    assert result.stdout.count(fragment) >= 3, result.stdout[-4000:]
    assert "ERROR=3" in result.stdout
    assert key is None or key not in result.stdout + result.stderr


def test_spark_refuses_keyed_macros_in_a_view(scratch_project):
    """Spark keeps a view's SQL text, with ${spark.pii_guard.key} substituted, in
    its metastore: a view that hashes would store the key."""
    project = scratch_project("k" * 32, target="spark")
    result = project.dbt("compile", "--select", "spark_keyed_view", "--vars", "{pii_guard_test_keyed_view: true}")
    assert result.returncode != 0
    assert "pii_guard.hash_pii: on Spark a model that uses keyed macros cannot be a view" in result.stdout
    assert "Materialize spark_keyed_view as a table" in result.stdout
