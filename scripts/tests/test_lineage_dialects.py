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


def dialect_catalog(directory: Path) -> dict[str, Any]:
    """The catalog.json the warehouse would give for the project's sources:
    Snowflake reports unquoted names upper-cased, the others as declared."""
    spec = yaml.safe_load((directory / "project.yml").read_text())
    fold = str.upper if spec["adapter"] == "snowflake" else str.lower
    sources = {}
    for qualified, source in spec["sources"].items():
        sources[f"source.{spec['package']}.{qualified}"] = {
            "metadata": {"database": fold(source["database"]), "schema": fold(source["schema"]),
                         "name": fold(source["identifier"]), "type": "BASE TABLE"},
            "columns": {fold(c["name"]): {"name": fold(c["name"]), "type": c.get("data_type"), "index": i}
                        for i, c in enumerate(source["columns"], 1)},
        }
    return {"metadata": {"dbt_version": "1.11.0"}, "nodes": {}, "sources": sources, "errors": None}


@pytest.mark.parametrize("dialect", DIALECTS)
def test_findings_are_the_same_with_the_warehouses_catalog(dialect, tmp_path):
    """The catalog's names, as the warehouse folds them, match the SQL's."""
    directory = FIXTURES / dialect
    catalog = tmp_path / "catalog.json"
    catalog.write_text(json.dumps(dialect_catalog(directory)))
    manifest = _write_manifest(directory, tmp_path)
    without, with_catalog = check(manifest), check(manifest, catalog)
    assert with_catalog.stats["mode"] == "catalog"
    assert [(v.model, v.column, v.path) for v in with_catalog.violations] == \
        [(v.model, v.column, v.path) for v in without.violations]
    assert [(u.model, u.reason) for u in with_catalog.unresolved] == [(u.model, u.reason) for u in without.unresolved]


# -- single constructs ----------------------------------------------------------------

TABLE = {("raw", "crm", "contacts"): ["contact_id", "payload", "tags", "country_code"]}
CONSTRUCTS = [
    # (dialect, SQL, {output: [columns of raw.crm.contacts it carries]} or the start of the unresolved reason)
    ("snowflake", "select get(payload, 'email') as e, payload['name']['first'] as f from raw.crm.contacts",
     {"e": ["payload"], "f": ["payload"]}),
    ("snowflake", 'select "PAYLOAD":"Email"::varchar as e, CONTACT_ID from RAW.CRM.CONTACTS',
     {"e": ["payload"], "contact_id": ["contact_id"]}),
    ("snowflake", "select s.value as tag, s.index as i, s.seq as n from raw.crm.contacts as c, "
                  "table(split_to_table(c.tags, ',')) as s", {"tag": ["tags"], "i": [], "n": []}),
    ("snowflake", "select f.key as k, f.path as p, f.this as t from raw.crm.contacts, "
                  "lateral flatten(input => payload, recursive => true) as f",
     {"k": ["payload"], "p": ["payload"], "t": ["payload"]}),
    ("snowflake", "select f.value as v from raw.crm.contacts as c, table(flatten(c.payload:phones)) as f",
     {"v": ["payload"]}),
    ("snowflake", "select * from table(result_scan(last_query_id()))", "reads the table function result_scan"),
    ("snowflake", "select email from identifier('raw.crm.contacts')", "reads the table function"),
    ("snowflake", "select $3:email::string as email from raw.crm.contacts", "`$3` names a column by its position"),
    ("bigquery", "select array(select t from unnest(c.tags) as t) as tags, json_query(c.payload, '$.a') as a "
                 "from raw.crm.contacts as c", {"tags": ["tags"], "a": ["payload"]}),
    ("bigquery", "select t, o from raw.crm.contacts, unnest(tags) as t with offset as o", {"t": ["tags"], "o": []}),
    ("databricks", "select contact_id, explode(tags) as tag, from_json(payload, 'email string').email as e "
                   "from raw.crm.contacts", {"contact_id": ["contact_id"], "tag": ["tags"], "e": ["payload"]}),
    ("databricks", "select payload:contacts[0].email::string as e from raw.crm.contacts", {"e": ["payload"]}),
    ("redshift", "select c.payload[0].email as e, json_extract_path_text(c.payload, 'a', 'b') as j "
                 "from raw.crm.contacts as c", {"e": ["payload"], "j": ["payload"]}),
    ("redshift", "select t, i from raw.crm.contacts as c, c.tags as t at i", {"t": ["tags"], "i": []}),
    # sqlglot reads WITH ORDINALITY's last name as the UNNEST's offset, as BigQuery's WITH OFFSET.
    ("postgres", "select t, n from raw.crm.contacts as c, unnest(c.tags) with ordinality as u(t, n)",
     {"t": ["tags"], "n": []}),
]


@pytest.mark.parametrize("dialect, sql, expected", CONSTRUCTS, ids=[f"{c[0]}-{i}" for i, c in enumerate(CONSTRUCTS)])
def test_construct(dialect, sql, expected):
    traced = trace_model(sql, dialect, schema_for(TABLE, dialect))
    if isinstance(expected, str):
        assert traced.unresolved is not None and traced.unresolved.startswith(expected), traced.unresolved
        return
    assert traced.unresolved is None, traced.unresolved
    assert {name: sorted(d.column for d in deps if d.passes_value) for name, deps in traced.columns.items()} == expected


# -- protection on warehouses the macros do not run on -------------------------------

SPARK_HASH_PII = ("select lower(hex(hmac(encode(r'${env:DBT_ENV_SECRET_PII_GUARD_KEY}', 'UTF-8'), "
                  "encode(payload, 'UTF-8')))) as h from raw.crm.contacts")


@pytest.mark.parametrize("dialect, transform", [("spark", "protected by hash_pii"), ("databricks", "direct")])
def test_keyed_shape_is_protection_only_where_the_macros_run(dialect, transform):
    traced = trace_model(SPARK_HASH_PII, dialect, schema_for(TABLE, dialect))
    assert [(d.column, d.transform) for d in traced.columns["h"]] == [("payload", transform)]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_keyless_shapes_protect_on_every_warehouse(dialect):
    redact = sqlglot.parse_one("case when false then payload end", read=dialect)
    assert protecting_macro(redact, dialect) == "redact"
    duckdb_hmac = sqlglot.parse_one("pii_guard_hmac_sha256_hex(payload)", read=dialect)
    assert protecting_macro(duckdb_hmac, dialect) is None


def test_unsupported_adapter_names_the_supported_ones(tmp_path, capsys):
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"metadata": {"adapter_type": "trino"}, "nodes": {}, "sources": {}}))
    with pytest.raises(InputError, match="adapter 'trino', which pii-guard check does not read; supported: "
                                         "bigquery, databricks, duckdb, postgres, redshift, snowflake, spark"):
        load_project(manifest)
    assert cli.main(["check", "--manifest", str(manifest)]) == 2
    assert capsys.readouterr().err.startswith("error: the manifest was written for adapter 'trino'")


@pytest.mark.parametrize("dialect, sql, names", [
    ("snowflake", "select md5_hex(x), sha2_hex(x), sha1_hex(x), hash(x), md5_number_lower64(x) from t",
     ["md5", "sha2", "sha", "hash", "md5_number_lower64"]),
    ("bigquery", "select sha256(x), sha512(x), sha1(x), farm_fingerprint(x) from t",
     ["sha2", "sha2", "sha1", "farm_fingerprint"]),
    ("databricks", "select xxhash64(x), crc32(x), hash(x), sha2(x, 256), md5(x) from t",
     ["xxhash64", "crc32", "hash", "sha2", "md5"]),
    ("redshift", "select func_sha1(x), fnv_hash(x), checksum(x), sha2(x, 256), md5(x) from t",
     ["func_sha1", "fnv_hash", "checksum", "sha2", "md5"]),
])
def test_each_warehouses_unkeyed_hashes_are_weak(dialect, sql, names):
    traced = trace_model(sql.replace("from t", "from raw.crm.contacts").replace("(x", "(payload"), dialect,
                         schema_for(TABLE, dialect))
    assert traced.unresolved is None, traced.unresolved
    assert [next(iter(deps)).transform for deps in traced.columns.values()] == [f"weak hash {n}" for n in names]
