"""The refuse_pii_in_safe_model pre-hook: a safe model that PII reaches is
refused before dbt creates or replaces it, against the columns its parents
have in this run, on DuckDB, PostgreSQL and Spark.

The fixture (integration_tests/fixtures/build_time_enforcement) has a staging
model over a seed with PII and four safe models selecting * from it: a table,
an incremental model, a view, and a table whose email is accepted in
pii_guard_allow. Each test copies it and rewrites the staging model to start
selecting email: the stale-column case, where the safe models' relations
were built before the change and do not have the column yet."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from dbt_harness import REPO, DbtProject, require_ok

FIXTURE = REPO / "integration_tests" / "fixtures" / "build_time_enforcement"
KEY = "0123456789abcdef" * 2
HOOK = '    +pre-hook: "{{ pii_guard.refuse_pii_in_safe_model() }}"\n'
CLEAN = "select id, city from {{ ref('people') }}\n"
LEAKY = "select id, city, email from {{ ref('people') }}\n"
REFUSED = "pii_guard: refusing to build the safe model model.bte_fixture."
STAR_EMAIL = "- email: select * passes PII column email of seed.bte_fixture.people"
# Spark: the harness reads the tables Spark wrote as Parquet, not views.
SAFE = {"duckdb": ("safe_table", "safe_incremental", "safe_view"),
        "postgres": ("safe_table", "safe_incremental", "safe_view"),
        "spark": ("safe_table", "safe_incremental")}


@pytest.fixture
def project(request, tmp_path, dbt_packages):
    """A factory: the fixture copied to tmp_path (staging model as given, with
    or without the hook) on the engine of the test's parameter, deps installed.
    On PostgreSQL in a database of its own."""
    engine = request.param
    extra_env = request.getfixturevalue("postgres_database")("bte") if engine == "postgres" else {}

    def make(staging: str, hook: bool = True) -> DbtProject:
        directory = tmp_path / "project"
        shutil.copytree(FIXTURE, directory, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))
        (directory / "packages.yml").write_text(f"packages:\n  - local: {REPO}\n")
        (directory / "package-lock.yml").unlink(missing_ok=True)
        settings = (directory / "dbt_project.yml").read_text()
        assert HOOK in settings
        if not hook:
            (directory / "dbt_project.yml").write_text(settings.replace(HOOK, ""))
        stage(directory, staging)
        made = DbtProject(tmp_path, key=KEY, project_dir=directory, target=engine, extra_env=extra_env)
        require_ok(made.dbt("deps"), "dbt deps")
        return made

    return make


def stage(directory: Path, sql: str) -> None:
    (directory / "models" / "staging" / "stg_people.sql").write_text(sql)


def shape(project: DbtProject, relation: str) -> tuple[list[str], int] | None:
    """(columns, row count) of main.<relation>, or None when it does not exist."""
    if project.target == "spark":
        if not (project.spark_dir / "warehouse" / "main.db" / relation).is_dir():
            return None
    elif not project.query("select 1 from information_schema.tables "
                           f"where table_schema = 'main' and table_name = '{relation}'"):
        return None
    rows = project.rows(f"main.{relation}")
    columns = project._run(f"select * from main.{relation} limit 0")[0]
    return sorted(c.lower() for c in columns), len(rows)


def statuses(project: DbtProject) -> dict[str, tuple[str, str]]:
    results = json.loads((project.target_path / "run_results.json").read_text())["results"]
    return {r["unique_id"].split(".")[-1]: (r["status"], r["message"] or "") for r in results
            if r["unique_id"].startswith("model.")}


def statements(console: str, model: str) -> list[str]:
    """What dbt ran for a model, from --debug output: one chunk per log line."""
    return [chunk for chunk in re.split(r"\n(?=\d\d:\d\d:\d\d)", console)
            if f"On model.bte_fixture.{model}: " in chunk]


def assert_refused(project: DbtProject, result, models) -> None:
    assert result.returncode == 1
    status = statuses(project)
    for model in models:
        assert status[model][0] == "error", (model, status[model])
        assert REFUSED + model + ": PII reaches it." in status[model][1]
        assert STAR_EMAIL in status[model][1]
    # The staging model was rebuilt with email; the accepted finding built.
    assert status["stg_people"][0] == status["safe_allowed"][0] == "success"
    assert "pii_guard: accepted: model.bte_fixture.safe_allowed.email" in result.stdout
    assert shape(project, "safe_allowed") == (["city", "email", "id"], 3)
    assert shape(project, "stg_people") == (["city", "email", "id"], 3)


@pytest.mark.parametrize("project", ["duckdb", "postgres", "spark"], indirect=True)
@pytest.mark.parametrize("command", [("build",), ("run", "--threads", "8")])
def test_new_safe_model_with_pii_is_never_created(project, command):
    made = project(LEAKY)
    require_ok(made.dbt("seed"), "dbt seed")
    result = made.dbt(*command)
    # Every materialization is refused, the view on Spark included (whose
    # absence the harness, reading Spark's Parquet files, cannot see).
    assert_refused(made, result, ("safe_table", "safe_incremental", "safe_view"))
    for model in SAFE[made.target]:
        assert shape(made, model) is None, model


@pytest.mark.parametrize("project", ["duckdb", "postgres", "spark"], indirect=True)
def test_stale_columns_refused_and_previous_build_kept(project):
    made = project(CLEAN)
    require_ok(made.dbt("seed"), "dbt seed")
    require_ok(made.dbt("build"), "dbt build (clean)")
    clean = {model: shape(made, model) for model in SAFE[made.target]}
    assert clean == {model: (["city", "id"], 3) for model in SAFE[made.target]}

    stage(made.project_dir, LEAKY)
    result = made.dbt("build", "--threads", "8", debug=True)
    # The incremental model would have appended 3 rows, the tables gained email.
    assert_refused(made, result, SAFE[made.target])
    tables = [model for model in SAFE[made.target] if model != "safe_view"]
    for model in tables:
        # The hook read the columns of the model's SQL; nothing was written.
        ran = statements(result.stdout, model)
        assert any("__dbt_sbq" in chunk for chunk in ran), model
        assert not [chunk for chunk in ran if re.search(r"\b(create|insert|alter|drop|merge)\b", chunk, re.I)], model
    assert {model: shape(made, model) for model in tables} == {model: clean[model] for model in tables}
    if "safe_view" in SAFE[made.target]:
        view = shape(made, "safe_view")
        if made.target == "duckdb":
            # DuckDB binds a view's * when it is read: the old view would now
            # show email, so the hook dropped it and said so.
            assert view is None
            assert "The view built last time already showed email through its rebuilt parents: it was dropped." \
                in statuses(made)["safe_view"][1]
        else:
            # PostgreSQL: rebuilding the staging table dropped the view (dbt
            # drops the old table with cascade), and it was not recreated.
            assert view is None

    # dbt run refuses the same way, and the previous build still stands.
    assert_refused(made, made.dbt("run"), SAFE[made.target])
    assert {model: shape(made, model) for model in tables} == {model: clean[model] for model in tables}


@pytest.mark.parametrize("project", ["duckdb"], indirect=True)
def test_without_the_hook_the_stale_case_leaks(project):
    """The control: the same change without the hook builds email into every
    safe model, and the singular test, run first by dbt build, passes on the
    old columns. This is what the tests above would see without enforcement."""
    made = project(CLEAN, hook=False)
    require_ok(made.dbt("seed"), "dbt seed")
    require_ok(made.dbt("build"), "dbt build (clean)")
    stage(made.project_dir, LEAKY)
    result = made.dbt("build", "--threads", "8")
    assert result.returncode == 0, result.stdout[-3000:]
    assert shape(made, "safe_table") == shape(made, "safe_view") == (["city", "email", "id"], 3)
    assert shape(made, "safe_incremental") == (["city", "id"], 6)  # appended, without the new column


@pytest.mark.parametrize("project", ["duckdb"], indirect=True)
def test_clean_and_protected_safe_models_build(project):
    """Passes on clean data: protected columns and names that only look like
    PII do not stop the build; other tiers are not checked."""
    made = project("select id, city, email, {{ pii_guard.mask_email('email') }} as email_masked,"
                   " email as email_raw_for_restricted from {{ ref('people') }}\n")
    directory = made.project_dir
    for model in ("safe_table", "safe_incremental", "safe_view", "safe_allowed"):
        (directory / "models" / "safe" / f"{model}.sql").write_text(
            "select id, city, email_masked from {{ ref('stg_people') }}\n")
    require_ok(made.dbt("seed"), "dbt seed")
    result = made.dbt("build", "--threads", "8")
    require_ok(result, "dbt build")
    assert REFUSED not in result.stdout
    assert shape(made, "safe_table") == (["city", "email_masked", "id"], 3)


@pytest.mark.parametrize("project", ["duckdb"], indirect=True)
def test_a_model_whose_tier_cannot_be_read_is_not_built(project):
    """`privacy_tier: Safest` is neither safe nor restricted: the hook does not
    skip the model as unchecked, it stops it with the declaration error."""
    built = project(LEAKY)
    (built.project_dir / "models" / "misdeclared.sql").write_text(
        "{{ config(meta={'privacy_tier': 'Safest'}) }}\nselect * from {{ ref('stg_people') }}\n")
    result = built.dbt("build", "--select", "people", "stg_people", "misdeclared")
    assert result.returncode == 1, result.stdout
    assert "PII declaration(s) cannot be read" in result.stdout and "misdeclared" in result.stdout
    assert shape(built, "misdeclared") is None
