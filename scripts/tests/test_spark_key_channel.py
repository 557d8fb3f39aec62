"""On Spark the key reaches the driver JVM through its environment (Spark
substitutes ${env:DBT_ENV_SECRET_PII_GUARD_KEY}), never through a command
line (`--conf` arguments, readable by any local user in `ps` and
/proc/<pid>/cmdline) or the Spark configuration (SET, the conf dump).

/proc/<pid>/environ is readable only by the same user (and root), so it is
not checked for absence: it is where the key is meant to be."""

from __future__ import annotations

import secrets

import pytest
from dbt_harness import KEY_ENV_VAR, DbtProject, require_ok
from process_sampler import CommandLineSampler
from test_integration import key_forms


def test_no_command_line_holds_the_key_while_spark_builds(built_project_spark, spark_build_processes):
    project, _console = built_project_spark
    sampler = spark_build_processes
    assert sampler.rounds >= 10, "the sampler must have watched the build"
    drivers = [p for p in sampler.processes if p.is_spark_driver]
    # The check can fail: the Spark driver JVM was seen, with the build's settings on its command line.
    assert drivers, "no Spark driver JVM (java ... org.apache.spark.deploy.SparkSubmit) was seen"
    assert any(str(project.spark_dir).encode() in b" ".join(p.argv) for p in drivers)
    assert any(b"dbt" in b" ".join(p.argv) and b"build" in p.argv for p in sampler.processes)
    assert sampler.leaks(key_forms(project.key)) == []
    assert not any(b"pii_guard.key" in b" ".join(p.argv) for p in sampler.processes)
    # Where the key does go: the driver's environment, inherited from dbt's.
    assert any(KEY_ENV_VAR.encode() in p.environ_names for p in drivers)


def test_spark_configuration_holds_no_key(tmp_path, dbt_packages):
    """SET and SET -v in a session of the integration project's profile, with
    the key in the environment: the whole configuration Spark would show or log.
    (A directory of its own: run-operation rewrites target/run_results.json.)"""
    project = DbtProject(tmp_path, key=secrets.token_hex(32), target="spark")
    with CommandLineSampler() as sampler:
        result = project.dbt("run-operation", "dump_spark_conf")
    require_ok(result, "dbt run-operation dump_spark_conf")
    dump = [line.split("spark conf: ", 1)[1] for line in result.stdout.splitlines() if "spark conf: " in line]
    names = {line.split(" = ", 1)[0] for line in dump}
    # A real dump: Spark's own settings and the profile's server_side_parameters.
    assert {"spark.master", "spark.app.name", "spark.sql.warehouse.dir", "spark.sql.shuffle.partitions"} <= names
    assert len(dump) > 100
    assert not any("pii_guard" in name for name in names)
    text = "\n".join(dump).encode()
    assert [form for form, needle in key_forms(project.key).items() if needle in text] == []
    assert any(p.is_spark_driver for p in sampler.processes)
    assert sampler.leaks(key_forms(project.key)) == []


@pytest.mark.parametrize("key, reason", [
    ("it's-a-key-0123456789abcdef-0123456789", "contains a single quote"),
    ("a-${spark.app.name}-key-0123456789abcdef", "contains '${', which Spark's variable substitution would expand"),
    # The byte 0xff (a surrogate escape in os.environ): the JVM decodes it as U+FFFD.
    ("\udcff" + "0123456789abcdef" * 2, "is not UTF-8 text the Spark driver can decode"),
], ids=["quote", "reference", "not-utf8"])
def test_spark_refuses_a_key_it_cannot_substitute_without_showing_it(scratch_project, key, reason):
    """A quote would end the SQL literal (and Spark's parse error prints the
    statement, key included); `${` would be expanded inside the key. Both are
    refused before any keyed SQL reaches Spark."""
    project = scratch_project(key, target="spark")
    result = project.dbt("run", "--select", "test_hash_pii")
    assert result.returncode == 1
    assert f"pii_guard.hash_pii: on Spark DBT_ENV_SECRET_PII_GUARD_KEY {reason}" in result.stdout, result.stdout[-4000:]
    logs = "".join(p.read_text(errors="replace") for p in project.log_path.rglob("*.log"))
    assert key not in result.stdout + result.stderr + logs
    assert "*****" not in result.stdout + logs  # nothing for dbt's secret scrubbing to hide
    assert "PARSE_SYNTAX_ERROR" not in result.stdout + logs
