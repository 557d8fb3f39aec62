"""`pii-guard classify`: the detectors one by one, the measured floors on the
labelled set and the held-out set, the yml patch, the report never holding a sampled value, bad
input, and end to end on the integration project (DuckDB, and PostgreSQL
sampled through the dbt profile)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from dbt_harness import INTEGRATION, REPO, DbtProject, require_ok
from pii_guard import cli
from pii_guard.classify.names import read_name
from pii_guard.classify.patch import edit_yml, unified
from pii_guard.classify.propose import propose_column
from pii_guard.classify.values import (birth_date_share, is_card_number, is_email, is_ip_address, is_phone,
                                       is_ssn, luhn_valid, value_shares)

PII_GUARD = str(Path(sys.executable).parent / "pii-guard")
sys.path.insert(0, str(REPO / "benchmarks"))


# --- detectors -----------------------------------------------------------------------------

@pytest.mark.parametrize("number, valid", [("4111111111111111", True), ("4111111111111121", False),
                                           ("79927398713", True), ("79927398710", False)])
def test_luhn(number, valid):
    assert luhn_valid(number) is valid


def test_card_numbers_need_a_network_prefix_and_length():
    assert is_card_number("5555 5555 5555 4444") and is_card_number("3530111333300000")
    assert not is_card_number("4111 1111 1111 1112")  # Luhn fails
    assert not is_card_number("1234567812345670")  # Luhn passes, no network starts with 1
    assert not is_card_number("41111111111111111111")  # 20 digits


@pytest.mark.parametrize("ssn", ["000-12-3456", "666-12-3456", "900-12-3456", "999-17-5017", "123-00-4567",
                                 "123-45-0000"])
def test_ssn_invalid_areas_groups_serials(ssn):
    assert not is_ssn(ssn)


def test_ssn_valid():
    assert is_ssn("123-45-6789") and is_ssn("899-99-9999")


def test_ip_addresses_v4_and_v6():
    assert is_ip_address("2001:db8::8a2e:370:7334") and is_ip_address("::1") and is_ip_address("192.0.2.1")
    assert not is_ip_address("256.1.1.1") and not is_ip_address("1.2.840.10008")


def test_emails_with_plus_signs_and_subdomains():
    assert is_email("ann.lee+promo@mail.example.co.uk") and is_email("o'neil@example.com")
    assert not is_email("ann.lee@") and not is_email("not an email") and not is_email("a@b")


def test_phone_false_positives():
    # Order numbers, amounts and dates are not phones; bare digits only when the name says phone.
    for text in ("5001", "120.50", "100234", "2023-01-17", "1234567890", "0175550123"):
        assert not is_phone(text), text
    assert not is_phone("(017) 555-0123")  # NANP area codes never start with 0 or 1
    assert is_phone("+1 (617) 555-0123") and is_phone("+49 30 901820") and is_phone("617-555-0123 x12")
    orders = value_shares([str(100000 + 37 * i) for i in range(50)])
    assert "phone" not in orders.shares


def test_birth_dates_against_order_dates():
    today = dt.date(2024, 6, 30)
    births = [dt.date(1940 + 3 * i, 1 + i % 12, 1 + i % 27) for i in range(25)]
    orders = [dt.date(2023, 1 + i % 12, 1 + i % 27) for i in range(25)]
    assert birth_date_share(births, today) == 1.0
    assert birth_date_share(orders, today) == 0.0
    too_old = [dt.date(1850 + 5 * i, 1, 1) for i in range(10)]
    assert birth_date_share(too_old, today) < 0.5
    assert propose_column("order_date", "orders", [str(d) for d in births]).pii is False
    assert propose_column("dob", "people", [str(d) for d in births]).pii_type == "birth_date"


@pytest.mark.parametrize("name, relation", [
    ("email_verified", "users"), ("zip_count", "stores"), ("phone_type", "contacts"), ("product_name", "orders"),
    ("name", "products"), ("provider_name", "appointments"), ("company_name", "accounts"), ("order_id", "orders"),
    ("email_hash", "stg_customers"), ("is_email_opt_in", "users"), ("phone", "providers"), ("event_id", "events"),
])
def test_false_friend_names_are_not_pii(name, relation):
    reading = read_name(name, relation)
    assert reading.pii_type is None and reading.strength > 0, reading


@pytest.mark.parametrize("name, pii_type", [
    ("dob", "birth_date"), ("SSN", "national_id"), ("tel", "phone"), ("postal_code", "zip"), ("addr1", "address"),
    ("fname", "name"), ("ip", "ip_address"), ("cc_num", "card_number"), ("CustomerEmail", "email"),
    ("PATIENTID", "customer_id"), ("member_id", "identifier"), ("admission_date", "date_of_service"),
    ("zipcode", "zip"), ("LastName", "name"), ("social_security_number", "national_id"),
])
def test_pii_names_and_abbreviations(name, pii_type):
    assert read_name(name, "customers").pii_type == pii_type


def test_values_overrule_a_silent_name_and_the_evidence_holds_counts_only():
    proposal = propose_column("contact", "people", ["ann@example.com", "bo+x@example.org"] * 15)
    assert (proposal.pii, proposal.pii_type, proposal.treatment) == (True, "email", {"treatment": "hash_email"})
    assert proposal.evidence == ["100% of 30 sampled values are emails"]


def test_a_name_contradicted_by_values_is_still_pii_with_less_confidence():
    proposal = propose_column("email", "people", ["yes", "no"] * 20)
    assert proposal.pii and proposal.confidence < 0.5
    assert "0% of 40 sampled values are emails" in proposal.evidence


# --- measured floors on the labelled sets ---------------------------------------------------

def test_labelled_set_floors():
    import bench_classify

    columns = bench_classify.load()
    assert len(columns) >= 300 and sum(not c["pii"] for c in columns) >= 150
    names, _ = bench_classify.evaluate(columns, with_values=False)
    values, _ = bench_classify.evaluate(columns, with_values=True)
    assert values["recall"] >= 0.9 and values["precision"] >= 0.9 and values["type_accuracy"] >= 0.9, values
    assert names["recall"] >= 0.85 and names["precision"] >= 0.85, names


def test_heldout_set_floors():
    """The held-out set (never used to tune the rules): floors 0.1 under what was measured
    (names + values: precision 0.825, recall 0.819, pii_type 0.933; names only: 0.832, 0.819, 0.933)."""
    import bench_classify

    columns = bench_classify.load(bench_classify.HELDOUT)
    assert len(columns) >= 300 and sum(not c["pii"] for c in columns) >= 150
    assert len({c["source"].split(":")[0] for c in columns}) >= 4
    names, _ = bench_classify.evaluate(columns, with_values=False)
    values, _ = bench_classify.evaluate(columns, with_values=True)
    assert values["precision"] >= 0.72 and values["recall"] >= 0.71 and values["type_accuracy"] >= 0.83, values
    assert names["precision"] >= 0.73 and names["recall"] >= 0.71 and names["type_accuracy"] >= 0.83, names


# --- the patch --------------------------------------------------------------------------------

SOURCES_YML = """\
version: 2
sources:
  - name: crm   # the CRM export
    tables:
      - name: people
        columns:
          - name: id
            description: the key
          # email is declared elsewhere
          - name: phone
            config: {tags: [contact]}
      - name: orders
      - {name: flowy, columns: [{name: a}]}
"""


def test_patch_keeps_comments_and_places_each_kind_of_column(tmp_path):
    entities = [("source", "crm", "people", {"id": {"pii": True, "pii_type": "customer_id", "treatment": "pseudonymize"},
                                              "phone": {"pii": True, "pii_type": "phone"},
                                              "email": {"pii": True, "pii_type": "email"}}),
                ("source", "crm", "orders", {"order_id": {"pii": False}}),
                ("source", "crm", "flowy", {"a": {"pii": False}})]
    edited, notes = edit_yml(SOURCES_YML, entities)
    assert edited.splitlines() == SOURCES_YML.splitlines()[:7] + [
        "            config: {meta: {pii: true, pii_type: customer_id, treatment: pseudonymize}}",
        "            description: the key",
        "          # email is declared elsewhere",
        "          - name: phone",
        "            config: {tags: [contact]}",
        "          - name: email",
        "            config: {meta: {pii: true, pii_type: email}}",
        "      - name: orders",
        "        columns:",
        "          - name: order_id",
        "            config: {meta: {pii: false}}",
        "      - {name: flowy, columns: [{name: a}]}",
    ]
    assert len(notes) == 2 and any("crm.people.phone" in n for n in notes) and any("crm.flowy.a" in n for n in notes)
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "s.yml").write_text(SOURCES_YML)
    (tmp_path / "p.patch").write_text(unified("models/s.yml", SOURCES_YML, edited))
    subprocess.run(["git", "apply", "p.patch"], cwd=tmp_path, check=True)
    assert (tmp_path / "models" / "s.yml").read_text() == edited


def test_patch_of_a_file_without_its_last_newline_applies(tmp_path):
    text = "models:\n  - name: m\n    columns:\n      - name: a"
    edited, _ = edit_yml(text, [("model", None, "m", {"b": {"pii": False}})])
    assert edited.endswith("      - name: b\n        config: {meta: {pii: false}}\n")
    (tmp_path / "m.yml").write_text(text)
    (tmp_path / "p.patch").write_text(unified("m.yml", text, edited))
    subprocess.run(["git", "apply", "p.patch"], cwd=tmp_path, check=True)
    assert (tmp_path / "m.yml").read_text() == edited


def test_unparseable_yml_gets_notes_not_a_patch():
    edited, notes = edit_yml("models: [\n", [("model", None, "m", {"a": {"pii": False}})])
    assert edited == "models: [\n" and "does not parse" in notes[0]


# --- a small project: report holds no values, bad input ------------------------------------

SECRET_VALUES = ["zelda.quartz+x@example.com", "(617) 555-0142", "203.0.113.99"]


def small_project(root: Path) -> tuple[Path, Path]:
    """A manifest with one source (no columns declared) and a DuckDB file with its table."""
    (root / "models").mkdir(parents=True)
    (root / "models" / "sources.yml").write_text("version: 2\nsources:\n  - name: crm\n    tables:\n      - name: people\n")
    manifest = {"metadata": {"adapter_type": "duckdb", "project_name": "p"}, "nodes": {}, "sources": {
        "source.p.crm.people": {"unique_id": "source.p.crm.people", "resource_type": "source", "name": "people",
                                "source_name": "crm", "identifier": "people", "database": "w", "schema": "main",
                                "package_name": "p", "original_file_path": "models/sources.yml", "columns": {}}}}
    (root / "target").mkdir()
    (root / "target" / "manifest.json").write_text(json.dumps(manifest))
    database = root / "w.duckdb"
    with duckdb.connect(str(database)) as connection:
        connection.execute("create table people (contact varchar, tel varchar, seen_from varchar, n integer)")
        for i in range(30):
            connection.execute("insert into people values (?, ?, ?, ?)", [*SECRET_VALUES, i])
    return root, database


@pytest.mark.parametrize("output_format", ["text", "json", "yaml-patch"])
def test_report_never_holds_a_sampled_value(tmp_path, capsys, output_format):
    root, database = small_project(tmp_path)
    code = cli.main(["classify", "--project-dir", str(root), "--duckdb", str(database), "--format", output_format])
    out = capsys.readouterr().out
    assert code == 0
    for value in SECRET_VALUES + ["zelda", "555-0142", "113.99"]:
        assert value not in out
    if output_format == "json":
        report = json.loads(out)
        proposals = {p["column"]: p for p in report["relations"][0]["proposals"]}
        assert proposals["contact"]["pii_type"] == "email" and proposals["tel"]["pii_type"] == "phone"
        assert proposals["seen_from"]["pii_type"] == "ip_address" and proposals["n"]["pii"] is False
        assert report["relations"][0]["sampled_rows"] == 30


def test_a_relation_that_cannot_be_read_is_names_only(tmp_path, capsys):
    root, _ = small_project(tmp_path)
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    manifest = json.loads((root / "target" / "manifest.json").read_text())
    manifest["sources"]["source.p.crm.people"]["columns"] = {"email": {"name": "email"}}
    (root / "target" / "manifest.json").write_text(json.dumps(manifest))
    assert cli.main(["classify", "--project-dir", str(root), "--duckdb", str(empty), "--format", "json"]) == 0
    relation = json.loads(capsys.readouterr().out)["relations"][0]
    assert relation["not_sampled"].startswith("Catalog Error") and relation["proposals"][0]["pii_type"] == "email"


def run_cli(*args: str) -> tuple[int, str, str]:
    result = subprocess.run([PII_GUARD, "classify", *args], capture_output=True, text=True)
    return result.returncode, result.stdout, result.stderr


def test_missing_manifest(tmp_path):
    code, out, err = run_cli("--project-dir", str(tmp_path))
    assert (code, out) == (2, "") and err.startswith("error: manifest.json not found at ")
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_unknown_format(tmp_path):
    code, out, err = run_cli("--project-dir", str(tmp_path), "--format", "xml")
    assert (code, out) == (2, "") and "invalid choice: 'xml'" in err and "Traceback" not in err


def test_unreadable_duckdb_file(tmp_path):
    root, _ = small_project(tmp_path)
    garbage = tmp_path / "garbage.duckdb"
    garbage.write_text("this is not a database\n" * 100)
    output = tmp_path / "report.txt"
    code, out, err = run_cli("--project-dir", str(root), "--duckdb", str(garbage), "--output", str(output))
    assert (code, out) == (2, "") and err.startswith(f"error: --duckdb {garbage} cannot be opened as a DuckDB database")
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1 and not output.exists()
    code, _, err = run_cli("--project-dir", str(root), "--duckdb", str(tmp_path / "nowhere.duckdb"))
    assert code == 2 and "no such file" in err


# --- end to end on the integration project ------------------------------------------------

REMOVED = {"email": "email", "phone": "phone", "birth_date": "birth_date", "ssn": "national_id"}


def _copy_without_declarations(tmp_path: Path) -> Path:
    """The integration project in tmp_path, raw_customers' email, phone,
    birth_date and ssn declarations removed (phone's entry kept, bare)."""
    copy = tmp_path / "project"
    shutil.copytree(INTEGRATION, copy, symlinks=True,
                    ignore=shutil.ignore_patterns("target", "logs", "dbt_packages", "package-lock.yml"))
    (copy / "packages.yml").write_text(f"packages:\n  - local: {REPO}\n")
    sources = copy / "models" / "warehouse" / "staging" / "_sources.yml"
    text = sources.read_text()
    for line in ("          - name: email\n            config: {meta: {pii: true, pii_type: email}}\n",
                 "            config: {meta: {pii: true, pii_type: phone}}\n",
                 "          - name: birth_date\n            config: {meta: {pii: true, pii_type: birth_date}}\n",
                 "          - name: ssn\n            config: {meta: {pii: true, pii_type: national_id}, tags: [pii]}\n"):
        assert line in text
        text = text.replace(line, "", 1)
    sources.write_text(text)
    return copy


def _raw_customers(report: dict) -> dict[str, dict]:
    relation = next((r for r in report["relations"] if r["unique_id"].endswith("raw.raw_customers")), None)
    return {p["column"]: p for p in relation["proposals"]} if relation else {}


def test_integration_project_duckdb_patch_applies_and_classifies(tmp_path, dbt_packages):
    copy = _copy_without_declarations(tmp_path)
    project = DbtProject(tmp_path / "work", key="0" * 64, project_dir=copy)
    for step in (("deps",), ("seed",), ("compile",), ("docs", "generate")):
        require_ok(project.dbt(*step), f"dbt {' '.join(step)}")
    manifest = project.target_path / "manifest.json"
    args = ["--project-dir", str(copy), "--manifest", str(manifest), "--duckdb", str(project.database)]
    code, out, err = run_cli(*args, "--format", "json")
    assert code == 0, err
    proposals = _raw_customers(json.loads(out))
    assert {c: proposals[c]["pii_type"] for c in REMOVED} == REMOVED
    assert all(proposals[c]["confidence"] >= 0.9 for c in REMOVED), proposals
    assert proposals["birth_date"]["treatment_args"] == {"grain": "year"}

    patch = tmp_path / "pii.patch"
    code, _, err = run_cli(*args, "--format", "yaml-patch", "--output", str(patch))
    assert code == 0, err
    subprocess.run(["git", "apply", "--check", str(patch)], cwd=copy, check=True)
    subprocess.run(["git", "apply", str(patch)], cwd=copy, check=True)
    require_ok(project.dbt("compile"), "dbt compile (patched)")
    test = project.dbt("test", "--select", "source:raw.raw_customers,test_name:all_columns_classified")
    require_ok(test, "all_columns_classified on raw_customers after the patch")
    code, out, err = run_cli(*args, "--format", "json")
    assert code == 0 and not _raw_customers(json.loads(out)), err


def test_integration_project_sampled_through_postgres_profile(built_project_pg):
    project, _ = built_project_pg
    args = ["--project-dir", str(INTEGRATION), "--manifest", str(project.target_path / "manifest.json"),
            "--sample", "profile", "--profiles-dir", str(INTEGRATION), "--target", "postgres", "--format", "json"]
    result = subprocess.run([PII_GUARD, "classify", *args], capture_output=True, text=True, env=project.env(),
                            cwd=INTEGRATION, timeout=600)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    # Every raw column is classified; stg_orders' columns are not (its yml
    # lists some of them for tests only).
    orders = next(r for r in report["relations"] if r["unique_id"].endswith(".stg_orders"))
    [(row_count,)] = project.query("select count(*) from main_staging.stg_orders")
    assert orders["sampled_rows"] == row_count and orders["not_sampled"] is None
    proposals = {p["column"]: p for p in orders["proposals"]}
    assert proposals["order_id"]["pii"] is False
    assert any("sampled values" in e for e in proposals["order_id"]["evidence"])
    # The report holds counts and shares, never a sampled value.
    for (email_hash,) in project.query("select email_hash from main_staging.stg_orders where email_hash is not null"):
        assert email_hash not in result.stdout and email_hash not in result.stderr
