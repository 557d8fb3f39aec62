"""The no_pii_in_safe_models singular test on its fixture project: every case
it must catch and every case it must not flag, asserted row by row from the
test's stored failures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dbt_harness import DbtProject, require_ok

FIXTURE = Path(__file__).resolve().parents[2] / "integration_tests" / "fixtures" / "no_pii_in_safe_models"
PEOPLE = "source.no_pii_fixture.crm.people"
SEED = "seed.no_pii_fixture.seed_patients"
M = "model.no_pii_fixture."
NOT_BUILT = " (relation not built: every upstream PII column is assumed to pass)"
PYTHON = "a Python model reads upstream PII and cannot be analysed; run pii-guard check"


def selects(column: str, output: str | None = None, origin: str = PEOPLE) -> str:
    """The reason of a select-list finding: the origin column and node, and the output alias it reached."""
    return (f"selects PII column {column} of {origin}" + (f" as {output}" if output else "")
            + " without a pii_guard protecting macro")


def star(column: str) -> str:
    return f"select * passes PII column {column} of {PEOPLE}"


EXPECTED = {
    # (model, column, pii_source, pii_column, status, reason)
    (M + "leak_direct_source", "email", PEOPLE, "email", "violation", selects("email")),
    (M + "leak_upstream_model", "phone", PEOPLE, "phone", "violation", selects("phone")),
    (M + "leak_after_multiplication", "phone", PEOPLE, "phone", "violation", selects("phone")),
    (M + "leak_transitive", "phone", PEOPLE, "phone", "violation", selects("phone")),
    (M + "leak_star", "email", PEOPLE, "email", "violation", star("email")),
    (M + "leak_star", "phone", PEOPLE, "phone", "violation", star("phone")),
    (M + "leak_star_exclude", "phone", PEOPLE, "phone", "violation", star("phone")),
    (M + "leak_star_ephemeral", "email", PEOPLE, "email", "violation", star("email") + NOT_BUILT),
    (M + "leak_star_ephemeral", "phone", PEOPLE, "phone", "violation", star("phone") + NOT_BUILT),
    (M + "leak_restricted_dependency", None, M + "r_contacts", None, "violation",
     "a safe model depends directly on a restricted model"),
    # email is renamed in a CTE; the final select passes the renamed column on:
    # the finding names the origin (people.email) and the alias it reached.
    (M + "leak_rename", "contact", PEOPLE, "email", "violation", selects("email", "contact")),
    (M + "leak_expression", "shouting", PEOPLE, "email", "violation", selects("email", "shouting")),
    (M + "leak_expression", "weak_hash", PEOPLE, "phone", "violation", selects("phone", "weak_hash")),
    (M + "leak_seed", "full_name", SEED, "full_name", "violation", selects("full_name", origin=SEED)),
    (M + "leak_declared", "home_city", M + "leak_declared", "home_city", "violation",
     "a safe model declares this column PII"),
    (M + "leak_public_access", "email", PEOPLE, "email", "violation", selects("email")),
    (M + "leak_python", "email", PEOPLE, "email", "violation", PYTHON),
    (M + "leak_python", "phone", PEOPLE, "phone", "violation", PYTHON),
    (M + "leak_allowed", "email", PEOPLE, "email", "accepted", selects("email")),
    ("never_existed", None, None, None, "unused allowance",
     "this pii_guard_allow entry matches no finding: remove it"),
}


@pytest.fixture(scope="module")
def fixture_run(tmp_path_factory):
    project = DbtProject(tmp_path_factory.mktemp("no_pii"), key="0123456789abcdef" * 2, project_dir=FIXTURE)
    for step in (("deps",), ("seed",), ("run",)):
        require_ok(project.dbt(*step), "dbt " + step[0])
    result = project.dbt("test", "--select", "no_pii_in_safe_models", "--store-failures")
    return project, result


def test_finds_exactly_the_leaks_and_nothing_else(fixture_run):
    project, _ = fixture_run
    rows = project.query(
        "select model, column_name, pii_source, pii_column, status, reason "
        "from main_dbt_test__audit.no_pii_in_safe_models"
    )
    assert len(rows) == len(set(rows)), "duplicate findings"
    assert set(rows) == EXPECTED
    flagged = {row[0] for row in rows}
    assert not any(model.startswith(M + "ok_") for model in flagged)


def test_fails_with_one_failure_per_violation(fixture_run):
    project, result = fixture_run
    assert result.returncode == 1
    results = json.loads((project.target_path / "run_results.json").read_text())["results"]
    # Besides the test: pii_guard's own run hooks (key identity), which pass.
    [test] = [r for r in results if r["unique_id"].startswith("test.")]
    assert test["status"] == "fail"
    assert test["failures"] == sum(1 for row in EXPECTED if row[4] == "violation") == 18


def test_accepted_findings_are_shown_not_dropped(fixture_run):
    _, result = fixture_run
    assert ("pii_guard: accepted: model.no_pii_fixture.leak_allowed.email: selects PII column email "
            f"of {PEOPLE} without a pii_guard protecting macro "
            "(DPA-7: the processor contract covers email)") in result.stdout
    assert "pii_guard: unused allowance: never_existed" in result.stdout


def test_allowance_without_reason_is_refused(fixture_run):
    project, _ = fixture_run
    result = project.dbt("test", "--select", "no_pii_in_safe_models",
                         "--vars", "{pii_guard_allow: [{model: leak_allowed, column: email}]}")
    assert result.returncode != 0
    assert "every pii_guard_allow entry needs a model and a reason" in result.stdout
