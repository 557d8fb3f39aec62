"""Stage 1: which columns of which relations no yml classifies yet.

A relation is a source, seed, snapshot or model of the project itself (not of
an installed package: its yml is not the user's to edit). Its columns are
those its yml lists, the catalog's (every column the warehouse has), a
seed's CSV header, and, later, the sampled ones. A column is classified when
any node describing the same table says pii true or false, or tags it pii
(`column_pii`, the rules of the `is_classified_column` macro); a source and
the seed it reads are one table, as `all_columns_classified` reads them.

>>> manifest = {"metadata": {"project_name": "p"}, "nodes": {}, "sources": {"source.p.crm.people": {
...     "unique_id": "source.p.crm.people", "resource_type": "source", "package_name": "p", "name": "people",
...     "source_name": "crm", "schema": "main", "identifier": "people", "original_file_path": "models/s.yml",
...     "columns": {"id": {"name": "id", "meta": {"pii": False}}, "email": {"name": "email"}}}}}
>>> [(r.name, r.unclassified) for r in relations_to_classify(manifest, None, None)]
[('people', ['email'])]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pii_guard.lineage.declarations import column_pii, declaration_error
from pii_guard.lineage.errors import InputError
from pii_guard.lineage.project import _csv_header, relation_key

# Which node of several describing one table gets the proposals (as project._by_relation ranks them).
RANK = {"source": 0, "seed": 1, "snapshot": 2, "model": 3}


@dataclass
class Relation:
    """One table or view to classify, and where its yml is."""

    unique_id: str
    resource_type: str
    name: str
    source_name: str | None  # sources only: the `- name:` of the source holding the table
    relation: tuple[str, ...]  # (database, schema, identifier) as the manifest has them
    yml_path: str | None  # the yml declaring it, relative to the project; None when none does
    code_path: str  # the .sql/.csv/.yml that defines it, relative to the project
    package: str
    # Columns in the yml (names as written) and all columns known, lower-cased.
    yml_columns: list[str] = field(default_factory=list)
    known_columns: list[str] = field(default_factory=list)
    classified: set[str] = field(default_factory=set)

    @property
    def unclassified(self) -> list[str]:
        return [c for c in self.known_columns if c not in self.classified]

    @property
    def display(self) -> str:
        return ".".join(part for part in self.relation if part)

    def add_columns(self, names: list[str]) -> None:
        """More columns known to exist (catalog, seed header, sample)."""
        for name in names:
            if name.lower() not in self.known_columns:
                self.known_columns.append(name.lower())


def _yml_path(item: dict[str, Any]) -> str | None:
    """The yml file declaring a node, relative to its project: a source's
    original_file_path, another node's patch_path without `project://`."""
    if item.get("resource_type") == "source":
        return item.get("original_file_path") or None
    patch = item.get("patch_path")
    if not patch:
        return None
    return patch.split("://", 1)[1] if "://" in patch else patch


def relations_to_classify(manifest: dict[str, Any], catalog: dict[str, Any] | None,
                          project_dir: Path | None) -> list[Relation]:
    """Every relation of the project, with its known and classified columns,
    in the order of their unique_ids; nodes of installed packages are left out."""
    project = (manifest.get("metadata") or {}).get("project_name")
    items = list((manifest.get("nodes") or {}).values()) + list((manifest.get("sources") or {}).values())
    items = [i for i in items if i.get("resource_type") in RANK]
    problems: list[str] = []
    classified_by_table: dict[tuple[str, ...], set[str]] = {}
    chosen: dict[tuple[str, ...], Relation] = {}
    for item in sorted(items, key=lambda i: (RANK[i["resource_type"]], i["unique_id"])):
        kind = item["resource_type"]
        identifier = item.get("identifier") if kind == "source" else item.get("alias")
        table = relation_key(item.get("database"), item.get("schema"), identifier or item.get("name"))
        columns = list((item.get("columns") or {}).items())
        classified = classified_by_table.setdefault(table, set())
        classified.update((c.get("name") or key).lower() for key, c in columns
                          if column_pii(c, item["unique_id"], problems) is not None)
        if (project and item.get("package_name") != project) or (item.get("config") or {}).get("materialized") == "ephemeral":
            continue
        relation = chosen.get(table)
        if relation is None:
            relation = chosen[table] = Relation(
                unique_id=item["unique_id"], resource_type=kind, name=item.get("name") or "",
                source_name=item.get("source_name") if kind == "source" else None,
                relation=(item.get("database") or "", item.get("schema") or "", identifier or item.get("name") or ""),
                yml_path=_yml_path(item), code_path=item.get("original_file_path") or "",
                package=item.get("package_name") or "",
                yml_columns=[c.get("name") or key for key, c in columns])
        relation.add_columns([c.get("name") or key for key, c in columns])
        if kind == "seed":
            relation.add_columns(_seed_header(item, project_dir))
    if problems:
        raise InputError(declaration_error(problems))
    for uid_entries in _catalog_columns(catalog):
        table, names = uid_entries
        if table in chosen:
            chosen[table].add_columns(names)
    for table, relation in chosen.items():
        relation.classified = classified_by_table.get(table, set())
    return sorted(chosen.values(), key=lambda r: r.unique_id)


def _seed_header(item: dict[str, Any], project_dir: Path | None) -> list[str]:
    relative = item.get("original_file_path") or ""
    delimiter = (item.get("config") or {}).get("delimiter") or ","
    for root in (project_dir, item.get("root_path")):
        if root and relative:
            header = _csv_header(Path(root) / relative, delimiter)
            if header:
                return header
    return []


def _catalog_columns(catalog: dict[str, Any] | None) -> list[tuple[tuple[str, ...], list[str]]]:
    """(table, its columns in order) for every catalog entry."""
    if not catalog:
        return []
    found = []
    for entry in list((catalog.get("nodes") or {}).values()) + list((catalog.get("sources") or {}).values()):
        meta = entry.get("metadata") or {}
        table = relation_key(meta.get("database"), meta.get("schema"), meta.get("name"))
        columns = sorted((entry.get("columns") or {}).values(), key=lambda c: c.get("index") or 0)
        found.append((table, [c["name"] for c in columns]))
    return found
