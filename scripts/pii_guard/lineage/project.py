"""Stage 1: read dbt's manifest (and catalog, and the project's allowances).

>>> import json, tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "manifest.json"
>>> _ = path.write_text("{")
>>> load_project(path)
Traceback (most recent call last):
...
pii_guard.lineage.errors.InputError: manifest.json is not valid JSON (line 1, column 2): ... Run `dbt compile` to write a fresh one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pii_guard.lineage.declarations import column_pii, declaration_error, node_tier, untiered_safe_folders
from pii_guard.lineage.errors import InputError
from pii_guard.lineage.validate import validate_catalog, validate_manifest

# dbt adapter type -> sqlglot dialect. Relations and columns are compared
# lower-cased: each warehouse's own folding of unquoted names (Snowflake upper,
# PostgreSQL and Redshift lower, the rest case-insensitive) maps to the same
# key, and a quoted name differing only in case is conflated, never missed.
DIALECTS = {"duckdb": "duckdb", "postgres": "postgres", "spark": "spark", "databricks": "databricks",
            "snowflake": "snowflake", "bigquery": "bigquery", "redshift": "redshift"}


@dataclass
class Node:
    """A model, seed, snapshot or source: anything a model can select from."""

    unique_id: str
    name: str
    resource_type: str
    relation: tuple[str, ...]  # lower-cased (database, schema, identifier)
    pii_columns: set[str]
    tier: str | None = None
    language: str = "sql"
    materialized: str | None = None
    compiled_code: str | None = None
    depends_on: list[str] = field(default_factory=list)
    path: str = ""
    # Columns declared in yml, in order, with their data_type when given.
    declared_columns: dict[str, str | None] = field(default_factory=dict)
    # The seed file's header, or a model's enforced contract: all its columns.
    exact_columns: list[str] | None = None
    tags: list[str] = field(default_factory=list)
    fqn: list[str] = field(default_factory=list)
    package: str = ""
    # The column naming the data subject (yml meta pii_guard.subject): erasure finds rows by it.
    subject: str | None = None
    # The dbt project whose manifest the node was read from (mesh.py merges several).
    project: str = ""
    # Another project's model injected for a cross-project ref (dbt-loom, dbt mesh): no file, no SQL.
    external: bool = False


@dataclass
class Project:
    dialect: str
    nodes: dict[str, Node]
    catalog: dict[tuple[str, ...], dict[str, str]]
    allowances: list[dict[str, Any]]
    by_relation: dict[tuple[str, ...], str]
    # Declarations that are readable but suspicious (see declarations.py).
    warnings: list[str] = field(default_factory=list)
    _by_suffix: dict[tuple[str, ...], list[tuple[str, ...]]] = field(default_factory=dict, repr=False)
    name: str = ""  # the dbt project's name (manifest metadata project_name)
    generated_at: str = ""  # when dbt wrote the manifest (metadata generated_at, ISO 8601 UTC)

    def resolve(self, relation: tuple[str, ...]) -> tuple[str, ...] | None:
        """The project's or the catalog's relation that `relation`, as SQL
        names it (maybe without database or schema), stands for; None when
        there is none or more than one."""
        if relation in self.by_relation or relation in self.catalog:
            return relation
        if not self._by_suffix:
            for known in list(self.by_relation) + list(self.catalog):
                if known[0] == "__dbt__cte__":  # inlined, never named as a table
                    continue
                for size in (1, 2):
                    self._by_suffix.setdefault(known[-size:], []).append(known)
        given = tuple(part for part in relation if part)
        candidates = set(self._by_suffix.get(given[-2:], ())) if len(given) <= 2 else set()
        return candidates.pop() if len(candidates) == 1 else None

    def node_for(self, relation: tuple[str, ...]) -> str | None:
        """The node a relation (as SQL names it) is, or None."""
        found = self.resolve(relation)
        return self.by_relation.get(found) if found else None


def relation_key(*parts: str | None) -> tuple[str, ...]:
    return tuple((part or "").strip('"`').lower() for part in parts)


def _read_json(path: Path, what: str, hint: str) -> Any:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{what} not found at {path}. {hint}") from None
    except IsADirectoryError:
        raise InputError(f"{what} at {path} is a directory, not a file. {hint}") from None
    except OSError as error:
        raise InputError(f"cannot read {what} at {path}: {error.strerror or error}. {hint}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputError(
            f"{what} at {path} is not UTF-8 text (byte 0x{error.object[error.start]:02x} at offset "
            f"{error.start + len(raw) - len(error.object)}): "
            f"is it really dbt's {what}? {hint}"
        ) from None
    if not text.strip():
        raise InputError(f"{what} at {path} is empty. {hint}")
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(
            f"{what} is not valid JSON (line {error.lineno}, column {error.colno}): {path}. {hint}"
        ) from None
    except ValueError as error:  # e.g. an integer of more digits than Python converts
        raise InputError(f"{what} is not valid JSON ({error}): {path}. {hint}") from None
    except RecursionError:
        raise InputError(f"{what} at {path} nests too deeply to be read: is it really dbt's {what}? {hint}") from None


def _allowances(project_dir: Path | None) -> list[dict[str, Any]]:
    """The pii_guard_allow entries in dbt_project.yml's vars (see docs/privacy-tests.md, 'Accepting a finding')."""
    path = project_dir / "dbt_project.yml" if project_dir is not None else None
    if path is None or not path.exists():
        return []
    import yaml  # a dependency of pii-guard (pyproject.toml); imported only when there is a file to read

    fix = "See docs/privacy-tests.md, 'Accepting a finding'."
    raw = b""
    try:
        raw = path.read_bytes()
        config = yaml.safe_load(raw.decode("utf-8-sig"))
    except OSError as error:
        raise InputError(f"cannot read {path}: {error.strerror or error}.") from None
    except UnicodeDecodeError as error:
        raise InputError(f"{path} is not UTF-8 text (byte 0x{error.object[error.start]:02x} at offset "
                         f"{error.start + len(raw) - len(error.object)}): save it as UTF-8.") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        problem = getattr(error, "problem", None) or " ".join(str(error).split())
        raise InputError(f"dbt_project.yml in {project_dir} is not valid YAML{where}: {problem}.") from None
    except RecursionError:
        raise InputError(f"{path} nests too deeply to be read: is it really dbt_project.yml?") from None
    if config is None:
        return []
    if not isinstance(config, dict):
        raise InputError(f"{path} must be a mapping of settings at its top level (name: ..., vars: ...), "
                         f"got {_yaml_kind(config)}.")
    variables = config.get("vars")
    if variables is None:
        return []
    if not isinstance(variables, dict):
        raise InputError(f"vars in {path} must be a mapping (name: value), got {_yaml_kind(variables)}. {fix}")
    entries = variables.get("pii_guard_allow")
    if entries is None:
        return []
    if not isinstance(entries, list):
        raise InputError(f"vars.pii_guard_allow in {path} must be a list of entries (- model: ..., reason: ...), "
                         f"got {_yaml_kind(entries)}. {fix}")
    for number, entry in enumerate(entries, 1):
        if not isinstance(entry, dict) or not isinstance(entry.get("model"), str) or not entry["model"] \
                or not str(entry.get("reason") or "").strip():
            raise InputError(
                "every pii_guard_allow entry in dbt_project.yml needs a model and a reason "
                f"(see docs/privacy-tests.md, 'Accepting a finding'): entry {number} in {path} lacks one."
            )
        if not isinstance(entry.get("column"), (str, type(None))):
            raise InputError(f"the column of pii_guard_allow entry {number} in {path} must be one column name, "
                             f"got {_yaml_kind(entry['column'])}: write one entry per column. {fix}")
        if not isinstance(entry.get("unresolved"), (bool, type(None))):
            raise InputError(f"unresolved in pii_guard_allow entry {number} in {path} must be true or false. {fix}")
    return entries


def _yaml_kind(value: object) -> str:
    """What a YAML value is, in a message: a list, a mapping, a string..."""
    kinds = {list: "a list", dict: "a mapping", str: "a string", bool: "true or false", int: "a number",
             float: "a number"}
    return kinds.get(type(value), type(value).__name__)


def load_project(manifest_path: Path, catalog_path: Path | None = None,
                 project_dir: Path | None = None) -> Project:
    """Read the manifest (required, with compiled SQL), the catalog (optional)."""
    hint = "Run `dbt compile` to write a fresh one."
    manifest = _read_json(manifest_path, "manifest.json", hint)
    validate_manifest(manifest, manifest_path)
    if not isinstance(manifest, dict) or not isinstance(manifest.get("nodes"), dict):
        raise InputError(f"{manifest_path} is not a dbt manifest (no 'nodes'). {hint}")
    metadata = manifest.get("metadata") or {}
    adapter = metadata.get("adapter_type")
    if adapter not in DIALECTS:
        raise InputError(
            f"the manifest was written for adapter {adapter!r}, which pii-guard check does not "
            f"read; supported: {', '.join(sorted(DIALECTS))}."
        )

    nodes: dict[str, Node] = {}
    problems: list[str] = []
    name = metadata.get("project_name") or ""
    raw = list(manifest["nodes"].values()) + list((manifest.get("sources") or {}).values())
    for item in raw:
        kind = item.get("resource_type")
        if kind not in ("model", "seed", "snapshot", "source"):
            continue
        identifier = item.get("identifier") if kind == "source" else item.get("alias")
        columns = item.get("columns") or {}
        config = item.get("config") or {}
        nodes[item["unique_id"]] = Node(
            unique_id=item["unique_id"],
            name=item.get("name", ""),
            resource_type=kind,
            relation=relation_key(item.get("database"), item.get("schema"), identifier or item.get("name")),
            pii_columns={(c.get("name") or n).lower() for n, c in columns.items()
                         if column_pii(c, item["unique_id"], problems)},
            tier=node_tier(item, problems) if kind == "model" else None,
            language=item.get("language") or "sql",
            materialized=config.get("materialized"),
            compiled_code=item.get("compiled_code"),
            depends_on=list((item.get("depends_on") or {}).get("nodes") or []),
            path=item.get("original_file_path") or "",
            declared_columns={(c.get("name") or n).lower(): c.get("data_type") for n, c in columns.items()},
            exact_columns=_exact_columns(item, kind, config, columns, project_dir),
            tags=list(item.get("tags") or config.get("tags") or []),
            fqn=list(item.get("fqn") or []),
            package=item.get("package_name") or "",
            subject=_subject(item, config),
            project=name,
            # dbt's rule for a node a plugin injected from another project's manifest (no file), and no SQL.
            external=kind == "model" and not any(item.get(key) for key in ("original_file_path", "path",
                                                                           "raw_code", "compiled_code")),
        )
    if problems:
        raise InputError(declaration_error(problems))
    sql_models = [n for n in nodes.values() if n.resource_type == "model" and n.language == "sql"]
    if sql_models and all(n.compiled_code is None for n in sql_models):
        raise InputError(
            f"{manifest_path} has no compiled SQL for its models: it was written by a command that does not "
            "compile them, such as `dbt parse`, `dbt test`, `dbt seed` or `dbt run-operation`. "
            "Run `dbt compile` first, then pii-guard check."
        )

    catalog: dict[tuple[str, ...], dict[str, str]] = {}
    if catalog_path is not None:
        data = _read_json(catalog_path, "catalog.json", "Run `dbt docs generate` to write one, or pass --no-catalog.")
        validate_catalog(data, catalog_path)
        for entry in list((data.get("nodes") or {}).values()) + list((data.get("sources") or {}).values()):
            meta = entry.get("metadata") or {}
            key = relation_key(meta.get("database"), meta.get("schema"), meta.get("name"))
            columns = sorted((entry.get("columns") or {}).values(), key=lambda c: c.get("index") or 0)
            catalog[key] = {c["name"].lower(): c.get("type") or "UNKNOWN" for c in columns}

    return Project(
        dialect=DIALECTS[adapter],
        nodes=nodes,
        catalog=catalog,
        allowances=_allowances(project_dir),
        by_relation=_by_relation(nodes),
        warnings=[w for w in [untiered_safe_folders(raw)] if w],
        name=name,
        generated_at=metadata.get("generated_at") or "",
    )


def _by_relation(nodes: dict[str, Node]) -> dict[tuple[str, ...], str]:
    """The node that stands for each physical relation. A seed and the source
    declared over it are one table: the source stands for it, and carries the
    PII declared on either."""
    rank = {"source": 0, "seed": 1, "snapshot": 2, "model": 3}
    chosen: dict[tuple[str, ...], str] = {}
    for uid, node in sorted(nodes.items(), key=lambda item: (rank[item[1].resource_type], item[0])):
        if node.materialized == "ephemeral":
            # Inlined as a CTE by that name; trace.EPHEMERAL_PREFIX.
            chosen[("__dbt__cte__", node.relation[2] or node.name.lower())] = uid  # named after its alias
            continue
        primary = chosen.setdefault(node.relation, uid)
        nodes[primary].pii_columns |= node.pii_columns
        nodes[primary].subject = nodes[primary].subject or node.subject
    return chosen


def _subject(item: dict[str, Any], config: dict[str, Any]) -> str | None:
    """The data subject's column, lower-cased, from meta pii_guard.subject (docs/lifecycle.md, Erasure)."""
    for meta in (config.get("meta"), item.get("meta")):
        declared = (meta or {}).get("pii_guard") if isinstance(meta, dict) else None
        if isinstance(declared, dict) and isinstance(declared.get("subject"), str) and declared["subject"].strip():
            return declared["subject"].strip().lower()
    return None


def _exact_columns(item: dict[str, Any], kind: str, config: dict[str, Any], columns: dict[str, Any],
                   project_dir: Path | None) -> list[str] | None:
    """All of a node's columns when the project itself says so: a seed's CSV
    header, or a model whose contract dbt enforces (it fails the build unless
    the model has exactly its declared columns)."""
    if kind == "model" and (config.get("contract") or {}).get("enforced") is True and columns:
        return [(c.get("name") or n).lower() for n, c in columns.items()]
    if kind != "seed":
        return None
    relative = item.get("original_file_path") or ""
    for root in (item.get("root_path"), project_dir):
        if root and relative:
            header = _csv_header(Path(root) / relative, config.get("delimiter") or ",")
            if header:
                return header
    return None


def _csv_header(path: Path, delimiter: str) -> list[str] | None:
    import csv

    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            header = next(csv.reader(handle, delimiter=delimiter), None)
    except (OSError, UnicodeDecodeError, csv.Error, TypeError):  # TypeError: a delimiter csv refuses
        return None
    return [name.strip().lower() for name in header] if header else None
