"""Policies in yml: the vocabulary (policy_rules) and protected_select."""

from __future__ import annotations

import json
import re
from pathlib import Path

from pii_guard.policies import POLICY_RULES

REPO = Path(__file__).resolve().parents[2]


def test_python_and_macro_policy_rules_are_one_description():
    text = (REPO / "macros" / "policies" / "policy_rules.sql").read_text()
    literal = re.search(r"return\((\{.*\})\)", text, re.S).group(1)
    assert json.loads(literal) == POLICY_RULES


# --- protected_select on the policies fixture -------------------------------

import datetime as dt
import hashlib
import hmac
import shutil
import subprocess
import sys

import pytest
import yaml

from dbt_harness import DbtProject, require_ok

FIXTURE = REPO / "integration_tests" / "fixtures" / "policies"
PII_GUARD = str(Path(sys.executable).parent / "pii-guard")
KEY = "0123456789abcdef" * 2
SEEDS_YML = Path("seeds") / "_seeds.yml"
# people.csv's columns, and what stg_people keeps of them (notes is dropped).
PEOPLE = ["person_id", "email", "phone", "full_name", "birth_date", "zip", "ssn", "visit_date", "notes", "city"]
PROTECTED = [name for name in PEOPLE if name != "notes"]


def reference_hmac(text: str) -> str:
    """The independent reference: Python's hmac, as the README defines hash_pii."""
    return hmac.new(KEY.encode(), text.encode(), hashlib.sha256).hexdigest()


@pytest.fixture
def policies_project(request, tmp_path, dbt_packages):
    """A factory: the fixture copied to tmp_path on the engine of the test's
    parameter (DuckDB unless parametrized), its seed yml edited by `edit`."""
    engine = getattr(request, "param", "duckdb")
    extra_env = request.getfixturevalue("postgres_database")("policies") if engine == "postgres" else {}

    def make(edit=None, project_vars: dict | None = None) -> DbtProject:
        directory = tmp_path / "project"
        shutil.copytree(FIXTURE, directory, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))
        (directory / "packages.yml").write_text(f"packages:\n  - local: {REPO}\n")
        if edit is not None:
            properties = yaml.safe_load((directory / SEEDS_YML).read_text())
            edit({c["name"]: c for c in properties["seeds"][0]["columns"]}, properties["seeds"][0]["columns"])
            (directory / SEEDS_YML).write_text(yaml.safe_dump(properties, sort_keys=False))
        if project_vars is not None:
            with (directory / "dbt_project.yml").open("a") as settings:
                settings.write("\n" + yaml.safe_dump({"vars": project_vars}))
        made = DbtProject(tmp_path, key=KEY, project_dir=directory, target=engine, extra_env=extra_env)
        require_ok(made.dbt("deps"), "dbt deps")
        return made

    return make


def check(project: DbtProject) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PII_GUARD, "check", "--project-dir", str(project.project_dir),
                           "--manifest", str(project.target_path / "manifest.json"), "--no-catalog"],
                          capture_output=True, text=True, env=project.env())


@pytest.mark.parametrize("policies_project", ["duckdb", "postgres", "spark"], indirect=True)
def test_protected_select_applies_every_policy_and_keeps_the_schema(policies_project):
    project = policies_project()
    require_ok(project.dbt("build"), "dbt build")
    names, rows = project._run("select * from main.stg_people order by city")
    assert [name.lower() for name in names] == PROTECTED
    by_city = {row[names.index("city")]: dict(zip(PROTECTED, row)) for row in rows}
    ann = by_city["Boston"]
    # surrogate_key of one value: HMAC of "<byte length>:<text>".
    assert ann["person_id"] == reference_hmac("1:1")
    assert ann["email"] == reference_hmac("ann.lee@example.com")
    assert ann["full_name"] == reference_hmac("Ann Lee")
    assert ann["phone"] == "*" * 9 + "23"
    assert ann["birth_date"] == dt.date(1990, 1, 1)  # birth_date's default: the year
    assert ann["zip"] == "021"
    assert ann["ssn"] is None
    assert abs((ann["visit_date"] - dt.date(2023, 1, 10)).days) <= 30
    assert by_city["Austin"]["zip"] == "000"  # ZIP3 036 is restricted under Safe Harbor
    assert by_city["Austin"]["phone"] is None
    # Types are kept where the treatment can: dates stay dates.
    assert isinstance(by_city["Denver"]["visit_date"], dt.date)
    # Both checks see protected columns only: the safe model over them is clean.
    assert check(project).returncode == 0, check(project).stdout


def test_kept_pii_reaches_the_safe_model_in_both_checks(policies_project):
    def keep_email(columns, _):
        columns["email"]["config"]["meta"].update(treatment="keep", treatment_reason="support needs it")

    project = policies_project(keep_email)
    result = project.dbt("build")
    assert result.returncode == 1
    assert "pii_guard: violation: model.policies_fixture.safe_people.email: select * passes PII column email" in result.stdout
    assert "FAIL 1 no_pii_in_safe_models" in result.stdout
    checked = check(project)
    assert checked.returncode == 1
    assert checked.stdout.count("VIOLATION") == 1
    assert "VIOLATION model.policies_fixture.safe_people.email <- seed.policies_fixture.people.email" in checked.stdout


def _meta(column: dict) -> dict:
    return column.setdefault("config", {}).setdefault("meta", {})


# (what is wrong, the edit, what the one error says)
DENIED = [
    ("undeclared column", lambda c, all_: all_.remove(c["city"]),
     "city is in the relation but not declared in yml"),
    ("column listed without a declaration", lambda c, _: c["city"].pop("config"),
     "city is not classified: declare meta pii true"),
    ("unreadable pii value", lambda c, _: _meta(c["city"]).update(pii="maybe"),
     'city pii "maybe" is not one of true/false'),
    ("unknown treatment", lambda c, _: _meta(c["email"]).update(treatment="scramble"),
     'email meta treatment "scramble" is not one of hash, hash_email'),
    ("pii_type without a default", lambda c, _: _meta(c["notes"]).pop("treatment"),
     "notes has pii_type free_text, which has no default treatment"),
    ("PII without type or treatment", lambda c, _: _meta(c["full_name"]).pop("pii_type"),
     "full_name is PII with neither a pii_type nor a treatment"),
    ("kept without a reason", lambda c, _: _meta(c["email"]).update(treatment="keep"),
     "email is PII kept as is without a reason"),
    ("unknown argument", lambda c, _: _meta(c["phone"]).update(treatment_args={"keep_first": 2}),
     "phone treatment mask_phone takes keep_last; got keep_first"),
    ("integer pseudonym of text", lambda c, _: _meta(c["email"]).update(treatment="pseudonymize_int"),
     "email has treatment pseudonymize_int but is"),
    ("date shift without a subject column", lambda c, _: _meta(c["visit_date"]).update(treatment_args={"subject": "patient"}),
     'visit_date has treatment shift_date, whose treatment_args.subject must name a column of the relation'),
    ("declared column the relation lacks", lambda c, all_: all_.append({"name": "nickname", "config": {"meta": {"pii": False}}}),
     "nickname is declared in yml but the relation has no such column"),
]


@pytest.fixture(scope="module")
def seeded_policies(tmp_path_factory, dbt_packages):
    """The fixture seeded once on DuckDB; each case rewrites its seed yml and
    runs only stg_people, which no case ever builds."""
    workdir = tmp_path_factory.mktemp("policies_denied")
    directory = workdir / "project"
    shutil.copytree(FIXTURE, directory, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))
    (directory / "packages.yml").write_text(f"packages:\n  - local: {REPO}\n")
    project = DbtProject(workdir, key=KEY, project_dir=directory)
    require_ok(project.dbt("deps"), "dbt deps")
    require_ok(project.dbt("seed"), "dbt seed")
    return project, (directory / SEEDS_YML).read_text()


def _edited(pristine: str, edit) -> str:
    properties = yaml.safe_load(pristine)
    edit({c["name"]: c for c in properties["seeds"][0]["columns"]}, properties["seeds"][0]["columns"])
    return yaml.safe_dump(properties, sort_keys=False)


@pytest.mark.parametrize("case", DENIED, ids=[case[0] for case in DENIED])
def test_default_deny_stops_compilation_with_one_clear_error(seeded_policies, case):
    _, edit, message = case
    project, pristine = seeded_policies
    (project.project_dir / SEEDS_YML).write_text(_edited(pristine, edit))
    result = project.dbt("run", "--select", "stg_people")
    assert result.returncode != 0
    assert "1 column(s) cannot be protected: " + message in result.stdout, result.stdout[-3000:]
    assert "Traceback" not in result.stdout + result.stderr
    assert "docs/macros.md, 'Policies in yml'" in result.stdout
    # Nothing was built from a relation whose columns are not all classified.
    assert not project.query("select 1 from information_schema.tables where table_name = 'stg_people'")


def test_every_problem_is_named_in_one_error(seeded_policies):
    def two_problems(columns, all_):
        all_.remove(columns["city"])
        _meta(columns["email"]).update(treatment="scramble")

    project, pristine = seeded_policies
    (project.project_dir / SEEDS_YML).write_text(_edited(pristine, two_problems))
    result = project.dbt("compile", "--select", "stg_people")
    assert result.returncode != 0
    assert "2 column(s) cannot be protected: email meta treatment" in result.stdout
    assert "city is in the relation but not declared in yml" in result.stdout


def test_project_vars_override_the_default_treatment(policies_project):
    project = policies_project(project_vars={"pii_guard_treatments": {"email": "mask_email",
                                                                      "birth_date": {"treatment": "generalize_date",
                                                                                     "treatment_args": {"grain": "month"}}}})
    require_ok(project.dbt("build"), "dbt build")
    rows = {row[0]: row[1:] for row in project.query("select city, email, birth_date from main.stg_people")}
    assert rows["Boston"][0] != reference_hmac("ann.lee@example.com")
    assert "@example.com" in rows["Boston"][0] and "ann" not in rows["Boston"][0].lower()
    assert rows["Boston"][1] == dt.date(1990, 6, 1)


@pytest.mark.parametrize("override, message", [
    ({"email": "scramble"}, 'var pii_guard_treatments "scramble" is not one of'),
    ({"email": ["hash"]}, "var pii_guard_treatments entry email must be a treatment name"),
    ("hash", "var pii_guard_treatments must map pii_type to a treatment"),
])
def test_bad_project_overrides_are_errors(policies_project, override, message):
    project = policies_project(project_vars={"pii_guard_treatments": override})
    require_ok(project.dbt("seed"), "dbt seed")
    result = project.dbt("compile", "--select", "stg_people")
    assert result.returncode != 0
    assert message in result.stdout, result.stdout[-2000:]


def test_columns_come_from_yml_before_the_relation_is_built(policies_project):
    project = policies_project()
    require_ok(project.dbt("compile", "--select", "stg_people"), "dbt compile (no seed loaded)")
    compiled = (project.target_path / "compiled" / "policies_fixture" / "models" / "staging" / "stg_people.sql").read_text()
    aliases = re.findall(r'\bas "(\w+)"(?:,|\s*\n\s*from)', compiled)  # column_identifier quotes every name
    assert aliases == PROTECTED


# Forms of protected_select the dbt-side checks cannot read from the text.
UNREADABLE = {
    "relation in a variable": "{% set people = ref('people') %}\nselect {{ pii_guard.protected_select(people) }}\nfrom {{ people }}\n",
    "call in a set block": "{% set columns = pii_guard.protected_select(ref('people')) %}\nselect {{ columns }}\nfrom {{ ref('people') }}\n",
    "call inside an expression": "select {{ pii_guard.protected_select(ref('people')) ~ '' }}\nfrom {{ ref('people') }}\n",
}


@pytest.mark.parametrize("form", list(UNREADABLE))
def test_a_form_the_checks_cannot_read_is_never_assumed_protected(policies_project, form):
    def keep_email(columns, _):
        columns["email"]["config"]["meta"].update(treatment="keep", treatment_reason="support needs it")

    # email is kept as is: were the form read as "all protected", the leak would pass unseen.
    project = policies_project(keep_email)
    (project.project_dir / "models" / "staging" / "stg_people.sql").write_text(UNREADABLE[form])
    require_ok(project.dbt("seed"), "dbt seed")
    require_ok(project.dbt("run"), "dbt run")
    result = project.dbt("test")
    # Every PII column of people that the safe model has is reported (notes was dropped).
    assert result.returncode == 1
    assert "FAIL 8 no_pii_in_safe_models" in result.stdout
    # pii-guard check reads the compiled SQL: exactly the kept email.
    require_ok(project.dbt("compile"), "dbt compile")
    checked = check(project)
    assert checked.returncode == 1 and checked.stdout.count("VIOLATION") == 1, checked.stdout


def test_a_safe_model_with_an_unreadable_form_says_why(policies_project):
    project = policies_project()
    (project.project_dir / "models" / "safe" / "safe_people.sql").write_text(UNREADABLE["call in a set block"])
    require_ok(project.dbt("seed"), "dbt seed")
    result = project.dbt("build")
    assert result.returncode == 1
    assert ("pii_guard: violation: model.policies_fixture.safe_people.email: pii_guard.protected_select is used "
            "in a form this test cannot read") in result.stdout


@pytest.mark.parametrize("argument", ["'people'", "{'identifier': 'people'}", "none"])
def test_protected_select_needs_a_relation(policies_project, argument):
    project = policies_project()
    (project.project_dir / "models" / "staging" / "stg_people.sql").write_text(
        f"select {{{{ pii_guard.protected_select({argument}) }}}}\nfrom {{{{ ref('people') }}}}\n")
    result = project.dbt("compile", "--select", "stg_people")
    assert result.returncode != 0
    assert "pii_guard.protected_select: relation must be a relation such as source('crm', 'customers')" in result.stdout


def test_an_incremental_policy_model_is_stopped_under_a_changed_key(policies_project):
    """protected_select hashes through the treatments' macros, which dbt does
    not record on the model: the key-rotation hooks must still see it keyed."""
    project = policies_project()
    (project.project_dir / "models" / "staging" / "people_log.sql").write_text(
        "{{ config(materialized='incremental') }}\n"
        "select {{ pii_guard.protected_select(ref('people')) }}\nfrom {{ ref('people') }}\n")
    require_ok(project.dbt("build", "--select", "people", "people_log"), "dbt build under the first key")
    [(rows,)] = project.query("select count(*) from main.people_log")
    project.key = "fedcba9876543210" * 2
    result = project.dbt("run", "--select", "people_log")
    assert result.returncode != 0
    assert "pii_guard: the key changed since these relations were built" in result.stdout
    assert "model people_log (" in result.stdout
    assert project.query("select count(*) from main.people_log") == [(rows,)]


def test_the_integration_project_compiles_before_raw_is_loaded(tmp_path, dbt_packages):
    """`dbt compile` with nothing built (the CI recipe of pii-guard check):
    protected_select reads the columns and declared types from yml."""
    project = DbtProject(tmp_path, key=KEY)
    require_ok(project.dbt("compile"), "dbt compile on an empty warehouse")
    compiled = (project.target_path / "compiled" / "pii_guard_integration_tests" / "models" / "warehouse"
                / "staging" / "stg_events.sql").read_text()
    assert 'pii_guard_pseudonymize_int(cast("customer_id" as bigint)' in compiled


# A seed and a source over the same table: one relation, one reading of its
# declarations for both the SQL and the dbt-side checks.
SOURCE_OVER_SEED = """version: 2
sources:
  - name: app
    schema: main
    tables:
      - name: people
        columns:
          - name: email
            config: {{meta: {email}}}
"""


def test_a_kept_column_declared_on_the_source_over_a_seed_is_caught(policies_project):
    """protected_select(ref('people')) reads the source's keep too; the dbt
    test must read the same, not the seed's hash."""
    project = policies_project()
    (project.project_dir / "models" / "staging" / "_app.yml").write_text(
        SOURCE_OVER_SEED.format(email='{pii: true, pii_type: email, treatment: keep, treatment_reason: "support"}'))
    result = project.dbt("build")
    assert result.returncode == 1
    assert "pii_guard: violation: model.policies_fixture.safe_people.email: select * passes PII column email" in result.stdout
    assert "FAIL 1 no_pii_in_safe_models" in result.stdout


def test_a_column_any_description_declares_pii_is_pii(policies_project):
    """The source over the seed says email is not PII, the seed says it is:
    PII wins, so protected_select hashes it."""
    project = policies_project()
    (project.project_dir / "models" / "staging" / "_app.yml").write_text(SOURCE_OVER_SEED.format(email="{pii: false}"))
    (project.project_dir / "models" / "staging" / "stg_people.sql").write_text(
        "select {{ pii_guard.protected_select(source('app', 'people')) }}\nfrom {{ source('app', 'people') }}\n")
    require_ok(project.dbt("build"), "dbt build")
    emails = {row[0] for row in project.query("select email from main.stg_people where city = 'Boston'")}
    assert emails == {reference_hmac("ann.lee@example.com")}


KEYWORD_COLUMNS = """version: 2
seeds:
  - name: people
    config:
      column_types: {id: integer, "user": "{{ 'string' if target.type == 'spark' else 'varchar' }}", current_date: date}
    columns:
      - {name: id, config: {meta: {pii: false}}}
      - {name: user, config: {meta: {pii: true, pii_type: email}}}
      - {name: current_date, config: {meta: {pii: false}}}
"""


@pytest.mark.parametrize("policies_project", ["duckdb", "postgres"], indirect=True)
def test_columns_named_like_sql_functions_are_read_as_columns(policies_project):
    """Bare, `user` and `current_date` are the session user and today's date:
    protected_select must hash the column, not the session's user name."""
    project = policies_project()
    (project.project_dir / "seeds" / "people.csv").write_text("id,user,current_date\n1,Ann@Example.com,2001-02-03\n")
    (project.project_dir / SEEDS_YML).write_text(KEYWORD_COLUMNS)
    (project.project_dir / "models" / "safe" / "safe_people.sql").unlink()
    require_ok(project.dbt("seed"), "dbt seed")
    require_ok(project.dbt("run", "--select", "stg_people"), "stg_people")
    [row] = project.rows("main.stg_people")
    assert row["user"] == hmac.new(KEY.encode(), b"ann@example.com", hashlib.sha256).hexdigest()
    assert str(row["current_date"]) == "2001-02-03"
