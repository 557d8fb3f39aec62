"""Erasure, proven (docs/lifecycle.md, 'Erasure'): a forget list, the first layer that
drops forgotten subjects' PII (protected_select, not_forgotten), `pii-guard
erase` planned from the column lineage, and the proof test
forgotten_subjects_erased searching every relation for their values and
pseudonyms. Reference pseudonyms come from Python's hmac, not the macros."""

from __future__ import annotations

import hashlib
import hmac
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dbt_harness import DbtProject, require_ok

REPO = Path(__file__).resolve().parents[2]
FIXTURE = REPO / "integration_tests" / "fixtures" / "erasure"
PII_GUARD = str(Path(sys.executable).parent / "pii-guard")
KEY = "0123456789abcdef" * 2
PROOF = "pii_guard_forgotten_subjects_erased_forget_list_"
FORGOTTEN = {2: ("bob.ray@example.net", "Bob Ray", "+1 303 555 0102"),
             3: ("cy.diaz@example.org", "Cy Diaz", "+1 512 555 0103")}
KEPT = {1: "ann.lee@example.com", 4: "dee.fox@example.com"}
# Every relation holding rows of the people or orders raw seeds, on engines with snapshots.
STORED = ["people_mart", "orders_history", "people_contact", "orders_snapshot"]


def pseudonym(value: str) -> str:
    return hmac.new(KEY.encode(), value.encode(), hashlib.sha256).hexdigest()


def forgotten_forms() -> set[str]:
    """What the proof looks for, computed independently: raw values and their HMAC pseudonyms."""
    forms = set()
    for subject, (email, name, phone) in FORGOTTEN.items():
        forms |= {email, name, phone, pseudonym(str(subject)), pseudonym(email), pseudonym(name), pseudonym(phone)}
    return forms


@pytest.fixture
def erasure_project(request, tmp_path, dbt_packages):
    """The fixture copied to tmp_path, on the engine of the test's parameter."""
    engine = getattr(request, "param", "duckdb")
    extra_env = request.getfixturevalue("postgres_database")("erasure") if engine == "postgres" else {}
    directory = tmp_path / "project"
    shutil.copytree(FIXTURE, directory, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))
    (directory / "packages.yml").write_text(f"packages:\n  - local: {REPO}\n")
    project = DbtProject(tmp_path, key=KEY, project_dir=directory, target=engine, extra_env=extra_env)
    require_ok(project.dbt("deps"), "dbt deps")
    return project


def forget(project: DbtProject, *subjects: int) -> None:
    (project.project_dir / "seeds" / "forget_list.csv").write_text(
        "subject_id\n" + "".join(f"{s}\n" for s in subjects))
    require_ok(project.dbt("seed", "--select", "forget_list"), "dbt seed forget_list")


def erase(project: DbtProject, *extra: str) -> subprocess.CompletedProcess[str]:
    require_ok(project.dbt("compile"), "dbt compile")
    if "--plan" not in extra:
        project.release()  # `pii-guard erase` runs dbt in a process of its own (--plan runs none)
    return subprocess.run([PII_GUARD, "erase", "--project-dir", str(project.project_dir), "--no-catalog",
                           "--manifest", str(project.target_path / "manifest.json"), *extra,
                           "--", "--target", project.target, "--profiles-dir", str(REPO / "integration_tests")],
                          capture_output=True, text=True, env=project.env(), cwd=project.project_dir)


def proof(project: DbtProject) -> tuple[subprocess.CompletedProcess[str], list[dict]]:
    """The proof test's result and its failing rows (relation, column, hits)."""
    result = project.dbt("test", "--select", "forget_list", "--store-failures")
    rows = [] if result.returncode == 0 else project.rows(f"main_dbt_test__audit.{PROOF}")
    return result, sorted(({k.lower(): v for k, v in row.items()} for row in rows),
                          key=lambda r: (r["relation_name"], r["column_name"]))


def hits_by_relation(rows: list[dict]) -> dict[str, int]:
    found: dict[str, int] = {}
    for row in rows:
        name = row["relation_name"].replace('"', "").split(".")[-1]
        found[name] = found.get(name, 0) + 1
    return found


def stored_values(project: DbtProject, relations: list[str]) -> set[str]:
    """Every value, as text, of every column of these relations."""
    values = set()
    for relation in relations:
        for row in project.rows(f"main.{relation}"):
            values |= {str(v) for v in row.values() if v is not None}
    return values


@pytest.mark.parametrize("erasure_project", ["duckdb", "postgres", "spark"], indirect=True)
def test_erasure_reaches_every_stored_relation_survives_the_next_load_and_the_proof_finds_a_skipped_one(erasure_project):
    project = erasure_project
    # Spark: no snapshots without Delta, and staging is tables (a keyed view would hold the key).
    stored = STORED if project.target != "spark" else STORED[:-1] + ["stg_people", "stg_orders"]
    require_ok(project.dbt("build"), "dbt build")
    if project.target != "spark":
        require_ok(project.dbt("snapshot"), "dbt snapshot")
    assert forgotten_forms() & stored_values(project, stored), "the fixture must hold the subjects' PII first"

    # The subjects ask to be forgotten: the proof finds their PII where it is stored.
    forget(project, 2, 3)
    result, rows = proof(project)
    assert result.returncode != 0
    # Views (staging) already drop them: protected_select reads the forget list.
    assert set(hits_by_relation(rows)) == set(stored)
    assert "orders_by_city" not in hits_by_relation(rows)

    # The plan comes from the lineage: the stored relations, not the views or the aggregate.
    planned = erase(project, "--plan")
    assert planned.returncode == 0, planned.stderr
    plan = json.loads(planned.stdout)
    assert sorted(r["node"].split(".")[-1] for r in plan["relations"]) == sorted(stored)
    by_name = {r["node"].split(".")[-1]: r for r in plan["relations"]}
    assert set(by_name["orders_history"]["keys"]) == {"person_key"}
    assert set(by_name["orders_history"]["columns"]) == {"person_key", "email_key"}

    # Erasing all but one relation: the proof names the one skipped, with its columns.
    skipped = "people_mart"
    partial = {"origins": plan["origins"], "relations": [r for r in plan["relations"] if not r["node"].endswith(skipped)]}
    require_ok(project.dbt("run-operation", "pii_guard.erase_subjects", "--args", json.dumps({"plan": partial})),
               "erase all but one")
    result, rows = proof(project)
    assert result.returncode != 0
    assert [(r["relation_name"].replace('"', "").split(".")[-1], r["column_name"].lower(), r["hits"]) for r in rows] \
        == [(skipped, "email_key", 2), (skipped, "person_key", 2)]

    # The whole plan: every relation, and the proof passes.
    erased = erase(project)
    assert erased.returncode == 0, erased.stdout + erased.stderr
    assert f"{skipped}: 2 row(s) erased" in erased.stdout.replace('"', "").replace("main.", "")
    result, rows = proof(project)
    assert result.returncode == 0, result.stdout[-3000:]
    assert not forgotten_forms() & stored_values(project, stored)

    # Kept subjects keep everything; no row is deleted.
    contact = {r["person_id"]: r for r in project.rows("main.people_contact")}
    assert {k: contact[k]["email"] for k in KEPT} == KEPT
    history = project.rows("main.orders_history")
    assert len(history) == 5
    assert {r["email_key"] for r in history if r["order_id"] in (101, 104)} == {pseudonym(e) for e in KEPT.values()}
    assert all(r["person_key"] is None and r["email_key"] is None for r in history if r["order_id"] in (102, 103, 105))

    # The next load: new orders (one of a forgotten subject) and a changed one.
    orders = project.project_dir / "seeds" / "orders.csv"
    text = orders.read_text().replace("102,2,35,placed", "102,2,35,shipped").replace("101,1,20,placed", "101,1,20,shipped")
    orders.write_text(text + "106,3,9,placed,cy.diaz@example.org\n107,4,5,placed,dee.fox@example.com\n")
    require_ok(project.dbt("build"), "dbt build (next load)")
    if project.target != "spark":
        require_ok(project.dbt("snapshot"), "dbt snapshot (next load)")
    result, rows = proof(project)
    assert result.returncode == 0, rows
    history = {r["order_id"]: r for r in project.rows("main.orders_history")}
    assert history[107]["email_key"] == pseudonym(KEPT[4]) and history[106]["email_key"] is None
    if project.target != "spark":
        versions = [r for r in project.rows("main.orders_snapshot") if r["order_id"] == 102]
        assert len(versions) == 2 and all(r["person_id"] is None and r["contact_email"] is None for r in versions)


def _edit_seeds(project: DbtProject, edit) -> None:
    import yaml

    path = project.project_dir / "seeds" / "_seeds.yml"
    properties = yaml.safe_load(path.read_text())
    edit({seed["name"]: seed for seed in properties["seeds"]})
    path.write_text(yaml.safe_dump(properties, sort_keys=False))


def test_a_forget_list_with_a_raw_relation_that_names_no_subject_stops_protected_select(erasure_project):
    project = erasure_project
    _edit_seeds(project, lambda seeds: seeds["orders"]["config"]["meta"].pop("pii_guard"))
    require_ok(project.dbt("seed"), "dbt seed")
    result = project.dbt("run", "--select", "stg_orders")
    assert result.returncode != 0
    assert "a forget list is declared (var pii_guard_forget_list) but the relation names no subject column" in result.stdout
    # The other relation, which names its subject, still builds.
    require_ok(project.dbt("run", "--select", "stg_people"), "stg_people")


@pytest.mark.parametrize("declared, message", [
    ("{relation: \"ref('forget_list')\", subject: subject_id}", "has the unknown key(s) subject"),
    ("\"forget_list\"", "relation must be"),
    ("{relation: \"ref('forget_list')\", subject_column: \"subject id\"}", "subject_column must be a plain column name"),
    ("\"ref('no_such_list')\"", "is no seed, model, snapshot or source of this project"),
])
def test_a_bad_forget_list_declaration_is_one_clear_error(erasure_project, declared, message):
    project = erasure_project
    path = project.project_dir / "dbt_project.yml"
    path.write_text(path.read_text().replace("pii_guard_forget_list: \"ref('forget_list')\"", f"pii_guard_forget_list: {declared}"))
    result = project.dbt("run-operation", "pii_guard.erase_subjects", "--args", '{plan: {origins: [], relations: []}}')
    assert result.returncode != 0
    assert message in result.stdout and "Traceback" not in result.stdout + result.stderr


@pytest.mark.parametrize("args, message", [
    ("{plan: [1, 2]}", "plan must be {origins: [...], relations: [...]}"),
    ("{plan: {origins: [], relations: []}, dry_run: maybe}", "dry_run must be true or false"),
    ("{plan: {origins: [], relations: [{node: model.erasure_fixture.gone, keys: {}, columns: {}}]}}",
     "model.erasure_fixture.gone is no node of this project"),
])
def test_a_bad_plan_is_one_clear_error_and_nothing_is_erased(erasure_project, args, message):
    result = erasure_project.dbt("run-operation", "pii_guard.erase_subjects", "--args", args)
    assert result.returncode != 0
    assert message in result.stdout


def test_dry_run_counts_and_changes_nothing(erasure_project):
    project = erasure_project
    require_ok(project.dbt("build"), "dbt build")
    forget(project, 2)
    before = project.rows("main.people_mart")
    result = erase(project, "--dry-run")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "people_mart: 1 row(s) to erase; columns email_key, person_key" in result.stdout.replace('"', "").replace("main.", "").replace("warehouse.", "")
    assert project.rows("main.people_mart") == before


def test_a_model_the_lineage_cannot_read_is_reported_not_erasable_and_the_command_fails(erasure_project):
    project = erasure_project
    (project.project_dir / "models" / "marts" / "people_py.py").write_text(
        "def model(dbt, session):\n    return dbt.ref('stg_people')\n")
    require_ok(project.dbt("build", "--exclude", "people_py"), "dbt build")
    result = erase(project, "--plan")
    assert result.returncode == 1
    assert "NOT ERASABLE model.erasure_fixture.people_py: a python model cannot be analysed" in result.stderr
    # Every other relation is still planned.
    assert len(json.loads(result.stdout)["relations"]) == 4


def test_erase_without_any_subject_declared_says_what_to_declare(erasure_project):
    project = erasure_project
    _edit_seeds(project, lambda seeds: [seeds[name]["config"]["meta"].pop("pii_guard") for name in ("people", "orders")]
                + [seeds["forget_list"].pop("data_tests")])
    (project.project_dir / "models" / "restricted" / "people_contact.sql").unlink()
    path = project.project_dir / "dbt_project.yml"
    path.write_text(path.read_text().replace("pii_guard_forget_list: \"ref('forget_list')\"", "pii_guard_as_of: null"))
    result = erase(project, "--plan")
    assert result.returncode == 2
    assert "no source or seed declares its data subject" in result.stderr and "Traceback" not in result.stderr


def test_the_safe_copy_leaves_out_forgotten_subjects_pii(erasure_project):
    project = erasure_project
    (project.project_dir / "models" / "_sources.yml").write_text(
        "sources:\n  - name: raw\n    schema: main\n    tables: [{name: people}]\n")
    require_ok(project.dbt("seed"), "dbt seed")
    forget(project, 2, 3)
    require_ok(project.dbt("run-operation", "pii_guard.build_safe_copy", "--args", "{schema: people_safe}"),
               "build_safe_copy")
    rows = {r["city"] + str(i): r for i, r in enumerate(project.rows("people_safe.people"))}
    assert len(rows) == 4
    kept = {r["email"] for r in rows.values() if r["email"] is not None}
    assert kept == {pseudonym(e) for e in KEPT.values()}
    assert not forgotten_forms() & {str(v) for r in rows.values() for v in r.values()}


def test_a_forgotten_id_matching_no_raw_row_fails_the_proof(erasure_project):
    """An id of another type or a typo (99) would otherwise be searched for nothing and pass."""
    project = erasure_project
    require_ok(project.dbt("build"), "dbt build")
    forget(project, 99)
    result, rows = proof(project)
    assert result.returncode != 0
    assert [(r["relation_name"].replace('"', "").split(".")[-1], r["column_name"], r["hits"]) for r in rows] \
        == [("forget_list", "subject_id matching no raw row", 1)]


@pytest.mark.parametrize("erasure_project", ["duckdb", "postgres"], indirect=True)
def test_the_proof_names_each_column_whatever_its_name(erasure_project):
    """The proof reads each relation once, its cells beside their column
    names: a column called like the proof's own (column_name, cell,
    relation_name), one with a quote in its name, and two relations holding
    the same values are each counted on their own; a relation of no
    column is searched without error."""
    project = erasure_project
    awkward = ("select email as column_name, full_name as cell, phone as relation_name, "
               "email as \"it's\", person_id as pii_guard_searched from {{ ref('people') }}")
    (project.project_dir / "models" / "restricted" / "awkward_names.sql").write_text(awkward)
    (project.project_dir / "models" / "restricted" / "awkward_copy.sql").write_text(
        "select * from {{ ref('awkward_names') }} where pii_guard_searched <> 1")
    require_ok(project.dbt("build"), "dbt build")
    if project.target == "postgres":  # DuckDB has no table of no column
        (project.project_dir / "macros").mkdir(exist_ok=True)
        (project.project_dir / "macros" / "no_columns.sql").write_text(
            "{% macro no_columns() %}{% do run_query('create table main.no_columns ()') %}{% endmacro %}")
        require_ok(project.dbt("run-operation", "no_columns"), "a table of no column")
        assert project.query("select count(*) from information_schema.tables where table_name = 'no_columns'") == [(1,)]
    forget(project, 2)
    result, rows = proof(project)
    assert result.returncode != 0
    found = {(r["relation_name"].replace('"', "").split(".")[-1], r["column_name"].lower()): r["hits"] for r in rows
             if "awkward" in r["relation_name"]}
    columns = ["column_name", "cell", "relation_name", "it's", "pii_guard_searched"]
    # Bob (subject 2) has one row; his id, 2, is shorter than min_length and not searched.
    assert found == {(relation, column): 1 for relation in ("awkward_names", "awkward_copy") for column in columns[:4]}
