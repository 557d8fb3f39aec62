"""`pii-guard check` and `explain` on bad input: every malformed manifest,
catalog or dbt_project.yml, unreadable encoding, wrong node shape, unwritable
output path or project with nothing to check is one line on stderr starting
`error: `, nothing on stdout, exit code 2, never a traceback, and no report
written half-way. Most cases run in-process through `cli.main` (fast); a few
run the installed command."""

from __future__ import annotations

import copy
import json
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from pii_guard import cli

PII_GUARD = str(Path(sys.executable).parent / "pii-guard")
SOURCE = "source.p.crm.people"
SAFE = "model.p.safe_people"
SEED = "seed.p.countries"
REPLACEMENTS: list[Any] = [None, 1, "x", [], {}, True]


def column(name: str, pii: bool = False) -> dict[str, Any]:
    return {"name": name, "data_type": None, "meta": {"pii": True} if pii else {}, "tags": [],
            "config": {"meta": {}, "tags": []}}


def valid_manifest(root: Path) -> dict[str, Any]:
    """A small manifest pii-guard check passes: a source with a PII column,
    a seed, a safe model that reads only the source's id, and a test."""
    return {
        "metadata": {"adapter_type": "duckdb", "dbt_version": "1.11.0"},
        "nodes": {
            SAFE: {
                "unique_id": SAFE, "resource_type": "model", "name": "safe_people", "alias": "safe_people",
                "database": "db", "schema": "main", "package_name": "p", "fqn": ["p", "safe_people"],
                "original_file_path": "models/safe_people.sql", "root_path": str(root), "patch_path": None,
                "language": "sql", "raw_code": "select id from {{ source('crm', 'people') }}",
                "compiled_code": 'select id from "db"."main"."people"',
                "depends_on": {"nodes": [SOURCE], "macros": []},
                "config": {"materialized": "table", "meta": {"privacy_tier": "safe"}, "tags": ["mart"],
                           "contract": {"enforced": False}, "access": "protected", "column_types": {}},
                "meta": {"privacy_tier": "safe"}, "tags": ["mart"], "access": "protected",
                "columns": {"id": column("id")},
            },
            SEED: {
                "unique_id": SEED, "resource_type": "seed", "name": "countries", "alias": "countries",
                "database": "db", "schema": "main", "package_name": "p", "fqn": ["p", "countries"],
                "original_file_path": "seeds/countries.csv", "root_path": str(root),
                "config": {"materialized": "seed", "delimiter": ",", "meta": {}, "tags": [],
                           "column_types": {"code": "varchar"}},
                "meta": {}, "tags": [], "columns": {},
            },
            "test.p.not_null_safe_people_id": {
                "unique_id": "test.p.not_null_safe_people_id", "resource_type": "test", "name": "not_null",
                "depends_on": {"nodes": [SAFE]},
            },
        },
        "sources": {
            SOURCE: {
                "unique_id": SOURCE, "resource_type": "source", "name": "people", "identifier": "people",
                "database": "db", "schema": "main", "package_name": "p", "fqn": ["p", "crm", "people"],
                "original_file_path": "models/sources.yml", "config": {"meta": {}, "tags": []},
                "meta": {}, "tags": [], "columns": {"id": column("id"), "email": column("email", pii=True)},
            },
        },
    }


def valid_catalog() -> dict[str, Any]:
    return {
        "metadata": {"dbt_version": "1.11.0"},
        "nodes": {
            SAFE: {"metadata": {"name": "safe_people", "schema": "main", "database": "db", "type": "BASE TABLE"},
                   "columns": {"id": {"name": "id", "type": "INTEGER", "index": 1, "comment": None}}},
        },
        "sources": {
            SOURCE: {"metadata": {"name": "people", "schema": "main", "database": "db"},
                     "columns": {"id": {"name": "id", "type": "INTEGER", "index": 1},
                                 "email": {"name": "email", "type": "VARCHAR", "index": 2}}},
        },
        "errors": None,
    }


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project directory: dbt_project.yml, the seed's CSV, target/manifest.json."""
    (tmp_path / "seeds").mkdir()
    (tmp_path / "seeds" / "countries.csv").write_text("code,name\nfr,France\n")
    (tmp_path / "dbt_project.yml").write_text("name: p\nvars:\n  pii_guard_allow: []\n")
    (tmp_path / "target").mkdir()
    write_json(tmp_path / "target" / "manifest.json", valid_manifest(tmp_path))
    return tmp_path


def write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data))


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PII_GUARD, *args], capture_output=True, text=True, timeout=120)


def run_main(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """cli.main in this process: (exit code, stdout, stderr). An exception
    that escapes main is what the user would see as a traceback: it fails."""
    capsys.readouterr()
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_error_line(code: int, out: str, err: str, *expected: str) -> None:
    assert code == 2, (code, err)
    assert err.startswith("error: "), err
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err
    assert out == "", out
    for text in expected:
        assert text in err, (text, err)


def check_args(root: Path, *extra: str) -> list[str]:
    return ["check", "--project-dir", str(root), "--manifest", str(root / "target" / "manifest.json"), *extra]


# --- the valid manifest itself -----------------------------------------------

def test_the_small_manifest_is_valid_and_clean(project, capsys):
    code, out, err = run_main(capsys, *check_args(project))
    assert code == 0, err
    assert "0 violations" in out, out
    write_json(project / "target" / "catalog.json", valid_catalog())
    code, out, err = run_main(capsys, *check_args(project))
    assert code == 0, err
    assert "columns from catalog.json" in out, out


# --- unreadable files, through the installed command -------------------------

def _random_bytes() -> bytes:
    data = bytes(random.Random(20240611).getrandbits(8) for _ in range(4096))
    assert data.strip() and not data.isascii()
    return data


@pytest.mark.parametrize("content, message", [
    (_random_bytes(), "is not UTF-8 text (byte 0x"),
    ('{"nodes": {"café": 1}}'.encode("latin-1"), "is not UTF-8 text (byte 0xe9 at offset 15)"),
    (json.dumps({"nodes": {}}).encode("utf-16"), "is not UTF-8 text (byte 0xff at offset 0)"),
    (b'\xef\xbb\xbf{"a\xe9', "is not UTF-8 text (byte 0xe9 at offset 6)"),  # offsets count the BOM
    (b"[" * 100_000, "nests too deeply to be read"),
    (b'{"nodes": ' + b"1" * 5000 + b"}", "is not valid JSON"),
    (b"{\"nodes\": {", "is not valid JSON (line 1, column 12)"),
])
def test_unreadable_manifest_is_one_error_line(tmp_path, content, message):
    path = tmp_path / "manifest.json"
    path.write_bytes(content)
    result = run_cli("check", "--project-dir", str(tmp_path), "--manifest", str(path))
    assert_one_error_line(result.returncode, result.stdout, result.stderr, message, str(path))
    assert "Run `dbt compile`" in result.stderr


def test_a_utf8_bom_is_accepted(project, capsys):
    path = project / "target" / "manifest.json"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    code, _, err = run_main(capsys, *check_args(project))
    assert code == 0, err


def test_manifest_that_is_a_directory(tmp_path, capsys):
    (tmp_path / "manifest.json").mkdir()
    code, out, err = run_main(capsys, "check", "--manifest", str(tmp_path / "manifest.json"))
    assert_one_error_line(code, out, err, "is a directory, not a file")


def test_unreadable_catalog_is_one_error_line(project):
    (project / "target" / "catalog.json").write_bytes("{}".encode("utf-16"))
    result = run_cli(*check_args(project))
    assert_one_error_line(result.returncode, result.stdout, result.stderr, "catalog.json at", "is not UTF-8 text")
    assert "--no-catalog" in result.stderr


def test_explain_goes_through_the_same_validation(project):
    manifest = valid_manifest(project)
    manifest["nodes"][SAFE]["compiled_code"] = ["select 1"]
    write_json(project / "target" / "manifest.json", manifest)
    result = run_cli("explain", "safe_people.id", "--project-dir", str(project))
    assert_one_error_line(result.returncode, result.stdout, result.stderr,
                          f'nodes["{SAFE}"].compiled_code must be a string or null, got a list')


def test_a_name_that_is_not_text_is_one_error_line(project, capsys):
    """JSON can escape half a UTF-16 surrogate pair: the name is then no text
    at all, and the report naming it cannot be written."""
    manifest = valid_manifest(project)
    manifest["nodes"][SAFE]["compiled_code"] = 'select email as "\ud800" from "db"."main"."people"'
    write_json(project / "target" / "manifest.json", manifest)
    code, out, err = run_main(capsys, *check_args(project))
    assert_one_error_line(code, out, err, "which is not text")
    output = project / "report.txt"
    code, out, err = run_main(capsys, *check_args(project, "--output", str(output)))
    assert_one_error_line(code, out, err, "which is not text")
    assert sorted(p.name for p in project.iterdir()) == ["dbt_project.yml", "seeds", "target"]


# --- wrong shapes, field by field ---------------------------------------------

def _set(data: Any, path: tuple[Any, ...], value: Any) -> None:
    for key in path[:-1]:
        data = data[key]
    data[path[-1]] = value


def _delete(data: Any, path: tuple[Any, ...]) -> None:
    for key in path[:-1]:
        data = data[key]
    del data[path[-1]]


N = ("nodes", SAFE)
S = ("sources", SOURCE)
WRONG_MANIFESTS = [
    ((), [], "is not a dbt manifest (no 'nodes'): its top level is a list, not an object"),
    (("nodes",), [], "manifest.json at {path}: nodes must be an object, got a list"),
    (("sources",), [1], "sources must be an object or null, got a list"),
    (("metadata",), "duckdb", "metadata must be an object or null, got a string"),
    (("metadata", "adapter_type"), 3, "metadata.adapter_type must be a string, got an integer"),
    (("metadata", "project_name"), ["p"], "metadata.project_name must be a string, got a list"),
    (("metadata", "generated_at"), 1764063000, "metadata.generated_at must be a string, got an integer"),
    (N, [], f'nodes["{SAFE}"] must be an object (a dbt node), got a list'),
    (N + ("unique_id",), None, f'nodes["{SAFE}"].unique_id must be a string, got null'),
    (N + ("resource_type",), 7, f'nodes["{SAFE}"].resource_type must be a string, got an integer'),
    (N + ("name",), ["a"], ".name must be a string or null, got a list"),
    (N + ("alias",), {}, ".alias must be a string or null, got an object"),
    (N + ("database",), 1.5, ".database must be a string or null, got a number"),
    (N + ("schema",), True, ".schema must be a string or null, got true"),
    (N + ("compiled_code",), 5, f'nodes["{SAFE}"].compiled_code must be a string or null, got an integer'),
    (N + ("raw_code",), {}, ".raw_code must be a string or null, got an object"),
    (N + ("language",), 1, ".language must be a string or null"),
    (N + ("original_file_path",), [], ".original_file_path must be a string or null"),
    (N + ("root_path",), 1, ".root_path must be a string or null"),
    (N + ("patch_path",), 1, ".patch_path must be a string or null"),
    (N + ("package_name",), 1, ".package_name must be a string or null"),
    (N + ("access",), 1, f'nodes["{SAFE}"].access must be a string or null'),
    (N + ("fqn",), "p.safe_people", ".fqn must be a list of strings or null, got a string"),
    (N + ("fqn", 1), 2, f'nodes["{SAFE}"].fqn[1] must be a string, got an integer'),
    (N + ("tags",), "mart", f'nodes["{SAFE}"].tags must be a list of strings or null, got a string'),
    (N + ("meta",), [], f'nodes["{SAFE}"].meta must be an object or null, got a list'),
    (N + ("meta", "privacy_tier"), ["safe"], ".meta.privacy_tier must be a string or null, got a list"),
    (N + ("depends_on",), [SOURCE], ".depends_on must be an object or null, got a list"),
    (N + ("depends_on", "nodes"), SOURCE, ".depends_on.nodes must be a list of strings or null"),
    (N + ("depends_on", "nodes", 0), {}, ".depends_on.nodes[0] must be a string, got an object"),
    (N + ("config",), "table", f'nodes["{SAFE}"].config must be an object or null, got a string'),
    (N + ("config", "materialized"), 1, ".config.materialized must be a string or null"),
    (N + ("config", "meta"), 1, ".config.meta must be an object or null, got an integer"),
    (N + ("config", "tags"), {}, ".config.tags must be a list of strings or null, got an object"),
    (N + ("config", "column_types"), [], ".config.column_types must be an object or null"),
    (N + ("config", "contract"), True, ".config.contract must be an object or null, got true"),
    (N + ("config", "contract", "enforced"), "yes", ".config.contract.enforced must be true or false"),
    (N + ("config", "access"), 1, ".config.access must be a string or null"),
    (N + ("columns",), [], f'nodes["{SAFE}"].columns must be an object, got a list'),
    (N + ("columns", "id"), "id", f'nodes["{SAFE}"].columns["id"] must be an object (a column), got a string'),
    (N + ("columns", "id", "name"), 1, '.columns["id"].name must be a string or null, got an integer'),
    (N + ("columns", "id", "data_type"), 1, '.columns["id"].data_type must be a string or null'),
    (N + ("columns", "id", "meta"), [], '.columns["id"].meta must be an object or null, got a list'),
    (N + ("columns", "id", "tags"), "pii", '.columns["id"].tags must be a list of strings or null'),
    (N + ("columns", "id", "config"), [], '.columns["id"].config must be an object or null, got a list'),
    (N + ("columns", "id", "config", "meta"), 1, '.columns["id"].config.meta must be an object or null'),
    (N + ("columns", "id", "config", "tags"), [1], '.columns["id"].config.tags[0] must be a string'),
    (("nodes", SEED, "config", "delimiter"), 1, ".config.delimiter must be a string or null"),
    (("nodes", SEED, "config", "column_types", "code"), 1,
     f'nodes["{SEED}"].config.column_types["code"] must be a string (a data type), got an integer'),
    (S + ("identifier",), 1, f'sources["{SOURCE}"].identifier must be a string or null, got an integer'),
    (S + ("columns", "email", "meta"), "pii", f'sources["{SOURCE}"].columns["email"].meta must be an object'),
    (("nodes", "test.p.not_null_safe_people_id"), 1, "must be an object (a dbt node), got an integer"),
    (("nodes", "test.p.not_null_safe_people_id", "resource_type"), None, ".resource_type must be a string, got null"),
]


@pytest.mark.parametrize("path, value, message", WRONG_MANIFESTS, ids=[".".join(map(str, c[0])) or "top"
                                                                      for c in WRONG_MANIFESTS])
def test_a_field_of_the_wrong_type_is_named(project, capsys, path, value, message):
    manifest: Any = valid_manifest(project)
    if path:
        _set(manifest, path, value)
    else:
        manifest = value
    target = project / "target" / "manifest.json"
    write_json(target, manifest)
    code, out, err = run_main(capsys, *check_args(project))
    assert_one_error_line(code, out, err, message.format(path=target), "Run `dbt compile` to write a fresh one.")


@pytest.mark.parametrize("path", [N + ("unique_id",), N + ("resource_type",)])
def test_a_missing_required_field_is_named(project, capsys, path):
    manifest = valid_manifest(project)
    _delete(manifest, path)
    write_json(project / "target" / "manifest.json", manifest)
    code, out, err = run_main(capsys, *check_args(project))
    assert_one_error_line(code, out, err, f"{path[-1]} must be a string, got nothing (it is missing)")


def test_other_kinds_of_node_are_read_leniently(project, capsys):
    manifest = valid_manifest(project)
    manifest["nodes"]["test.p.not_null_safe_people_id"].update(columns=1, config="x", tags={})
    manifest["nodes"]["operation.p.hook"] = {"resource_type": "operation"}
    write_json(project / "target" / "manifest.json", manifest)
    code, _, err = run_main(capsys, *check_args(project))
    assert code == 0, err


WRONG_CATALOGS = [
    ((), [], "catalog.json at {path}: the top level must be an object, got a list"),
    (("nodes",), [], "catalog.json at {path}: nodes must be an object or null, got a list"),
    (("nodes", SAFE), "x", f'nodes["{SAFE}"] must be an object (a relation), got a string'),
    (("nodes", SAFE, "metadata"), None, f'nodes["{SAFE}"].metadata must be an object, got null'),
    (("sources", SOURCE, "metadata", "schema"), 1, ".metadata.schema must be a string or null"),
    (("sources", SOURCE, "columns"), [], f'sources["{SOURCE}"].columns must be an object or null, got a list'),
    (("sources", SOURCE, "columns", "email"), 1, '.columns["email"] must be an object (a column)'),
    (("sources", SOURCE, "columns", "email", "name"), None, '.columns["email"].name must be a string, got null'),
    (("sources", SOURCE, "columns", "email", "type"), 1, '.columns["email"].type must be a string or null'),
    (("sources", SOURCE, "columns", "email", "index"), "2", '.columns["email"].index must be an integer or null'),
]


@pytest.mark.parametrize("path, value, message", WRONG_CATALOGS, ids=[".".join(map(str, c[0])) or "top"
                                                                     for c in WRONG_CATALOGS])
def test_a_catalog_field_of_the_wrong_type_is_named(project, capsys, path, value, message):
    catalog: Any = valid_catalog()
    if path:
        _set(catalog, path, value)
    else:
        catalog = value
    target = project / "target" / "catalog.json"
    write_json(target, catalog)
    code, out, err = run_main(capsys, *check_args(project))
    assert_one_error_line(code, out, err, message.format(path=target), "--no-catalog")


def test_a_catalog_entry_without_a_name_is_named(project, capsys):
    catalog = valid_catalog()
    del catalog["nodes"][SAFE]["metadata"]["name"]
    write_json(project / "target" / "catalog.json", catalog)
    code, out, err = run_main(capsys, *check_args(project))
    assert_one_error_line(code, out, err, f'nodes["{SAFE}"].metadata.name must be a string, got nothing')


def test_a_catalog_column_index_may_be_null(project, capsys):
    catalog = valid_catalog()
    catalog["sources"][SOURCE]["columns"]["email"]["index"] = None
    write_json(project / "target" / "catalog.json", catalog)
    code, _, err = run_main(capsys, *check_args(project))
    assert code == 0, err


def test_a_catalog_that_is_a_list_through_the_command(project):
    write_json(project / "target" / "catalog.json", [])
    result = run_cli(*check_args(project))
    assert_one_error_line(result.returncode, result.stdout, result.stderr,
                          "the top level must be an object, got a list")


# --- dbt_project.yml ------------------------------------------------------------

@pytest.mark.parametrize("content, message", [
    ("name: p\nvars: [1, 2]\n", "vars in {yml} must be a mapping (name: value), got a list"),
    ("name: p\nvars:\n  pii_guard_allow: {model: m}\n", "vars.pii_guard_allow in {yml} must be a list of entries"),
    ("name: p\nvars:\n  pii_guard_allow: yes\n", "vars.pii_guard_allow in {yml} must be a list"),
    ("- a\n- b\n", "{yml} must be a mapping of settings at its top level (name: ..., vars: ...), got a list"),
    ("name: p\nvars:\n  pii_guard_allow:\n    - just a string\n",
     "every pii_guard_allow entry in dbt_project.yml needs a model and a reason"),
    ("name: p\nvars:\n  pii_guard_allow:\n    - {model: safe_people}\n", "needs a model and a reason"),
    ("name: p\nvars:\n  pii_guard_allow:\n    - {model: [a], reason: r}\n", "needs a model and a reason"),
    ("name: p\nvars:\n  pii_guard_allow:\n    - {model: safe_people, reason: r, column: [id, email]}\n",
     "the column of pii_guard_allow entry 1 in {yml} must be one column name, got a list"),
    ("name: p\nvars:\n  pii_guard_allow:\n    - {model: safe_people, reason: r, unresolved: maybe}\n",
     "unresolved in pii_guard_allow entry 1 in {yml} must be true or false"),
    ("name: p\nvars: {a: [\n", "is not valid YAML"),
    ("name: caf\xe9\n".encode("latin-1"), "{yml} is not UTF-8 text"),
    ("[" * 5000, "dbt_project.yml"),
])
def test_a_bad_dbt_project_yml_is_one_error_line(project, capsys, content, message):
    yml = project / "dbt_project.yml"
    if isinstance(content, bytes):
        yml.write_bytes(content)
    else:
        yml.write_text(content)
    code, out, err = run_main(capsys, *check_args(project))
    assert_one_error_line(code, out, err, message.format(yml=yml))


def test_vars_a_list_through_the_command(project):
    (project / "dbt_project.yml").write_text("name: p\nvars: [1, 2]\n")
    result = run_cli(*check_args(project))
    assert_one_error_line(result.returncode, result.stdout, result.stderr, "must be a mapping (name: value)")


# --- nothing to check -----------------------------------------------------------

def _no_pii(manifest: dict[str, Any]) -> None:
    manifest["sources"][SOURCE]["columns"]["email"]["meta"] = {}


def _no_safe(manifest: dict[str, Any]) -> None:
    manifest["nodes"][SAFE]["meta"] = {}
    manifest["nodes"][SAFE]["config"]["meta"] = {}


def _no_models(manifest: dict[str, Any]) -> None:
    del manifest["nodes"][SAFE]


@pytest.mark.parametrize("change, message", [
    (_no_models, "nothing to check: the manifest has no models"),
    (_no_pii, "nothing to check: no column is declared PII"),
    (_no_safe, "nothing to check: no model is declared safe"),
])
def test_nothing_to_check_is_not_clean(project, capsys, change, message):
    manifest = valid_manifest(project)
    change(manifest)
    write_json(project / "target" / "manifest.json", manifest)
    code, out, err = run_main(capsys, *check_args(project))
    assert_one_error_line(code, out, err, message)


def test_an_empty_manifest_through_the_command(tmp_path):
    path = tmp_path / "manifest.json"
    write_json(path, {"metadata": {"adapter_type": "duckdb"}, "nodes": {}, "sources": {}})
    result = run_cli("check", "--manifest", str(path), "--project-dir", str(tmp_path))
    assert_one_error_line(result.returncode, result.stdout, result.stderr, "nothing to check: the manifest has no models")
    assert "`meta: {pii: true}`" not in result.stderr


def test_declaring_pii_is_explained(project, capsys):
    manifest = valid_manifest(project)
    _no_pii(manifest)
    write_json(project / "target" / "manifest.json", manifest)
    _, _, err = run_main(capsys, *check_args(project))
    assert "`meta: {pii: true}` or `tags: [pii]`" in err, err


# --- --output ---------------------------------------------------------------------

def test_output_into_a_missing_directory_writes_nothing(project):
    output = project / "missing" / "report.json"
    result = run_cli(*check_args(project, "--format", "json", "--output", str(output)))
    assert_one_error_line(result.returncode, result.stdout, result.stderr,
                          f"the directory {output.parent} does not exist")
    assert not output.parent.exists()


def test_output_that_is_a_directory(project, capsys):
    code, out, err = run_main(capsys, *check_args(project, "--output", str(project)))
    assert_one_error_line(code, out, err, "is a directory")


def test_output_is_not_touched_when_the_input_is_bad(project, capsys):
    output = project / "report.txt"
    output.write_text("the last report\n")
    (project / "target" / "manifest.json").write_text("{")
    code, out, err = run_main(capsys, *check_args(project, "--output", str(output)))
    assert_one_error_line(code, out, err, "is not valid JSON")
    assert output.read_text() == "the last report\n"
    assert sorted(p.name for p in project.iterdir()) == ["dbt_project.yml", "report.txt", "seeds", "target"]


def test_output_is_written_whole_and_nothing_else(project, capsys):
    output = project / "report.json"
    code, out, err = run_main(capsys, *check_args(project, "--format", "json", "--output", str(output)))
    assert code == 0, err
    assert out == ""
    assert json.loads(output.read_text())["stats"]["violations"] == 0
    assert sorted(p.name for p in project.iterdir()) == ["dbt_project.yml", "report.json", "seeds", "target"]


def test_a_failed_write_is_one_error_line_and_leaves_nothing(project, capsys, monkeypatch):
    output = project / "report.txt"

    def refuse(source: object, target: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(cli.os, "replace", refuse)
    code, out, err = run_main(capsys, *check_args(project, "--output", str(output)))
    assert_one_error_line(code, out, err, f"cannot write the report to {output}: No space left on device")
    assert sorted(p.name for p in project.iterdir()) == ["dbt_project.yml", "seeds", "target"]


# --- fuzz -------------------------------------------------------------------------

def _field_paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The path of every value in a JSON document, containers included."""
    paths = [prefix] if prefix else []
    items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else ()
    for key, value in items:
        paths += _field_paths(value, prefix + (key,))
    return paths


def _fuzz(capsys: pytest.CaptureFixture[str], project: Path, target: Path, documents: list[tuple[str, bytes]],
          args: list[str]) -> dict[int, int]:
    """Run check on each document (written to `target`); every outcome must
    be exit 0 or 1, or 2 with one `error: ` line and nothing on stdout."""
    failures: list[str] = []
    codes: dict[int, int] = {}
    for label, content in documents:
        target.write_bytes(content)
        try:
            code, out, err = run_main(capsys, *args)
        except BaseException as error:  # what would be a traceback
            failures.append(f"{label}: {type(error).__name__}: {error}")
            continue
        codes[code] = codes.get(code, 0) + 1
        if code not in (0, 1, 2) or "Traceback" in err:
            failures.append(f"{label}: exit {code}: {err}")
        elif code == 2 and (not err.startswith("error: ") or len(err.strip().splitlines()) != 1 or out):
            failures.append(f"{label}: exit 2 but stderr {err!r}, stdout {out[:80]!r}")
    assert not failures, f"{len(failures)} of {len(documents)} cases:\n" + "\n".join(failures[:20])
    return codes


def _field_variants(document: dict) -> list[tuple[str, bytes]]:
    """The document with each field in turn replaced by each wrong value, or
    deleted, as JSON (which is YAML too)."""
    variants = []
    for path in _field_paths(document):
        for value in REPLACEMENTS + ["delete"]:
            changed = copy.deepcopy(document)
            if value == "delete":
                _delete(changed, path)
            else:
                _set(changed, path, value)
            variants.append((f"{path} = {value!r}", json.dumps(changed).encode()))
    return variants


def test_fuzz_manifest_truncations(project, capsys):
    whole = json.dumps(valid_manifest(project), indent=1).encode()
    sizes = sorted({len(whole) * i // 50 for i in range(50)} | {len(whole) - 1})
    codes = _fuzz(capsys, project, project / "target" / "manifest.json",
                  [(f"first {n} bytes", whole[:n]) for n in sizes], check_args(project))
    assert codes == {2: len(sizes)}, codes


def test_fuzz_manifest_fields(project, capsys):
    manifest = valid_manifest(project)
    documents = _field_variants(manifest)
    codes = _fuzz(capsys, project, project / "target" / "manifest.json", documents, check_args(project))
    assert len(documents) > 700
    # Many replacements are refused, many others still check: both must happen.
    assert codes.get(2, 0) > 200 and codes.get(0, 0) > 100, codes


def test_fuzz_catalog_fields(project, capsys):
    catalog = valid_catalog()
    target = project / "target" / "catalog.json"
    documents = _field_variants(catalog)
    whole = json.dumps(catalog).encode()
    documents += [(f"first {n} bytes", whole[:n]) for n in range(0, len(whole), max(1, len(whole) // 50))]
    codes = _fuzz(capsys, project, target, documents, check_args(project))
    assert codes.get(2, 0) > 50 and codes.get(0, 0) > 50, codes


def test_fuzz_dbt_project_yml(project, capsys):
    entry = {"model": "safe_people", "column": "id", "reason": "reviewed", "unresolved": False}
    config = {"name": "p", "vars": {"pii_guard_allow": [entry]}}
    documents = _field_variants(config)
    codes = _fuzz(capsys, project, project / "dbt_project.yml", documents, check_args(project))
    assert codes.get(2, 0) > 10 and codes.get(0, 0) + codes.get(1, 0) > 10, codes
