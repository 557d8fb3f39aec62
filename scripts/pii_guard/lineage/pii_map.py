"""The PII map: every declared PII column and where it flows, model column by model column.

A traced project -> PiiMap (plain dataclasses, JSON-serializable). One Flow
per (model column, origin) that the column derives from, with its status:

- 'leak': the origin's value reaches a column of a safe model (a violation
  of `pii-guard check`, weak hashes included); 'accepted' when pii_guard_allow
  accepts it;
- 'pii': the value reaches a column of a model that is not safe;
- 'protected': only a protected form reaches it (keyed hash, mask,
  generalization, count): `protected_by` the transform the tracer recorded,
  `protected_at` the column where it was applied;
- 'unresolved': the column derives from a model the checker cannot analyse.

A model that cannot be analysed gets one flow for its column '*'. A column's
status is the worst of its flows', a model's the worst of its columns'.

>>> from pii_guard.lineage.project import Node, Project
>>> from pii_guard.lineage.trace import Dependency, ModelTrace
>>> from pii_guard.lineage.pipeline import TracedProject
>>> from pii_guard.lineage.propagate import propagate
>>> raw = Node("seed.p.people", "people", "seed", ("d", "s", "people"), {"email"})
>>> mart = Node("model.p.mart", "mart", "model", ("d", "s", "mart"), set(), tier="safe", depends_on=["seed.p.people"])
>>> project = Project("duckdb", {n.unique_id: n for n in (raw, mart)}, {}, [], {raw.relation: raw.unique_id})
>>> traces = {"model.p.mart": ModelTrace({
...     "who": frozenset({Dependency(("d", "s", "people"), "email", "protected by hash_pii")}),
...     "n": frozenset()})}
>>> traced = TracedProject(["model.p.mart"], traces, propagate({("seed.p.people", "email")}, traces,
...                        ["model.p.mart"], project), {})
>>> model = pii_map(project, traced).models[0]
>>> model.status, [(c.name, c.status, [f.protected_by for f in c.flows]) for c in model.columns]
('protected', [('who', 'protected', ['protected by hash_pii']), ('n', 'clean', [])])
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from pii_guard.lineage.project import Project
from pii_guard.lineage.propagate import UNKNOWN, Flows, path_to, propagate
from pii_guard.lineage.report import build_report
from pii_guard.lineage.trace import COUNTED, Dependency

if TYPE_CHECKING:
    from pii_guard.lineage.pipeline import TracedProject

# Worst first: a column's (and a model's) status is the first of these any of its flows has.
STATUSES = ("leak", "unresolved", "accepted", "pii", "protected")
CLEAN = "clean"


@dataclass
class Flow:
    """How one origin reaches one column: `path` the columns from the origin
    ('<node>.<column>'), `transforms` the transform into each hop after the first."""

    origin: str
    status: str
    path: list[str]
    transforms: list[str]
    protected_by: str | None = None
    protected_at: str | None = None
    note: str | None = None  # why unresolved, or the reason a leak is accepted


@dataclass
class MapColumn:
    name: str
    status: str
    flows: list[Flow]


@dataclass
class MapModel:
    """A model or snapshot with its columns in order: those that carry no
    PII nor a protected form of it are 'clean', with no flows."""

    id: str
    name: str
    resource_type: str
    tier: str  # 'safe', 'restricted' or 'untiered'
    path: str
    status: str
    columns: list[MapColumn]
    reason: str | None = None  # why it is unresolved


@dataclass
class Origin:
    """A declared PII column, and how many model columns derive from it."""

    id: str
    node: str
    column: str
    resource_type: str
    reaches: int = 0


@dataclass
class PiiMap:
    origins: list[Origin] = field(default_factory=list)
    models: list[MapModel] = field(default_factory=list)
    stats: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _keeps_a_form(dependency: Dependency) -> bool:
    """Every dependency but a count: the protected forms of PII too."""
    return dependency.transform != COUNTED


def _worst(statuses: list[str]) -> str:
    return next((s for s in STATUSES if s in statuses), CLEAN)


def _dotted(column: tuple[str, str]) -> str:
    return f"{column[0]}.{column[1]}"


def _protection(transforms: list[str], path: list[str]) -> tuple[str | None, str | None]:
    """The first transform on the path that does not pass the value, and the hop it leads to."""
    for hop, transform in zip(path[1:], transforms):
        if not Dependency((), "", transform).passes_value:
            return transform, hop
    return None, None


def pii_map(project: Project, traced: TracedProject) -> PiiMap:
    """Every model column that derives from declared PII, with the status of each origin's flow."""
    report = build_report(project, traced)
    leaks = {(v.model, v.column, v.source) for v in report.violations}
    accepted = {(v.model, v.column, v.source): v.accepted for v in report.accepted}
    why_unresolved = {u.model: u.reason for u in report.unresolved}
    accepted_unresolved = {u.model: f"{u.reason} (accepted: {u.accepted})" for u in report.accepted_unresolved}
    declared = {(uid, column) for uid, node in project.nodes.items() for column in node.pii_columns}
    unresolved = set(traced.unresolved)
    # The value (traced.flows), its protected forms, and counts of either: the first that reaches a column explains it.
    layers: list[Flows] = [traced.flows,
                           propagate(declared, traced.traces, traced.order, project, unresolved, _keeps_a_form),
                           propagate(declared, traced.traces, traced.order, project, unresolved, lambda _: True)]
    reaches: dict[str, int] = {}
    result = PiiMap()
    for uid in traced.order:
        node = project.nodes[uid]
        if node.resource_type not in ("model", "snapshot"):
            continue
        trace = traced.traces.get(uid)
        names = list(trace.columns) if trace is not None and uid not in unresolved else []
        columns: list[MapColumn] = []
        for name in names:
            flows = _column_flows(traced, layers, (uid, name), node.tier == "safe", leaks, accepted)
            for flow in flows:
                reaches[flow.origin] = reaches.get(flow.origin, 0) + 1
            columns.append(MapColumn(name, _worst([f.status for f in flows]), flows))
        reason = why_unresolved.get(uid) or accepted_unresolved.get(uid)
        if uid in unresolved:
            status = "accepted" if uid in accepted_unresolved else "unresolved"
            columns.append(MapColumn(UNKNOWN, status, [Flow(f"{uid}.{UNKNOWN}", status, [f"{uid}.{UNKNOWN}"], [],
                                                            note=reason)]))
        status = _worst([c.status for c in columns] + (["unresolved"] if uid in why_unresolved else []))
        result.models.append(MapModel(uid, node.name, node.resource_type, node.tier or "untiered", node.path,
                                      status, columns, reason))
    result.origins = [Origin(_dotted(column), column[0], column[1], project.nodes[column[0]].resource_type,
                             reaches.get(_dotted(column), 0)) for column in sorted(declared)]
    counted = [f.status for m in result.models for c in m.columns for f in c.flows]
    result.stats = {
        "pii_columns": len(result.origins),
        "models": len(result.models),
        "safe_models": sum(1 for m in result.models if m.tier == "safe"),
        **{f"{status}_flows": counted.count(status) for status in STATUSES},
        "unresolved_models": len(why_unresolved),
    }
    return result


def _column_flows(traced: TracedProject, layers: list[Flows], column: tuple[str, str],
                  safe: bool, leaks: set[tuple[str, str, str]], accepted: dict[tuple[str, str, str], str | None]
                  ) -> list[Flow]:
    """One Flow per origin `column` derives from, explained by the first layer that reaches it."""
    flows: list[Flow] = []
    seen: set[tuple[str, str]] = set()
    for depth, layer in enumerate(layers):
        for origin in sorted(layer.get(column, {})):
            if origin in seen:
                continue
            seen.add(origin)
            hops = path_to(layer, column, origin)
            path = [_dotted(hop) for hop, _ in hops]
            transforms = [transform for _, transform in hops[1:]]
            key = (column[0], column[1], _dotted(origin))
            protected_by, protected_at = _protection(transforms, path) if depth else (None, None)
            note = None
            if origin[1] == UNKNOWN:
                status, note = "unresolved", traced.unresolved.get(origin[0])
            elif depth:
                status = "protected"
            elif key in accepted:
                status, note = "accepted", accepted[key]
            else:
                status = "leak" if safe or key in leaks else "pii"
            flows.append(Flow(_dotted(origin), status, path, transforms, protected_by, protected_at, note))
    return flows
