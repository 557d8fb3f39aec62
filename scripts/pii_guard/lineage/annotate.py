"""Each model column's derived classification, where dbt users look: a yml
patch adding ``meta: {pii_guard_derived: {...}}`` (classify's patch
machinery: comments and layout kept, existing config/meta merged into), and
a copy of the manifest with it in each column's meta, for `dbt docs`.

The classification of a column, from the PII map:

- ``{status: pii, pii_from: [...]}``: the value of these declared PII columns reaches it;
- ``{status: unresolved, unresolved_from: [...]}``: it derives from models the
  checker cannot analyse (``reason`` instead, for such a model's own columns);
- ``{status: protected, protected_from: [...], protected_by: [...]}``: only
  protected forms reach it, through these transforms;
- ``{status: clean}``: no declared PII reaches it.

A column has the first that applies; `protected_*` are kept beside `pii_from`.

>>> from pii_guard.lineage.pii_map import Flow, MapColumn
>>> column_classification(MapColumn("h", "protected", [Flow("seed.p.t.email", "protected", [], [],
...                                                          "protected by hash_pii", "model.p.m.h")]))
{'status': 'protected', 'protected_from': ['seed.p.t.email'], 'protected_by': ['hash_pii']}
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from pii_guard.classify.columns import _yml_path
from pii_guard.classify.patch import Entity, Patch, yml_patch
from pii_guard.lineage.pii_map import MapColumn, PiiMap
from pii_guard.lineage.propagate import UNKNOWN

META_KEY = "pii_guard_derived"
RAW = ("leak", "accepted", "pii")
Classification = dict[str, dict[str, dict[str, Any]]]  # model -> column -> pii_guard_derived


def column_classification(column: MapColumn) -> dict[str, Any]:
    """The pii_guard_derived value of one column with flows."""
    raw = sorted({f.origin for f in column.flows if f.status in RAW})
    unknown = sorted({f.origin.removesuffix("." + UNKNOWN) for f in column.flows if f.status == "unresolved"})
    protected = [f for f in column.flows if f.status == "protected"]
    derived: dict[str, Any] = {"status": "pii" if raw else "unresolved" if unknown else "protected" if protected
                               else "clean"}
    if raw:
        derived["pii_from"] = raw
    if unknown:
        derived["unresolved_from"] = unknown
    if protected:
        derived["protected_from"] = sorted({f.origin for f in protected})
        derived["protected_by"] = sorted({(f.protected_by or "").removeprefix("protected by ") for f in protected})
    return derived


def classification(pii_map: PiiMap, declared: dict[str, list[str]]) -> Classification:
    """Every column of every model in the map; an unanalysable model's
    columns (`declared`: its yml's, by model) are unresolved."""
    result: Classification = {}
    for model in pii_map.models:
        columns = {c.name: column_classification(c) for c in model.columns if c.name != UNKNOWN}
        if any(c.name == UNKNOWN for c in model.columns):
            columns.update({name: {"status": "unresolved", "reason": model.reason or "could not be analysed"}
                            for name in declared.get(model.id, [])})
        result[model.id] = columns
    return result


def _own_nodes(manifest: dict[str, Any], derived: Classification) -> list[dict[str, Any]]:
    """The manifest's nodes that are annotated and belong to the root project
    (an installed package's yml is not the user's to patch)."""
    project = (manifest.get("metadata") or {}).get("project_name")
    nodes = manifest.get("nodes") or {}
    return [nodes[uid] for uid in derived if uid in nodes and (project is None or nodes[uid].get("package_name") == project)]


def annotation_patch(manifest: dict[str, Any], project_dir: Path, derived: Classification) -> Patch:
    """The unified diff of the project's yml adding each column's pii_guard_derived."""
    by_file: dict[str | None, list[Entity]] = {}
    code_paths: dict[tuple[str, str], str] = {}
    for item in _own_nodes(manifest, derived):
        columns = {name: {META_KEY: value} for name, value in derived[item["unique_id"]].items()}
        if not columns:
            continue
        kind, name = item["resource_type"], item["name"]
        by_file.setdefault(_yml_path(item), []).append((kind, None, name, columns))
        code_paths[(kind, name)] = item.get("original_file_path") or ""
    return yml_patch(project_dir, by_file, code_paths, merge=True)


def annotated_manifest(manifest: dict[str, Any], derived: Classification) -> dict[str, Any]:
    """A copy of the manifest with pii_guard_derived in the meta (and config.meta)
    of every annotated column; a column no yml lists is added."""
    annotated = copy.deepcopy(manifest)
    nodes = annotated.get("nodes") or {}
    for uid, columns in derived.items():
        node = nodes.get(uid)
        if node is None:
            continue
        listed = node.setdefault("columns", {})
        by_name = {(entry.get("name") or key).lower(): entry for key, entry in listed.items()}
        for name, value in columns.items():
            entry = by_name.get(name.lower())
            if entry is None:
                entry = listed[name] = {"name": name, "description": "", "meta": {}, "data_type": None,
                                        "constraints": [], "quote": None, "tags": [], "config": {"meta": {}, "tags": []}}
            for holder in (entry, entry.get("config")):
                if isinstance(holder, dict):
                    if not isinstance(holder.get("meta"), dict):
                        holder["meta"] = {}
                    holder["meta"][META_KEY] = value
    return annotated
