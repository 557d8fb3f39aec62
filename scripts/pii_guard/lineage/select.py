"""Which models a check reports on: dbt's node selection words.

A selector is a model name (or glob), `tag:NAME`, `path:DIR_OR_FILE`,
`fqn:A.B.C`, `package:NAME` or `config.materialized:KIND`, optionally with
`+` before (its ancestors too) or after (its descendants too). Selectors
separated by spaces or given twice are a union; joined by commas, an
intersection. Everything is traced either way: selection filters the report.

>>> from pii_guard.lineage.project import Node, Project
>>> a = Node("model.p.a", "a", "model", ("d", "s", "a"), set(), path="models/staging/a.sql", tags=["pii"])
>>> b = Node("model.p.b", "b", "model", ("d", "s", "b"), set(), path="models/marts/b.sql", depends_on=["model.p.a"])
>>> project = Project("duckdb", {a.unique_id: a, b.unique_id: b}, {}, [], {})
>>> sorted(select_models(project, ["path:models/marts"], []))
['model.p.b']
>>> sorted(select_models(project, ["tag:pii+"], ["b"]))
['model.p.a']
"""

from __future__ import annotations

from fnmatch import fnmatchcase

from pii_guard.lineage.errors import InputError
from pii_guard.lineage.project import Node, Project

METHODS = ("tag", "path", "fqn", "package", "config.materialized")


def _matches(node: Node, selector: str) -> bool:
    method, _, value = selector.partition(":") if ":" in selector else ("", "", selector)
    if method == "tag":
        return any(fnmatchcase(tag, value) for tag in node.tags)
    if method == "path":
        value = value.rstrip("/")
        return node.path == value or node.path.startswith(value + "/") or fnmatchcase(node.path, value)
    if method == "fqn":
        return fnmatchcase(".".join(node.fqn), value)
    if method == "package":
        return fnmatchcase(node.package, value)
    if method == "config.materialized":
        return node.materialized == value
    if method:
        raise InputError(f"unknown selector method {method!r} in {selector!r}; use a model name, "
                         f"{', '.join(m + ':' for m in METHODS)}, with + for ancestors or descendants.")
    return fnmatchcase(node.name, value) or fnmatchcase(node.unique_id, value) or (
        "/" in value and node.path.startswith(value.rstrip("/")))


def _closure(project: Project, start: set[str], upward: bool) -> set[str]:
    children: dict[str, list[str]] = {}
    for uid, node in project.nodes.items():
        for parent in node.depends_on:
            children.setdefault(parent, []).append(uid)
    found, stack = set(start), list(start)
    while stack:
        uid = stack.pop()
        nexts = project.nodes[uid].depends_on if upward and uid in project.nodes else children.get(uid, [])
        for other in nexts:
            if other in project.nodes and other not in found:
                found.add(other)
                stack.append(other)
    return found


def _select_one(project: Project, models: dict[str, Node], selector: str) -> set[str]:
    ancestors, descendants = selector.startswith("+"), selector.endswith("+")
    core = selector.strip("+")
    if not core:
        raise InputError(f"empty selector {selector!r}")
    found = {uid for uid, node in models.items() if _matches(node, core)}
    if ancestors:
        found |= _closure(project, found, upward=True)
    if descendants:
        found |= _closure(project, found, upward=False)
    return {uid for uid in found if uid in models}


def _select(project: Project, models: dict[str, Node], selectors: list[str]) -> set[str]:
    chosen: set[str] = set()
    for word in (w for selector in selectors for w in selector.split()):
        parts = [_select_one(project, models, part) for part in word.split(",")]
        chosen |= set.intersection(*parts)
    return chosen


def select_models(project: Project, select: list[str], exclude: list[str]) -> set[str] | None:
    """The models to report on; None when nothing narrows the report."""
    if not select and not exclude:
        return None
    models = {uid: n for uid, n in project.nodes.items() if n.resource_type in ("model", "snapshot")}
    chosen = _select(project, models, select) if select else set(models)
    chosen -= _select(project, models, exclude)
    if not chosen:
        raise InputError(f"nothing to check: --select {' '.join(select) or '(all)'}"
                         f"{' --exclude ' + ' '.join(exclude) if exclude else ''} matches no model.")
    return chosen
