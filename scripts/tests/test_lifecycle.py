"""The data subject's lifecycle: consent and retention declared in yml (meta
pii_guard), applied by protected_select at the first layer, and checked
downstream by no_pii_past_retention (docs/lifecycle.md, 'The data subject's lifecycle')."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from dbt_harness import DbtProject, require_ok

REPO = Path(__file__).resolve().parents[2]
FIXTURE = REPO / "integration_tests" / "fixtures" / "lifecycle"
PII_GUARD = str(Path(sys.executable).parent / "pii-guard")
KEY = "0123456789abcdef" * 2
SEEDS_YML = Path("seeds") / "_seeds.yml"
STAGING = Path("models") / "staging" / "stg_people.sql"
COLUMNS = ["person_id", "email", "full_name", "created_at", "city"]
PII = ["person_id", "email", "full_name"]
# With as_of 2024-06-30 and 365 days, created_at from 2023-07-01 on is retained.
# Ann (Boston) and Eve (Seattle) consented to analytics and are within retention;
# Bob withdrew, Dee has no consent row, Gus granted then withdrew, Cy (2022) and
# Fay (2023-06-30, one day too old) consented but are past retention.
KEPT = {"Boston", "Seattle"}
PAST_RETENTION = {"Austin", "Portland"}
CITIES = {"Boston", "Denver", "Austin", "Chicago", "Seattle", "Portland", "Miami"}
RETENTION_TEST = "no_pii_past_retention_people_mart"


@pytest.fixture
def lifecycle_project(request, tmp_path, dbt_packages):
    """A factory: the fixture copied to tmp_path on the engine of the test's
    parameter (DuckDB unless parametrized); `edit` changes the people seed's
    meta pii_guard (a dict, edited in place), `staging` replaces stg_people.sql."""
    engine = getattr(request, "param", "duckdb")
    extra_env = request.getfixturevalue("postgres_database")("lifecycle") if engine == "postgres" else {}

    def make(edit=None, staging: str | None = None, project_vars: dict | None = None) -> DbtProject:
        directory = tmp_path / "project"
        shutil.copytree(FIXTURE, directory, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))
        (directory / "packages.yml").write_text(f"packages:\n  - local: {REPO}\n")
        if edit is not None:
            properties = yaml.safe_load((directory / SEEDS_YML).read_text())
            edit(properties["seeds"][0]["config"]["meta"]["pii_guard"])
            (directory / SEEDS_YML).write_text(yaml.safe_dump(properties, sort_keys=False))
        if staging is not None:
            (directory / STAGING).write_text(staging)
        if project_vars is not None:
            settings = yaml.safe_load((directory / "dbt_project.yml").read_text())
            settings["vars"].update(project_vars)
            (directory / "dbt_project.yml").write_text(yaml.safe_dump(settings, sort_keys=False))
        made = DbtProject(tmp_path, key=KEY, project_dir=directory, target=engine, extra_env=extra_env)
        require_ok(made.dbt("deps"), "dbt deps")
        return made

    return make


def check(project: DbtProject) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PII_GUARD, "check", "--project-dir", str(project.project_dir),
                           "--manifest", str(project.target_path / "manifest.json"), "--no-catalog"],
                          capture_output=True, text=True, env=project.env())


def by_city(project: DbtProject, relation: str = "main.stg_people") -> tuple[list[str], dict[str, dict]]:
    names, rows = project._run(f"select * from {relation}")
    names = [name.lower() for name in names]
    return names, {row[names.index("city")]: dict(zip(names, row)) for row in rows}


@pytest.mark.parametrize("lifecycle_project", ["duckdb", "postgres", "spark"], indirect=True)
def test_pii_of_rows_without_consent_or_past_retention_is_null_and_the_schema_kept(lifecycle_project):
    project = lifecycle_project()
    result = project.dbt("build")
    require_ok(result, "dbt build")
    assert f"PASS pii_guard_{RETENTION_TEST}" in result.stdout
    names, rows = by_city(project)
    assert names == COLUMNS  # same names, same order
    assert set(rows) == CITIES  # no row removed (action nullify)
    for city, row in rows.items():
        if city in KEPT:
            assert all(row[name] is not None for name in PII), row
            assert row["email"] != "ann@example.com" and len(row["email"]) == 64  # still the treatment
            assert isinstance(row["person_id"], int)  # pseudonymize_int keeps the type
        else:
            assert all(row[name] is None for name in PII), row
        assert isinstance(row["created_at"], dt.date) and row["city"] == city  # non-PII kept
    # The consent CASE around each treatment is still protection to the lineage checker.
    checked = check(project)
    assert checked.returncode == 0, checked.stdout + checked.stderr


@pytest.mark.parametrize("lifecycle_project", ["duckdb", "postgres", "spark"], indirect=True)
def test_the_retention_test_counts_rows_past_retention_that_still_hold_pii(lifecycle_project):
    # Without the retention declaration, the two consented rows past retention keep their PII.
    project = lifecycle_project(lambda declared: declared.pop("retention"))
    result = project.dbt("build")
    assert result.returncode == 1
    assert f"FAIL 2 pii_guard_{RETENTION_TEST}" in result.stdout, result.stdout[-3000:]
    _, rows = by_city(project)
    assert {city for city, row in rows.items() if row["email"] is not None} == KEPT | PAST_RETENTION


def test_without_consent_only_retention_applies(lifecycle_project):
    project = lifecycle_project(lambda declared: declared.pop("consent"))
    require_ok(project.dbt("build"), "dbt build")
    _, rows = by_city(project)
    assert {city for city, row in rows.items() if row["email"] is not None} == CITIES - PAST_RETENTION


def test_as_of_comes_from_the_var(lifecycle_project):
    project = lifecycle_project(project_vars={"pii_guard_as_of": "2025-03-01"})
    require_ok(project.dbt("build"), "dbt build")
    _, rows = by_city(project)
    # Cutoff 2024-03-01: Ann (2024-03-01) stays; Eve (2023-07-01) is now past retention.
    assert {city for city, row in rows.items() if row["email"] is not None} == {"Boston"}


REMOVING = """-- depends_on: {{ ref('consents') }}
select {{ pii_guard.protected_select(ref('people')) }}
from {{ ref('people') }}
where {{ pii_guard.retained(ref('people')) }}
"""


def test_retention_action_remove_drops_the_rows(lifecycle_project):
    project = lifecycle_project(lambda declared: declared["retention"].update(action="remove"), staging=REMOVING)
    require_ok(project.dbt("build"), "dbt build")
    _, rows = by_city(project)
    assert set(rows) == CITIES - PAST_RETENTION
    assert {city for city, row in rows.items() if row["email"] is not None} == KEPT


def test_retention_action_remove_without_the_filter_is_an_error(lifecycle_project):
    project = lifecycle_project(lambda declared: declared["retention"].update(action="remove"))
    result = project.dbt("build")
    assert result.returncode == 1
    assert "meta pii_guard.retention.action is remove, but the model does not filter its rows" in result.stdout


def test_consented_filters_rows_in_a_where_clause(lifecycle_project):
    staging = REMOVING.replace("pii_guard.retained(", "pii_guard.consented(")
    project = lifecycle_project(staging=staging)
    require_ok(project.dbt("build"), "dbt build")
    _, rows = by_city(project)
    assert set(rows) == KEPT | PAST_RETENTION


# (what is wrong, the edit of meta pii_guard, what the one error says)
DENIED = [
    ("unknown top-level key", lambda d: d.update(erasure={"days": 1}),
     "meta pii_guard has the unknown key erasure (known: subject, consent, retention)"),
    ("subject not a column", lambda d: d.update(subject="customer"),
     'meta pii_guard.subject must name a column of the relation (the column identifying the data subject, compared with the forget list); got "customer"'),
    ("unknown retention key", lambda d: d["retention"].update(keep_days=3),
     "meta pii_guard.retention has the unknown key keep_days"),
    ("non-integer days", lambda d: d["retention"].update(days="365d"),
     'meta pii_guard.retention.days must be a whole number of days, 0 or more; got "365d"'),
    ("fractional days", lambda d: d["retention"].update(days=1.5),
     "meta pii_guard.retention.days must be a whole number of days, 0 or more; got 1.5"),
    ("retention column missing", lambda d: d["retention"].update(column="signup_at"),
     'meta pii_guard.retention.column must name a date or timestamp column of the relation (when the row was collected); got "signup_at"'),
    ("retention without a column", lambda d: d["retention"].pop("column"),
     "meta pii_guard.retention.column must name a date or timestamp column of the relation (when the row was collected); got null"),
    ("unknown action", lambda d: d["retention"].update(action="archive"),
     'meta pii_guard.retention.action must be nullify or remove; got "archive"'),
    ("bad as_of", lambda d: d["retention"].update(as_of="30/06/2024"),
     'meta pii_guard.retention.as_of must be a date written YYYY-MM-DD (or current_date); got "30/06/2024"'),
    ("unknown consent key", lambda d: d["consent"].update(purposes=["x"]),
     "meta pii_guard.consent has the unknown key purposes"),
    ("consent relation unreadable", lambda d: d["consent"].update(relation="consents"),
     "meta pii_guard.consent.relation must be \"ref('<model or seed>')\" or \"source('<source>', '<table>')\"; got \"consents\""),
    ("consent subject missing", lambda d: d["consent"].update(subject="customer_id"),
     'meta pii_guard.consent.subject must name a column of the relation'),
    ("consent without a purpose", lambda d: d["consent"].pop("purpose"),
     "meta pii_guard.consent.purpose must be a non-empty text"),
]


@pytest.fixture(scope="module")
def seeded_lifecycle(tmp_path_factory, dbt_packages):
    """The fixture seeded once on DuckDB; each case rewrites its seed yml and
    runs only stg_people, which no case ever builds."""
    workdir = tmp_path_factory.mktemp("lifecycle_denied")
    directory = workdir / "project"
    shutil.copytree(FIXTURE, directory, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))
    (directory / "packages.yml").write_text(f"packages:\n  - local: {REPO}\n")
    project = DbtProject(workdir, key=KEY, project_dir=directory)
    require_ok(project.dbt("deps"), "dbt deps")
    require_ok(project.dbt("seed"), "dbt seed")
    return project, (directory / SEEDS_YML).read_text()


@pytest.mark.parametrize("case", DENIED, ids=[case[0] for case in DENIED])
def test_bad_declarations_stop_compilation_with_one_clear_error(seeded_lifecycle, case):
    _, edit, message = case
    project, pristine = seeded_lifecycle
    properties = yaml.safe_load(pristine)
    edit(properties["seeds"][0]["config"]["meta"]["pii_guard"])
    (project.project_dir / SEEDS_YML).write_text(yaml.safe_dump(properties, sort_keys=False))
    result = project.dbt("run", "--select", "stg_people")
    assert result.returncode != 0
    assert "pii_guard.protected_select(" in result.stdout
    assert message in result.stdout, result.stdout[-3000:]
    assert "docs/lifecycle.md, 'The data subject's lifecycle'" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
    assert not project.query("select 1 from information_schema.tables where table_name = 'stg_people'")


def _test_on_people(project: DbtProject, arguments: dict) -> None:
    """Adds no_pii_past_retention with `arguments` to the raw people seed."""
    path = project.project_dir / SEEDS_YML
    properties = yaml.safe_load(path.read_text())
    properties["seeds"][0]["data_tests"] = [{"pii_guard.no_pii_past_retention": {"arguments": arguments}}]
    path.write_text(yaml.safe_dump(properties, sort_keys=False))


def test_the_retention_test_reads_pii_columns_from_the_yml(lifecycle_project):
    # On the raw seed every PII column is still there: Cy and Fay are past retention.
    project = lifecycle_project()
    _test_on_people(project, {"column": "created_at", "days": 365})
    result = project.dbt("build", "--select", "people")
    assert result.returncode == 1
    assert "FAIL 2 pii_guard_no_pii_past_retention_people" in result.stdout, result.stdout[-3000:]
    # The failing rows name the columns holding PII, never the values.
    failures = project.dbt("test", "--select", "people", "--store-failures")
    assert failures.returncode == 1
    names, rows = project._run("select * from main_dbt_test__audit.pii_guard_no_pii_past_retention_people_created_at__365")
    assert [name.lower() for name in names] == ["non_null_pii"]
    assert sorted(rows) == [("person_id, email, full_name",)] * 2


@pytest.mark.parametrize("arguments, message", [
    ({"column": "created_at", "days": "a year"}, "days must be a whole number of days, 0 or more; got a year."),
    ({"column": "created_at", "days": 30, "as_of": "June 30"}, "as_of must be a date written YYYY-MM-DD"),
    ({"column": "created_at", "days": 30, "pii_columns": "email"}, "pii_columns must be a non-empty list of column names"),
    ({"days": 30}, "column must name the model's date or timestamp column"),
])
def test_the_retention_test_rejects_bad_arguments(lifecycle_project, arguments, message):
    project = lifecycle_project()
    _test_on_people(project, arguments)
    result = project.dbt("build", "--select", "people")
    assert result.returncode != 0
    assert "pii_guard.no_pii_past_retention: " + message in result.stdout, result.stdout[-3000:]


CONSENT_SOURCE = """version: 2
sources:
  - name: raw
    schema: "{{ target.schema }}"
    tables:
      - name: consents
        columns:
          - name: subject_id
            config: {meta: {pii: true, pii_type: customer_id}}
          - name: purpose
            config: {meta: {pii: false}}
          - name: granted
            config: {meta: {pii: false}}
"""


def test_a_consent_source_needs_no_depends_on_hint(lifecycle_project):
    project = lifecycle_project(lambda declared: declared["consent"].update(relation="source('raw', 'consents')"),
                                staging="select {{ pii_guard.protected_select(ref('people')) }}\nfrom {{ ref('people') }}\n")
    (project.project_dir / "models" / "_sources.yml").write_text(CONSENT_SOURCE)
    require_ok(project.dbt("seed"), "dbt seed")
    require_ok(project.dbt("build", "--exclude", "resource_type:seed"), "dbt build")
    _, rows = by_city(project)
    assert {city for city, row in rows.items() if row["email"] is not None} == KEPT
    checked = check(project)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_a_consent_ref_without_the_depends_on_hint_stops_with_the_hint(lifecycle_project):
    project = lifecycle_project(staging="select {{ pii_guard.protected_select(ref('people')) }}\nfrom {{ ref('people') }}\n")
    result = project.dbt("build")
    assert result.returncode == 1
    assert "-- depends_on: {{ ref('consents') }}" in result.stdout


@pytest.mark.parametrize("action, rows_kept", [("nullify", CITIES), ("remove", CITIES - PAST_RETENTION)])
def test_the_safe_copy_applies_consent_and_retention(lifecycle_project, action, rows_kept):
    # A source over the people seed: build_safe_copy copies sources.
    project = lifecycle_project(lambda declared: declared["retention"].update(action=action))
    (project.project_dir / "models" / "_sources.yml").write_text(
        "sources:\n  - name: raw\n    schema: main\n    tables: [{name: people}]\n")
    require_ok(project.dbt("seed"), "dbt seed")
    result = project.dbt("run-operation", "pii_guard.build_safe_copy", "--args", "{schema: people_safe}")
    require_ok(result, "build_safe_copy")
    assert f"({len(rows_kept)} rows, 5 columns)" in result.stdout
    names, rows = by_city(project, "people_safe.people")
    assert names == COLUMNS and set(rows) == rows_kept
    assert {city for city, row in rows.items() if row["email"] is not None} == KEPT
    assert all(row["email"] is None and row["full_name"] is None for city, row in rows.items() if city not in KEPT)
