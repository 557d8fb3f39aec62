"""`make test`'s two workers: every Spark test on one of them (the Spark build
fixture built once, two driver JVMs never competing), the rest by module (a
module's fixtures built once); and the dbt servers' fork server, warmed by
one parse before it forks any."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import pytest_xdist_make_scheduler
from dbt_harness import INTEGRATION, DbtProject


class XdistOptions:
    """The options pytest-xdist's scheduler reads, as `pytest -n 2` sets them (two local processes)."""

    def __init__(self, dist: str) -> None:
        self.values = {"dist": dist, "tx": ["2*popen"]}

    def getvalue(self, name: str):
        return self.values[name]

    getoption = getvalue


def test_spark_tests_share_one_scope_and_the_rest_go_by_module():
    scheduler = pytest_xdist_make_scheduler(XdistOptions("load"), log=None)
    ids = ["scripts/tests/test_erasure.py::test_erasure_reaches[spark]",
           "scripts/tests/test_spark_key_channel.py::test_spark_configuration_holds_no_key",
           "scripts/tests/test_vectors.py::test_awkward_keys_give_the_shared_pseudonyms_on_Spark",
           "scripts/tests/test_erasure.py::test_erasure_reaches[duckdb]",
           "scripts/tests/test_erasure.py::test_erasure_reaches[postgres]",
           "scripts/tests/test_no_pii_in_safe_models.py::test_finds_exactly_the_leaks_and_nothing_else",
           "scripts/tests/test_no_pii_in_safe_models.py::test_fails_with_one_failure_per_violation"]
    scopes = [scheduler._split_scope(nodeid) for nodeid in ids]
    assert scopes[:3] == ["spark"] * 3
    assert scopes[3:] == ["scripts/tests/test_erasure.py"] * 2 + ["scripts/tests/test_no_pii_in_safe_models.py"] * 2


def test_other_distributions_keep_xdists_own_scheduler():
    assert pytest_xdist_make_scheduler(XdistOptions("loadfile"), log=None) is None


def test_dbt_deps_in_the_checkout_runs_once_per_test_run(tmp_path, dbt_packages):
    """The workers share the checkout's projects: a second `dbt deps` there,
    which would delete dbt_packages/ under the other worker, is not run."""
    first, second = (DbtProject(tmp_path / name, key=None, project_dir=INTEGRATION) for name in ("a", "b"))
    installed = INTEGRATION / "dbt_packages" / "pii_guard"
    before = installed.lstat().st_ino
    for project in (first, second):
        result = project.dbt("deps")
        assert (result.returncode, result.stdout) == (0, "dbt deps: installed earlier in this test run\n")
    assert installed.lstat().st_ino == before and (installed / "dbt_project.yml").is_file()


def test_the_fork_servers_warm_up_parses_and_leaves_one_thread():
    """The dbt servers' fork server parses a throwaway project before it forks
    (fork_server_warm_up.py): the parse succeeds, and the process is left with
    one thread, the only state from which a fork cannot hang."""
    environment = {**os.environ, "PYTHONPATH": str(Path(__file__).parent)}
    result = subprocess.run(
        [sys.executable, "-c", "import sys, fork_server_warm_up; sys.exit(0 if fork_server_warm_up.PARSED else 3)"],
        env=environment, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
