"""`make test`'s two workers: every Spark test on one of them (the Spark build
fixture built once, two driver JVMs never competing), the rest balanced."""

from __future__ import annotations

from conftest import pytest_xdist_make_scheduler


class XdistOptions:
    """The options pytest-xdist's scheduler reads, as `pytest -n 2` sets them (two local processes)."""

    def __init__(self, dist: str) -> None:
        self.values = {"dist": dist, "tx": ["2*popen"]}

    def getvalue(self, name: str):
        return self.values[name]

    getoption = getvalue


def test_spark_tests_share_one_scope_and_the_rest_stand_alone():
    scheduler = pytest_xdist_make_scheduler(XdistOptions("load"), log=None)
    ids = ["scripts/tests/test_erasure.py::test_erasure_reaches[spark]",
           "scripts/tests/test_spark_key_channel.py::test_spark_configuration_holds_no_key",
           "scripts/tests/test_vectors.py::test_awkward_keys_give_the_shared_pseudonyms_on_Spark",
           "scripts/tests/test_erasure.py::test_erasure_reaches[duckdb]",
           "scripts/tests/test_erasure.py::test_erasure_reaches[postgres]"]
    scopes = [scheduler._split_scope(nodeid) for nodeid in ids]
    assert scopes[:3] == ["spark"] * 3
    assert scopes[3:] == ids[3:]


def test_other_distributions_keep_xdists_own_scheduler():
    assert pytest_xdist_make_scheduler(XdistOptions("loadfile"), log=None) is None
