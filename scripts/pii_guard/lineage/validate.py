"""The shape of dbt's manifest.json and catalog.json, checked before they are
read: a field of the wrong type is one InputError naming it, never a
traceback further on. And a project with nothing to check is said so.

>>> validate_manifest({"metadata": {"adapter_type": "duckdb"}, "nodes": {
...     "model.p.m": {"unique_id": "model.p.m", "resource_type": "model", "columns": []}}}, "manifest.json")
Traceback (most recent call last):
...
pii_guard.lineage.errors.InputError: manifest.json at manifest.json: nodes["model.p.m"].columns must be an object, got a list. Run `dbt compile` to write a fresh one.
>>> validate_catalog({"nodes": {"model.p.m": {"metadata": {"name": "m"}, "columns": {}}}}, "catalog.json")

Only the fields pii-guard reads, a type test or two each (no JSON Schema):
it runs on manifests of tens of thousands of models, well under a second.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from pii_guard.lineage.errors import InputError

if TYPE_CHECKING:
    from pii_guard.lineage.project import Project

MANIFEST_HINT = "Run `dbt compile` to write a fresh one."
CATALOG_HINT = "Run `dbt docs generate` to write a fresh one, or pass --no-catalog to check without it."
# The kinds of node pii-guard reads in depth; dbt has many others (tests, analyses, ...).
READ_KINDS = ("model", "seed", "snapshot", "source")

# A path to a field: field names (str), dict keys from the data (1-tuples), list indexes (int).
FieldPath = tuple[object, ...]
NONE = type(None)
STRING = (str,)
STRING_OR_NULL = (str, NONE)

# Plain fields of a model, seed, snapshot or source: name -> the types allowed (missing counts as null).
NODE_FIELDS: dict[str, tuple[type, ...]] = {
    "name": STRING_OR_NULL, "alias": STRING_OR_NULL, "identifier": STRING_OR_NULL,
    "database": STRING_OR_NULL, "schema": STRING_OR_NULL, "language": STRING_OR_NULL,
    "compiled_code": STRING_OR_NULL, "raw_code": STRING_OR_NULL, "original_file_path": STRING_OR_NULL,
    "root_path": STRING_OR_NULL, "patch_path": STRING_OR_NULL, "package_name": STRING_OR_NULL,
    "access": STRING_OR_NULL,
}
CONFIG_FIELDS: dict[str, tuple[type, ...]] = {
    "materialized": STRING_OR_NULL, "access": STRING_OR_NULL, "delimiter": STRING_OR_NULL,
}
COLUMN_FIELDS: dict[str, tuple[type, ...]] = {"name": STRING_OR_NULL, "data_type": STRING_OR_NULL}
CATALOG_METADATA_FIELDS: dict[str, tuple[type, ...]] = {
    "name": STRING, "database": STRING_OR_NULL, "schema": STRING_OR_NULL,
}
CATALOG_COLUMN_FIELDS: dict[str, tuple[type, ...]] = {
    "name": STRING, "type": STRING_OR_NULL, "index": (int, NONE),
}
MISSING = object()  # a field that is not there at all
NAMES = {dict: "an object", list: "a list", str: "a string", int: "an integer", float: "a number",
         bool: "true or false", NONE: "null"}


def _kind(value: object) -> str:
    """What a JSON value is, in a message.

    >>> _kind([]), _kind(True), _kind(1.5), _kind(None)
    ('a list', 'true', 'a number', 'null')
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is MISSING:
        return "nothing (it is missing)"
    return NAMES.get(type(value), type(value).__name__)


def _render(path: FieldPath) -> str:
    """A field's path as written in messages.

    >>> _render(("nodes", ("model.p.m",), "fqn", 2))
    'nodes["model.p.m"].fqn[2]'
    """
    out = ""
    for part in path:
        if isinstance(part, tuple):
            out += f"[{json.dumps(part[0])}]"
        elif isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


class _Checker:
    """Raises the InputError for one file: what, where, and what to do."""

    def __init__(self, what: str, path: object, hint: str) -> None:
        self.what, self.path, self.hint = what, path, hint

    def fail(self, where: FieldPath, expected: str, value: object) -> InputError:
        return InputError(f"{self.what} at {self.path}: {_render(where)} must be {expected}, "
                          f"got {_kind(value)}. {self.hint}")

    def fields(self, item: dict, spec: dict[str, tuple[type, ...]], where: FieldPath) -> None:
        for name, allowed in spec.items():
            value = item.get(name)
            if type(value) not in allowed:
                expected = NAMES[allowed[0]] + (" or null" if NONE in allowed else "")
                raise self.fail(where + (name,), expected, item.get(name, MISSING))

    def obj(self, value: object, where: FieldPath, nullable: bool = True) -> dict:
        """An object (or null, then {}), else the error."""
        if type(value) is dict:
            return value
        if value is None and nullable:
            return {}
        raise self.fail(where, "an object" + (" or null" if nullable else ""), value)

    def strings(self, value: object, where: FieldPath) -> None:
        """A list of strings, or null."""
        if value is None:
            return
        if type(value) is not list:
            raise self.fail(where, "a list of strings or null", value)
        for index, entry in enumerate(value):
            if type(entry) is not str:
                raise self.fail(where + (index,), "a string", entry)

    def meta(self, value: object, where: FieldPath) -> None:
        """meta: an object or null; its privacy_tier, when there, a string."""
        meta = self.obj(value, where)
        if type(meta.get("privacy_tier")) not in STRING_OR_NULL:
            raise self.fail(where + ("privacy_tier",), "a string or null", meta["privacy_tier"])

    def tagged(self, item: dict, where: FieldPath) -> None:
        """meta and tags, of a node, a column or their config."""
        self.meta(item.get("meta"), where + ("meta",))
        self.strings(item.get("tags"), where + ("tags",))


def _tags_ok(item: dict) -> bool:
    """Whether meta and tags are right, as _Checker.tagged checks them but
    without a message: columns outnumber all else in a manifest, so each is
    checked this fast way first, and the slow way only when it is wrong."""
    meta, tags = item.get("meta"), item.get("tags")
    return (meta is None or (type(meta) is dict and type(meta.get("privacy_tier")) in STRING_OR_NULL)) and (
        tags is None or (type(tags) is list and (not tags or all(type(tag) is str for tag in tags))))


def _column_ok(column: object) -> bool:
    if type(column) is not dict or type(column.get("name")) not in STRING_OR_NULL \
            or type(column.get("data_type")) not in STRING_OR_NULL or not _tags_ok(column):
        return False
    config = column.get("config")
    return config is None or (type(config) is dict and _tags_ok(config))


def _manifest_node(check: _Checker, node: object, where: FieldPath) -> None:
    if type(node) is not dict:
        raise check.fail(where, "an object (a dbt node)", node)
    kind = node.get("resource_type")
    if type(kind) is not str:
        raise check.fail(where + ("resource_type",), "a string", node.get("resource_type", MISSING))
    if kind not in READ_KINDS:
        return
    check.fields(node, {"unique_id": STRING}, where)
    check.fields(node, NODE_FIELDS, where)
    check.tagged(node, where)
    check.strings(node.get("fqn"), where + ("fqn",))
    depends_on = check.obj(node.get("depends_on"), where + ("depends_on",))
    check.strings(depends_on.get("nodes"), where + ("depends_on", "nodes"))

    config = check.obj(node.get("config"), where + ("config",))
    here = where + ("config",)
    check.fields(config, CONFIG_FIELDS, here)
    check.tagged(config, here)
    column_types = check.obj(config.get("column_types"), here + ("column_types",))
    for name, data_type in column_types.items():
        if type(data_type) is not str:
            raise check.fail(here + ("column_types", (name,)), "a string (a data type)", data_type)
    contract = check.obj(config.get("contract"), here + ("contract",))
    if type(contract.get("enforced")) not in (bool, NONE):
        raise check.fail(here + ("contract", "enforced"), "true or false", contract["enforced"])

    columns = node.get("columns")
    if columns is None:
        return
    if type(columns) is not dict:
        raise check.fail(where + ("columns",), "an object", columns)
    for name, column in columns.items():
        if _column_ok(column):
            continue
        at = where + ("columns", (name,))  # the slow way, to say what is wrong
        if type(column) is not dict:
            raise check.fail(at, "an object (a column)", column)
        check.fields(column, COLUMN_FIELDS, at)
        check.tagged(column, at)
        column_config = column.get("config")
        if column_config is not None:
            check.tagged(check.obj(column_config, at + ("config",)), at + ("config",))


def validate_manifest(data: object, path: object) -> None:
    """Raise InputError naming the first field of dbt's manifest.json that
    pii-guard reads and that has the wrong type; None when all are right.

    >>> validate_manifest({"nodes": {"test.p.t": {"resource_type": "test", "columns": 1}}}, "m.json")
    >>> validate_manifest({"nodes": {"model.p.m": {"resource_type": "model"}}}, "m.json")
    Traceback (most recent call last):
    ...
    pii_guard.lineage.errors.InputError: manifest.json at m.json: nodes["model.p.m"].unique_id must be a string, got nothing (it is missing). ...
    """
    check = _Checker("manifest.json", path, MANIFEST_HINT)
    if type(data) is not dict or "nodes" not in data:
        shape = "" if type(data) is dict else f": its top level is {_kind(data)}, not an object"
        raise InputError(f"{path} is not a dbt manifest (no 'nodes'){shape}. {MANIFEST_HINT}")
    metadata = check.obj(data.get("metadata"), ("metadata",))
    for key in ("adapter_type", "project_name", "generated_at"):
        if type(metadata.get(key)) not in STRING_OR_NULL:
            raise check.fail(("metadata", key), "a string", metadata[key])
    nodes = check.obj(data["nodes"], ("nodes",), nullable=False)
    sources = check.obj(data.get("sources"), ("sources",))
    for section, items in (("nodes", nodes), ("sources", sources)):
        for key, node in items.items():
            _manifest_node(check, node, (section, (key,)))


def validate_catalog(data: object, path: object) -> None:
    """Raise InputError naming the first field of dbt's catalog.json that
    pii-guard reads and that has the wrong type; None when all are right.

    >>> validate_catalog([], "c.json")
    Traceback (most recent call last):
    ...
    pii_guard.lineage.errors.InputError: catalog.json at c.json: the top level must be an object, got a list. ...
    """
    check = _Checker("catalog.json", path, CATALOG_HINT)
    if type(data) is not dict:
        raise check.fail(("the top level",), "an object", data)
    for section in ("nodes", "sources"):
        for key, entry in check.obj(data.get(section), (section,)).items():
            where: FieldPath = (section, (key,))
            if type(entry) is not dict:
                raise check.fail(where, "an object (a relation)", entry)
            metadata = entry.get("metadata")
            if type(metadata) is not dict:
                raise check.fail(where + ("metadata",), "an object", metadata)
            check.fields(metadata, CATALOG_METADATA_FIELDS, where + ("metadata",))
            for name, column in check.obj(entry.get("columns"), where + ("columns",)).items():
                at = where + ("columns", (name,))
                if type(column) is not dict:
                    raise check.fail(at, "an object (a column)", column)
                check.fields(column, CATALOG_COLUMN_FIELDS, at)


def nothing_to_check(project: Project) -> str | None:
    """Why a check of this project could find nothing (no models, no PII
    declared, no safe model), or None. Nothing to check is not clean.

    >>> from pii_guard.lineage.project import Node, Project
    >>> source = Node("source.p.crm.people", "people", "source", ("d", "s", "people"), {"email"})
    >>> model = Node("model.p.m", "m", "model", ("d", "s", "m"), set(), tier="restricted")
    >>> nothing_to_check(Project("duckdb", {source.unique_id: source, model.unique_id: model}, {}, [], {}))
    'nothing to check: no model is declared safe. ...'
    """
    nodes = project.nodes.values()
    if not any(node.resource_type == "model" for node in nodes):
        return ("nothing to check: the manifest has no models. Run `dbt compile` in the dbt project, "
                "or pass --manifest with the manifest.json of a project that has models.")
    if not any(node.pii_columns for node in nodes):
        return ("nothing to check: no column is declared PII. Declare each PII column in yml, on its "
                "source, seed or model, with `meta: {pii: true}` or `tags: [pii]`, then run `dbt compile`.")
    if not any(node.resource_type == "model" and node.tier == "safe" for node in nodes):
        return ("nothing to check: no model is declared safe. Mark each model that must hold no PII "
                "with `meta: {privacy_tier: safe}` (or `access: public`), then run `dbt compile`.")
    return None

