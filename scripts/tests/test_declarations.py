"""PII declarations fail closed, the same way in dbt and in pii-guard check.

One table of cases (meta pii, tags, privacy_tier) is written into a copy of
integration_tests/fixtures/pii_declarations and run through both the
no_pii_in_safe_models test (DuckDB) and pii-guard check on the same
project's manifest; both must give the table's outcome:

  column cases: pii (a safe model selecting it is reported), not pii (it is
  not), error (the run stops with one message naming node and column);
  tier cases: checked (the safe model's PII is reported), unchecked, error.

docs/privacy-tests.md's table in "Tiers and PII declarations" lists the same rules.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml

from dbt_harness import DbtProject, require_ok
from pii_guard.lineage.declarations import RULES, DeclarationError, pii_value, tier_value

REPO = Path(__file__).resolve().parents[2]
FIXTURE = REPO / "integration_tests" / "fixtures" / "pii_declarations"
PII_GUARD = str(Path(sys.executable).parent / "pii-guard")
KEY = "0123456789abcdef" * 2
P = "pii_declarations_fixture"
SOURCE = f"source.{P}.crm.people"
M = f"model.{P}."

# (column, its yml properties, outcome)
COLUMN_CASES: list[tuple[str, dict[str, Any], str]] = [
    ("bool_true", {"meta": {"pii": True}}, "pii"),
    ("bool_false", {"meta": {"pii": False}}, "not pii"),
    ("string_upper_true", {"meta": {"pii": "TRUE"}}, "pii"),
    ("string_yes_padded", {"meta": {"pii": " Yes "}}, "pii"),
    ("string_one", {"meta": {"pii": "1"}}, "pii"),
    ("int_one", {"meta": {"pii": 1}}, "pii"),
    ("string_on_config", {"config": {"meta": {"pii": "on"}}}, "pii"),
    ("string_off", {"meta": {"pii": "Off"}}, "not pii"),
    ("string_no", {"meta": {"pii": "no"}}, "not pii"),
    ("string_zero", {"meta": {"pii": "0"}}, "not pii"),
    ("int_zero", {"meta": {"pii": 0}}, "not pii"),
    ("tag", {"tags": ["pii"]}, "pii"),
    ("tag_upper_config", {"config": {"tags": ["PII"]}}, "pii"),
    ("false_but_tagged", {"meta": {"pii": False}, "tags": ["pii"]}, "pii"),
    ("undeclared", {}, "not pii"),
    ("pii_null", {"meta": {"pii": None}}, "not pii"),
    ("pii_type_only", {"meta": {"pii_type": "email"}}, "not pii"),
    ("string_name", {"meta": {"pii": "name"}}, "error"),
    ("int_two", {"meta": {"pii": 2}}, "error"),
    ("a_list", {"meta": {"pii": ["email"]}}, "error"),
    ("empty_string", {"meta": {"pii": ""}}, "error"),
    ("a_float", {"config": {"meta": {"pii": 1.5}}}, "error"),
]
# (model, its yml properties, outcome); each model selects bool_true.
TIER_CASES: list[tuple[str, dict[str, Any], str]] = [
    ("tier_safe", {"config": {"meta": {"privacy_tier": "safe"}}}, "checked"),
    ("tier_capital_safe", {"config": {"meta": {"privacy_tier": "Safe"}}}, "checked"),
    ("tier_padded_upper_safe", {"config": {"meta": {"privacy_tier": " SAFE "}}}, "checked"),
    ("tier_public_access", {"access": "public"}, "checked"),
    ("tier_restricted", {"config": {"meta": {"privacy_tier": "restricted"}}}, "unchecked"),
    ("tier_capital_restricted", {"config": {"meta": {"privacy_tier": "Restricted"}}}, "unchecked"),
    ("tier_none", {}, "unchecked"),
    ("tier_public_word", {"config": {"meta": {"privacy_tier": "public"}}}, "error"),
    ("tier_secret", {"config": {"meta": {"privacy_tier": "secret"}}}, "error"),
    ("tier_empty", {"config": {"meta": {"privacy_tier": ""}}}, "error"),
]


# --- the rules themselves, in-process ------------------------------------------

def test_python_rules_are_the_macro_rules():
    """declarations.RULES and the declaration_rules() macro are one description."""
    text = (REPO / "macros" / "privacy_checks" / "declaration_rules.sql").read_text()
    [literal] = re.findall(r"\{\{\s*return\((\{.*\})\)\s*\}\}", text)
    assert json.loads(literal) == RULES


@pytest.mark.parametrize("value, expected", [
    (True, True), (False, False), (None, None), (1, True), (0, False),
    ("true", True), (" TRUE ", True), ("Yes", True), ("1", True), ("ON", True),
    ("false", False), ("No", False), ("0", False), ("off", False),
])
def test_pii_spellings(value, expected):
    assert pii_value(value) is expected


@pytest.mark.parametrize("value", ["name", "", "y", 2, -1, 1.0, ["email"], {"a": 1}])
def test_other_pii_values_are_errors(value):
    with pytest.raises(DeclarationError, match="is not one of true/false, yes/no, 1/0, on/off"):
        pii_value(value)


@pytest.mark.parametrize("value, expected", [("safe", "safe"), (" Safe", "safe"), ("RESTRICTED", "restricted"),
                                             (None, None)])
def test_tier_spellings(value, expected):
    assert tier_value(value) == expected


@pytest.mark.parametrize("value", ["public", "", "safe-ish", 1])
def test_other_tiers_are_errors(value):
    with pytest.raises(DeclarationError, match="is not safe or restricted"):
        tier_value(value)


# --- the same table through dbt and through pii-guard check ---------------------

def _write_project(root: Path, columns: list[tuple[str, dict, str]], tiers: list[tuple[str, dict, str]],
                   safe_all: bool, extra_models: dict[str, str]) -> Path:
    """A copy of the fixture with a source holding `columns`, one model per
    tier case (selecting bool_true), a safe model selecting every column that
    is not an error case (when safe_all), and `extra_models` (path -> SQL)."""
    project = root / "project"
    shutil.copytree(FIXTURE, project)
    (project / "packages.yml").write_text(yaml.safe_dump({"packages": [{"local": str(REPO)}]}))
    models = project / "models"
    models.mkdir(exist_ok=True)
    source_columns = [{"name": name, **props} for name, props, _ in columns]
    (models / "_sources.yml").write_text(yaml.safe_dump({"version": 2, "sources": [{
        "name": "crm", "schema": "main", "tables": [{"name": "people", "columns": source_columns,
                                                     "data_tests": ["pii_guard.all_columns_classified"]}]}]}))
    described = [{"name": name, **props} for name, props, _ in tiers]
    for name, _, _ in tiers:
        (models / f"{name}.sql").write_text("select bool_true from {{ source('crm', 'people') }}\n")
    if safe_all:
        selected = ", ".join(name for name, _, outcome in columns if outcome != "error")
        (models / "safe_all.sql").write_text(f"select {selected} from {{{{ source('crm', 'people') }}}}\n")
        described.append({"name": "safe_all", "config": {"meta": {"privacy_tier": "safe"}}})
    for path, sql in extra_models.items():
        (models / path).parent.mkdir(parents=True, exist_ok=True)
        (models / path).write_text(sql)
    (models / "_models.yml").write_text(yaml.safe_dump({"version": 2, "models": described}))
    return project


def _dbt(tmp: Path, project_dir: Path) -> tuple[DbtProject, subprocess.CompletedProcess[str]]:
    """deps, compile (models only: the manifest pii-guard check reads), then the test."""
    project = DbtProject(tmp, key=KEY, project_dir=project_dir)
    require_ok(project.dbt("deps"), "dbt deps")
    require_ok(project.dbt("compile", "--select", "resource_type:model"), "dbt compile")
    shutil.copy(project.target_path / "manifest.json", tmp / "manifest.json")
    return project, project.dbt("test", "--select", "no_pii_in_safe_models", "--store-failures")


def _check(tmp: Path, project_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PII_GUARD, "check", "--manifest", str(tmp / "manifest.json"), "--no-catalog",
                           "--project-dir", str(project_dir), "--format", "json"],
                          capture_output=True, text=True, timeout=300)


CTE_RENAME = ("with renamed as (\n    select bool_true as contact from {{ source('crm', 'people') }}\n)\n"
              "select contact from renamed\n")


@pytest.fixture(scope="module")
def valid_run(tmp_path_factory):
    """Every case that is not an error, in one project, through both checks."""
    tmp = tmp_path_factory.mktemp("declarations")
    columns = [case for case in COLUMN_CASES if case[2] != "error"]
    tiers = [case for case in TIER_CASES if case[2] != "error"]
    extra = {"safe_cte.sql": CTE_RENAME,
             "marts/safe/untiered.sql": "select bool_true from {{ source('crm', 'people') }}\n"}
    safe_cte = ("safe_cte", {"config": {"meta": {"privacy_tier": "safe"}}}, "checked")
    project_dir = _write_project(tmp, columns, tiers + [safe_cte], True, extra)
    project, dbt_result = _dbt(tmp, project_dir)
    rows = project.query("select model, column_name, pii_source, pii_column, reason "
                         "from main_dbt_test__audit.no_pii_in_safe_models")
    check = _check(tmp, project_dir)
    return rows, dbt_result, check


def _python_findings(check: subprocess.CompletedProcess[str]) -> set[tuple[str, str, str, str]]:
    report = json.loads(check.stdout)
    found = set()
    for v in report["violations"]:
        origin, _, column = v["source"].rpartition(".")
        found.add((v["model"], v["column"], origin, column))
    return found


def test_column_cases_agree(valid_run):
    rows, _, check = valid_run
    expected = {name for name, _, outcome in COLUMN_CASES if outcome == "pii"}
    dbt_found = {row[3] for row in rows if row[0] == M + "safe_all"}
    python_found = {f[3] for f in _python_findings(check) if f[0] == M + "safe_all"}
    assert dbt_found == expected
    assert python_found == expected


def test_tier_cases_agree(valid_run):
    rows, _, check = valid_run
    expected = {M + name for name, _, outcome in TIER_CASES if outcome == "checked"}
    tiered = {M + name for name, _, _ in TIER_CASES}
    assert {row[0] for row in rows} & tiered == expected
    assert {f[0] for f in _python_findings(check)} & tiered == expected


def test_findings_name_origin_and_alias_after_a_cte_rename(valid_run):
    rows, dbt_result, check = valid_run
    expected = {(M + "safe_cte", "contact", SOURCE, "bool_true")}
    assert {row[:4] for row in rows if row[0] == M + "safe_cte"} == expected
    assert {f for f in _python_findings(check) if f[0] == M + "safe_cte"} == expected
    [reason] = [row[4] for row in rows if row[0] == M + "safe_cte"]
    assert reason == f"selects PII column bool_true of {SOURCE} as contact without a pii_guard protecting macro"
    assert (f"pii_guard: violation: {M}safe_cte.contact: selects PII column bool_true of {SOURCE} as contact"
            in dbt_result.stdout)


def test_untiered_models_in_a_safe_folder_are_a_warning(valid_run):
    rows, dbt_result, check = valid_run
    warning = (f"1 model(s) in a folder named safe have no privacy_tier and are not checked: {M}untiered. "
               "Give the folder `+meta: {privacy_tier: safe}` in dbt_project.yml")
    assert warning in dbt_result.stdout
    assert f"warning: {warning}" in check.stderr
    assert json.loads(check.stdout)["warnings"][0].startswith(warning)
    # A warning never changes the outcome: both fail on the violations, not on it.
    assert dbt_result.returncode == 1 and check.returncode == 1
    assert M + "untiered" not in {row[0] for row in rows}


def _named(message: str) -> set[str]:
    """The node (and column) each problem of the declaration error names."""
    return set(re.findall(r"((?:source|model)\.[\w.]+?(?: column \w+)?): (?:pii|privacy_tier) ", message))


def test_error_cases_agree(tmp_path):
    columns = [("bool_true", {"meta": {"pii": True}}, "pii")] + [c for c in COLUMN_CASES if c[2] == "error"]
    tiers = [c for c in TIER_CASES if c[2] == "error"]
    project_dir = _write_project(tmp_path, columns, tiers, False, {})
    _, dbt_result = _dbt(tmp_path, project_dir)
    check = _check(tmp_path, project_dir)
    expected = {f"{SOURCE} column {name}" for name, _, outcome in columns if outcome == "error"}
    expected |= {M + name for name, _, _ in tiers}
    assert dbt_result.returncode != 0
    [dbt_message] = [line for line in dbt_result.stdout.splitlines() if "PII declaration(s) cannot be read" in line]
    assert _named(dbt_message) == expected
    assert check.returncode == 2 and check.stdout == ""
    [python_message] = check.stderr.strip().splitlines()
    assert python_message.startswith(f"error: {len(expected)} PII declaration(s) cannot be read: ")
    assert _named(python_message) == expected
    # One message, the same problems in both, saying what to write.
    assert dbt_message[dbt_message.index(f"{len(expected)} PII"):].rstrip() == python_message.removeprefix("error: ")


def test_unreadable_pii_is_not_classified(tmp_path):
    """all_columns_classified fails on a pii value no rule reads, saying which
    and why; before, any non-null value counted as classified."""
    columns = [("bool_true", {"meta": {"pii": True}}, "pii"), ("string_off", {"meta": {"pii": "Off"}}, "not pii")]
    columns += [c for c in COLUMN_CASES if c[2] == "error"]
    project_dir = _write_project(tmp_path, columns, [], False, {})
    project = DbtProject(tmp_path, key=KEY, project_dir=project_dir)
    with duckdb.connect(str(project.database)) as connection:
        connection.execute("create table main.people (" + ", ".join(f"{name} integer" for name, _, _ in columns) + ")")
    require_ok(project.dbt("deps"), "dbt deps")
    result = project.dbt("test", "--select", "source:crm", "--store-failures")
    assert result.returncode == 1
    [relation] = [r[0] for r in project.query(
        "select table_name from information_schema.tables where table_schema = 'main_dbt_test__audit'")]
    rows = dict(project.query(f"select column_name, reason from main_dbt_test__audit.{relation}"))
    spellings = "is not one of true/false, yes/no, 1/0, on/off: set pii true or false"
    assert rows == {"string_name": f'meta pii "name" {spellings}', "int_two": f"meta pii 2 {spellings}",
                    "a_list": f'meta pii ["email"] {spellings}', "empty_string": f'meta pii "" {spellings}',
                    "a_float": f"meta pii 1.5 {spellings}"}


def test_pii_but_no_safe_model(tmp_path):
    """dbt warns (the test runs in every project that installs pii_guard);
    pii-guard check, asked to check, refuses with exit 2 as it always has."""
    project_dir = _write_project(tmp_path, [("bool_true", {"meta": {"pii": True}}, "pii")],
                                 [("tier_none", {}, "unchecked")], False, {})
    _, dbt_result = _dbt(tmp_path, project_dir)
    assert dbt_result.returncode == 0
    assert (f"pii_guard: PII is declared (e.g. {SOURCE}.bool_true) but no model is safe, so no_pii_in_safe_models "
            "checks nothing. Give the folder of models that must hold no PII `+meta: {privacy_tier: safe}`"
            in dbt_result.stdout)
    check = _check(tmp_path, project_dir)
    assert check.returncode == 2
    assert "nothing to check: no model is declared safe" in check.stderr


def test_safe_folder_words():
    """A folder of the path or fqn that is `safe`, or has it as a _ or - word."""
    from pii_guard.lineage.declarations import looks_safe, untiered_safe_folders

    assert [looks_safe({"fqn": ["p", *folders, "m"]}) for folders in
            (["marts", "safe"], ["safe_marts"], ["marts-safe"], ["SAFE"], ["unsafe"], ["safety"], [])] == \
        [True, True, True, True, False, False, False]
    assert looks_safe({"fqn": ["p", "safe"], "original_file_path": "models/safe.sql"}) is False  # a file, not a folder
    nodes = [{"unique_id": "model.p.a", "resource_type": "model", "fqn": ["p", "safe", "a"]},
             {"unique_id": "model.p.b", "resource_type": "model", "fqn": ["p", "safe", "b"],
              "config": {"meta": {"privacy_tier": "restricted"}}},
             {"unique_id": "seed.p.c", "resource_type": "seed", "fqn": ["p", "safe", "c"]}]
    assert untiered_safe_folders(nodes).startswith(
        "1 model(s) in a folder named safe have no privacy_tier and are not checked: model.p.a. ")
    assert untiered_safe_folders(nodes[1:]) is None
