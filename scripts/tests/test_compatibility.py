"""The supported versions are written once, in pyproject.toml's extras: every
engine's extra bounds dbt-core and its adapter on both sides, `make compat`
(scripts/compat.py) reads its lowest and highest minor from them, and the
matrix in docs/compatibility.md says the same. No install, no dbt."""

from __future__ import annotations

import importlib.util
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement

REPO = Path(__file__).resolve().parents[2]
MATRIX = REPO / "docs" / "compatibility.md"
# What a user installs per engine, and the adapter each brings.
ADAPTERS = {"duckdb": "dbt-duckdb", "postgres": "dbt-postgres", "spark": "dbt-spark"}


def load_compat():
    spec = importlib.util.spec_from_file_location("compat", REPO / "scripts" / "compat.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


compat = load_compat()


def extras() -> dict[str, dict[str, dict[str, str]]]:
    """{extra: {package: {operator: version}}} from pyproject.toml:
    `dbt-core>=1.10,<1.12` is {"dbt-core": {">=": "1.10", "<": "1.12"}}."""
    declared = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    return {extra: {Requirement(line).name: {s.operator: s.version for s in Requirement(line).specifier}
                    for line in lines}
            for extra, lines in declared.items()}


def matrix_rows() -> dict[str, list[str]]:
    """The matrix table's rows: {first cell: the other cells}, backticks removed."""
    rows = {}
    for line in MATRIX.read_text().splitlines():
        if line.startswith("| ") and not line.startswith("| ---"):
            cells = [cell.strip().strip("`") for cell in line.strip("|").split("|")]
            rows[cells[0]] = cells[1:]
    return rows


def test_every_engine_extra_bounds_dbt_core_and_its_adapter_on_both_sides():
    declared = extras()
    ranges = set()
    for extra, adapter in ADAPTERS.items():
        for package in ("dbt-core", adapter):
            assert set(declared[extra][package]) == {">=", "<"}, (extra, package, declared[extra][package])
            ranges.add((declared[extra][package][">="], declared[extra][package]["<"]))
    assert len(ranges) == 1, f"the engines' extras support different dbt versions: {ranges}"


def test_dev_extra_runs_the_highest_supported_minor():
    declared = extras()
    _, highest = compat.supported_minors(REPO / "pyproject.toml")
    for package in ["dbt-core", *ADAPTERS.values()]:
        assert declared["dev"][package] == {">=": highest, "<": declared["duckdb"]["dbt-core"]["<"]}, package


def test_matrix_page_agrees_with_pyproject_and_make_compat():
    declared, rows = extras(), matrix_rows()
    lowest, highest = compat.supported_minors(REPO / "pyproject.toml")
    for extra, adapter in [("duckdb", "dbt-core"), *ADAPTERS.items(), ("spark", "pyspark")]:
        bounds = declared[extra][adapter]
        assert rows[adapter][0] == f">={bounds['>=']},<{bounds['<']}", adapter
    for package in ("dbt-core", "dbt-duckdb"):
        tested = rows[package][1].split(", ")
        assert [version.rsplit(".", 1)[0] for version in tested] == [lowest, highest], package


def test_supported_minors_are_the_lower_bound_and_the_minor_below_the_upper(tmp_path):
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[project.optional-dependencies]\n'
                         'duckdb = ["dbt-duckdb>=1.10,<1.12", "dbt-core >= 1.10, < 1.12", "numpy>=1.26"]\n')
    assert compat.supported_minors(pyproject) == ["1.10", "1.11"]


@pytest.mark.parametrize("duckdb_extra", [
    '["dbt-core>=1.10"]',  # no upper bound: the highest is unknown
    '["dbt-duckdb>=1.10,<1.12"]',  # no dbt-core line
    '["dbt-core>=1.10,<2.1"]',  # across a major
])
def test_an_unbounded_or_missing_dbt_core_line_is_one_error_line(tmp_path, monkeypatch, capsys, duckdb_extra):
    (tmp_path / "pyproject.toml").write_text(f"[project.optional-dependencies]\nduckdb = {duckdb_extra}\n")
    monkeypatch.setattr(compat, "REPO", tmp_path)
    assert compat.main([]) == 2
    assert capsys.readouterr().err == (
        f"error: {tmp_path / 'pyproject.toml'}: the duckdb extra needs a requirement 'dbt-core>=X.Y,<X.Z' "
        "(the supported range, upper bound excluded, within one major)\n")
