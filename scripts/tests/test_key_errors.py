"""Secure by default: no key, a weak key, no plugin, a key in dbt vars, or a
view read outside dbt each fail with a clear message, never an unkeyed hash
or a NULL."""

from __future__ import annotations

import secrets

import duckdb
import pytest

from pii_guard.duckdb_plugin import HMAC_FUNCTION, hmac_batches, register_hmac_function
from pii_guard.keys import KEY_ENV_VAR

KEYED_MODELS = "test_hash_pii test_surrogate_key test_shift_date test_pseudonymize_int"
# 32 bytes, 16 different byte values: the weakest key pii_guard accepts is
# still this easy to write down in a test.
GOOD_KEY = "0123456789abcdef" * 2


@pytest.mark.parametrize(
    "key, message",
    [
        (None, "DBT_ENV_SECRET_PII_GUARD_KEY is not set"),
        ("", "DBT_ENV_SECRET_PII_GUARD_KEY is empty"),
        ("too-short-key", "DBT_ENV_SECRET_PII_GUARD_KEY is 13 bytes long; it must be at least 32 bytes"),
        ("é" * 15 + "x", "DBT_ENV_SECRET_PII_GUARD_KEY is 31 bytes long"),
        ("k" * 32, "DBT_ENV_SECRET_PII_GUARD_KEY uses only 1 different byte value; a key needs at least 8"),
        # The byte 0xff: os.environ holds it as a surrogate escape.
        ("\udcff" + GOOD_KEY, "DBT_ENV_SECRET_PII_GUARD_KEY is not valid UTF-8 text"),
    ],
    ids=["missing", "empty", "short", "short-in-bytes", "one-byte-value", "not-utf8"],
)
def test_keyed_models_fail_without_a_good_key(scratch_project, key, message):
    project = scratch_project(key)
    result = project.dbt("run", "--select", *KEYED_MODELS.split())
    assert result.returncode == 1
    assert result.stdout.count(message) >= 4, result.stdout[-4000:]
    assert "ERROR=4" in result.stdout


def test_keyed_models_fail_without_the_plugin(scratch_project):
    project = scratch_project(GOOD_KEY, target="duckdb_without_plugin")
    result = project.dbt("run", "--select", "test_hash_pii")
    assert result.returncode == 1
    assert result.stdout.count("this DuckDB session has no HMAC function. Enable the pii_guard plugin") == 1


def test_pseudonymize_int_fails_without_the_plugin(scratch_project):
    project = scratch_project(GOOD_KEY, target="duckdb_without_plugin")
    result = project.dbt("run", "--select", "test_pseudonymize_int")
    assert result.returncode == 1
    assert result.stdout.count("this DuckDB session has no pii_guard_pseudonymize_int function. Enable the "
                               "pii_guard plugin") == 1


def test_a_32_byte_key_is_accepted(scratch_project):
    result = scratch_project(GOOD_KEY).dbt("run", "--select", "test_hash_pii")
    assert result.returncode == 0, result.stdout[-4000:]


def test_key_that_is_not_utf8_is_one_line_never_a_traceback(scratch_project):
    """It used to crash every dbt command, `dbt seed` included, with a Python
    traceback from the plugin's start-up. Now seeds load (they need no key) and
    each keyed model fails with the one-line reason."""
    project = scratch_project("\udcff" + GOOD_KEY)
    seed = project.dbt("seed")
    assert seed.returncode == 0, seed.stdout[-4000:] + seed.stderr[-4000:]
    run = project.dbt("run", "--select", "test_hash_pii")
    assert run.returncode == 1
    assert "DBT_ENV_SECRET_PII_GUARD_KEY is not valid UTF-8 text. Set it to a key generated with `pii-guard keygen`" in run.stdout
    assert "Traceback" not in seed.stdout + seed.stderr + run.stdout + run.stderr


def test_key_in_dbt_vars_is_refused(scratch_project):
    result = scratch_project(GOOD_KEY).dbt(
        "compile", "--select", "test_hash_pii", "--vars", "{pii_salt: s3cr3t}"
    )
    assert result.returncode != 0
    assert "found the dbt var 'pii_salt'" in result.stdout
    assert "put the key in the environment variable DBT_ENV_SECRET_PII_GUARD_KEY" in result.stdout


def test_view_read_outside_dbt_fails_instead_of_returning_null(tmp_path):
    """A DuckDB view that hashes keeps calling the plugin's function: read from
    a session without the plugin (a BI tool), it fails instead of handing back
    NULL or unkeyed pseudonyms."""
    warehouse = str(tmp_path / "warehouse.duckdb")
    with duckdb.connect(warehouse) as connection:
        register_hmac_function(connection, hmac_batches({KEY_ENV_VAR: secrets.token_hex(32)}))
        connection.execute("create table customers as select 'ann.lee@example.com' as email union all select null")
        connection.execute(f"create view hashed as select {HMAC_FUNCTION}(email) as email_hash from customers")
        assert len(connection.execute("select * from hashed").fetchall()) == 2
    with duckdb.connect(warehouse) as connection:
        with pytest.raises(duckdb.Error, match=f"{HMAC_FUNCTION} does not exist"):
            connection.execute("select * from hashed").fetchall()
        # Not even a NULL input slips through as NULL.
        with pytest.raises(duckdb.Error, match=f"{HMAC_FUNCTION} does not exist"):
            connection.execute("select * from hashed where email_hash is null").fetchall()


@pytest.mark.parametrize("key", [None, "too-short-key", "k" * 40], ids=["missing", "short", "one-byte-value"])
def test_spark_keyed_models_fail_without_a_good_key(scratch_project, key):
    """An unset variable leaves ${env:DBT_ENV_SECRET_PII_GUARD_KEY} unsubstituted
    (36 characters: longer than 32); the SQL check catches that, a short key
    and a key of fewer than 8 byte values, and raises instead of hashing."""
    project = scratch_project(key, target="spark")
    result = project.dbt("run", "--select", *KEYED_MODELS.split())
    assert result.returncode == 1
    fragment = ("DBT_ENV_SECRET_PII_GUARD_KEY is missing from the environment of the Spark driver, shorter than "
                "32 bytes, uses fewer than 8 different byte values or is not UTF-8 text")
    assert result.stdout.count(fragment) >= 4, result.stdout[-4000:]
    assert "ERROR=4" in result.stdout
    assert key is None or key not in result.stdout + result.stderr


def test_spark_refuses_keyed_macros_in_a_view(scratch_project):
    """Spark keeps a view's SQL text, with ${env:DBT_ENV_SECRET_PII_GUARD_KEY}
    substituted, in its metastore: a view that hashes would store the key."""
    project = scratch_project(GOOD_KEY, target="spark")
    result = project.dbt("compile", "--select", "spark_keyed_view", "--vars", "{pii_guard_test_keyed_view: true}")
    assert result.returncode != 0
    assert "pii_guard.hash_pii: on Spark a model that uses keyed macros cannot be a view" in result.stdout
    assert "Materialize spark_keyed_view as a table" in result.stdout
