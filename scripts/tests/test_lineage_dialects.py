"""`pii-guard check` on the warehouses' own SQL: one small project per dialect
(integration_tests/fixtures/dialects/<dialect>/: compiled SQL written by hand
as dbt-snowflake, dbt-bigquery, dbt-databricks and dbt-redshift compile it,
and a project.yml the manifest is built from), its PII held in VARIANT,
OBJECT, JSON, STRUCT, ARRAY and SUPER columns. No such warehouse is reachable
here, so the manifest is built by dialect_manifest() and the check asserted
against each project's hand-written expected.yml: every PII-carrying column of
every model with its origins, every violation with its path and reason, every
unresolved model with its reason."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlglot
import yaml

from pii_guard import cli
from pii_guard.lineage.errors import InputError
from pii_guard.lineage.pipeline import check, trace_project
from pii_guard.lineage.project import load_project
from pii_guard.lineage.propagate import UNKNOWN
from pii_guard.lineage.protection import protecting_macro
from pii_guard.lineage.schemas import schema_for
from pii_guard.lineage.trace import trace_model

FIXTURES = Path(__file__).resolve().parents[2] / "integration_tests" / "fixtures" / "dialects"
DIALECTS = ("snowflake", "bigquery", "databricks", "redshift")


def _column(spec: dict[str, Any]) -> dict[str, Any]:
    meta = {"pii": True} if spec.get("pii") else {}
    return {"name": spec["name"], "data_type": spec.get("data_type"), "meta": meta, "tags": [],
            "config": {"meta": meta, "tags": []}}


def dialect_manifest(directory: Path) -> dict[str, Any]:
    """A minimal valid dbt manifest of the project described in
    `directory`/project.yml: its sources (database, schema, identifier,
    columns with meta pii), and its models (privacy_tier meta, depends_on,
    compiled_code from models/<name>.sql), for metadata.adapter_type `adapter`."""
    spec = yaml.safe_load((directory / "project.yml").read_text())
    package = spec["package"]
    sources: dict[str, Any] = {}
    for qualified, source in spec["sources"].items():
        source_name, table = qualified.split(".")
        uid = f"source.{package}.{source_name}.{table}"
        sources[uid] = {
            "unique_id": uid, "resource_type": "source", "name": table, "source_name": source_name,
            "identifier": source["identifier"], "database": source["database"], "schema": source["schema"],
            "package_name": package, "fqn": [package, source_name, table],
            "original_file_path": "models/sources.yml", "config": {"meta": {}, "tags": []}, "meta": {}, "tags": [],
            "columns": {c["name"]: _column(c) for c in source["columns"]},
        }

    def unique_id(name: str) -> str:
        return f"source.{package}.{name}" if "." in name else f"model.{package}.{name}"

    nodes: dict[str, Any] = {}
    for name, model in spec["models"].items():
        uid = f"model.{package}.{name}"
        meta = {"privacy_tier": model["tier"]}
        nodes[uid] = {
            "unique_id": uid, "resource_type": "model", "name": name, "alias": name,
            "database": model.get("database", spec["database"]), "schema": model.get("schema", spec["schema"]),
            "package_name": package, "fqn": [package, name], "original_file_path": f"models/{name}.sql",
            "language": "sql", "compiled_code": (directory / "models" / f"{name}.sql").read_text(),
            "depends_on": {"nodes": [unique_id(parent) for parent in model["depends_on"]], "macros": []},
            "config": {"materialized": "table", "meta": meta, "tags": []}, "meta": meta, "tags": [],
            "columns": {},
        }
    return {"metadata": {"adapter_type": spec["adapter"], "dbt_version": "1.11.0"}, "nodes": nodes,
            "sources": sources}


def _write_manifest(directory: Path, tmp_path: Path) -> Path:
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(dialect_manifest(directory)))
    return path


def _short(uid_column: str, package: str) -> str:
    """`source.shop.crm.contacts.email` -> `crm.contacts.email`; `model.shop.m.c` -> `m.c`."""
    for prefix in (f"source.{package}.", f"model.{package}."):
        if uid_column.startswith(prefix):
            return uid_column[len(prefix):]
    return uid_column


# -- the fixtures themselves ------------------------------------------------------


@pytest.mark.parametrize("dialect", DIALECTS)
def test_fixture_sql_is_the_dialects_own(dialect):
    """Each model parses in its dialect, and the project is read as that dialect."""
    directory = FIXTURES / dialect
    for sql in (directory / "models").glob("*.sql"):
        assert sqlglot.parse_one(sql.read_text(), read=dialect) is not None, sql.name
    expected = yaml.safe_load((directory / "expected.yml").read_text())
    models = yaml.safe_load((directory / "project.yml").read_text())["models"]
    assert set(expected["carriers"]) | set(expected["unresolved"]) == set(models)
    assert not set(expected["carriers"]) & set(expected["unresolved"])


@pytest.mark.parametrize("dialect", DIALECTS)
def test_manifest_is_read_in_its_dialect(dialect, tmp_path):
    project = load_project(_write_manifest(FIXTURES / dialect, tmp_path))
    assert project.dialect == dialect


# -- the check, column by column ----------------------------------------------------


@pytest.mark.parametrize("dialect", DIALECTS)
def test_pii_carried_column_by_column(dialect, tmp_path):
    """Exactly the columns expected.yml lists carry PII, each from exactly its origins."""
    directory = FIXTURES / dialect
    expected = yaml.safe_load((directory / "expected.yml").read_text())
    project = load_project(_write_manifest(directory, tmp_path))
    package = next(iter(project.nodes.values())).package
    traced = trace_project(project)
    unresolved = {_short(uid, package) for uid in traced.unresolved}
    assert unresolved == set(expected["unresolved"]), traced.unresolved
    for model, columns in expected["carriers"].items():
        uid = f"model.{package}.{model}"
        carried = {}
        for column in traced.traces[uid].columns:
            origins = sorted(_short(f"{o[0]}.{o[1]}", package) for o in traced.flows.get((uid, column), {})
                             if o[1] != UNKNOWN)
            if origins:
                carried[column] = origins
        assert carried == {c: sorted(o) for c, o in columns.items()}, model


@pytest.mark.parametrize("dialect", DIALECTS)
def test_findings(dialect, tmp_path):
    """Every violation (model, column, path, reason) and unresolved model, and nothing else."""
    directory = FIXTURES / dialect
    expected = yaml.safe_load((directory / "expected.yml").read_text())
    report = check(_write_manifest(directory, tmp_path))
    package = yaml.safe_load((directory / "project.yml").read_text())["package"]
    found = sorted((_short(f"{v.model}.{v.column}", package), [_short(hop, package) for hop in v.path], v.reason)
                   for v in report.violations)
    assert found == sorted((v["at"], v["path"], v["reason"]) for v in expected["violations"])
    for violation in report.violations:
        assert violation.source == f"{violation.path[0]}" and violation.file == \
            f"models/{violation.model.split('.')[-1]}.sql"
    reasons = {_short(u.model, package): u.reason for u in report.unresolved}
    assert set(reasons) == set(expected["unresolved"])
    for model, start in expected["unresolved"].items():
        assert reasons[model].startswith(start), (model, reasons[model])
    assert report.exit_code == 1
