"""Erasure plan: where a forgotten data subject's PII is stored, from the column lineage.

A relation with yml meta `pii_guard: {subject: <column>}` (a source or seed:
raw data) names the column that identifies its data subject. Every model or
snapshot that stores rows (anything but a view or an ephemeral model; a
materialized view is refreshed, not erased) and has a column
deriving from that relation's PII, through any transform but a count (the
value itself, a keyed pseudonym, a mask, a generalization), is a relation to
erase. Its columns deriving from the subject column are its keys: a row whose
key is one of a forgotten subject's forms is that subject's row. Views and
ephemeral models store nothing; the raw relations are the loader's (docs/lifecycle.md,
'Erasure').

A model the checker cannot analyse (a Python model, SQL it cannot trace), or
one that reads such a model, may hold the PII in columns no lineage names: it
is listed as not erasable, never assumed clean.

>>> from pii_guard.lineage.project import Node, Project
>>> from pii_guard.lineage.trace import Dependency, ModelTrace
>>> raw = Node("seed.p.people", "people", "seed", ("d", "s", "people"), {"email", "person_id"}, subject="person_id")
>>> mart = Node("model.p.mart", "mart", "model", ("d", "s", "mart"), set(), materialized="table",
...             depends_on=["seed.p.people"])
>>> project = Project("duckdb", {n.unique_id: n for n in (raw, mart)}, {}, [],
...                   {raw.relation: raw.unique_id, mart.relation: mart.unique_id})
>>> from pii_guard.lineage.pipeline import TracedProject
>>> traced = TracedProject(["model.p.mart"], {"model.p.mart": ModelTrace({
...     "who": frozenset({Dependency(("d", "s", "people"), "person_id", "protected by hash_pii")}),
...     "email": frozenset({Dependency(("d", "s", "people"), "email")}),
...     "n": frozenset({Dependency(("d", "s", "people"), "email", "counted")})})}, {}, {})
>>> plan = erasure_plan(project, traced)
>>> plan.relations[0].keys, plan.relations[0].columns
({'who': ['seed.p.people.person_id']}, {'email': ['seed.p.people.email'], 'who': ['seed.p.people.person_id']})
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pii_guard.lineage.project import Project
from pii_guard.lineage.propagate import UNKNOWN, propagate
from pii_guard.lineage.trace import COUNTED, Dependency

# Materializations that store nothing (a view reads its parents when queried);
# every other one, custom materializations included, is assumed to store rows.
NOT_STORING = {"view", "ephemeral"}
# Stored, but only the warehouse may change their rows: a refresh recomputes them.
REFRESHED = {"materialized_view", "dynamic_table"}


@dataclass
class Origin:
    """A raw relation that declares its data subject: its PII columns are erased downstream."""

    node: str
    subject: str
    columns: list[str]


@dataclass
class RelationToErase:
    """A stored relation: `keys` are its columns deriving from a subject column,
    `columns` every column deriving from the subject's PII (or the subject
    column), each with the origins it derives from as '<origin node>.<column>'."""

    node: str
    keys: dict[str, list[str]]
    columns: dict[str, list[str]]


@dataclass
class ErasurePlan:
    origins: list[Origin] = field(default_factory=list)
    relations: list[RelationToErase] = field(default_factory=list)
    not_erasable: dict[str, str] = field(default_factory=dict)  # node -> why

    def as_args(self) -> dict[str, object]:
        """The plan as `dbt run-operation pii_guard.erase_subjects --args` takes it."""
        return {"plan": {
            "origins": [{"node": o.node, "subject": o.subject, "columns": o.columns} for o in self.origins],
            "relations": [{"node": r.node, "keys": r.keys, "columns": r.columns} for r in self.relations],
        }}


def _carries_a_form(dependency: Dependency) -> bool:
    """Anything but a count keeps something of the value: erasure follows it."""
    return dependency.transform != COUNTED


def erasure_plan(project: Project, traced: "TracedProject") -> ErasurePlan:  # noqa: F821 (pipeline imports this)
    """Every stored relation holding PII of a subject-declaring raw relation."""
    primary = set(project.by_relation.values())
    origins = [Origin(uid, node.subject, sorted(node.pii_columns | {node.subject}))
               for uid, node in sorted(project.nodes.items())
               if uid in primary and node.subject and node.resource_type in ("source", "seed")]
    plan = ErasurePlan(origins=origins)
    if not origins:
        return plan
    declared = {(o.node, column) for o in origins for column in o.columns}
    subjects = {(o.node, o.subject) for o in origins}
    flows = propagate(declared, traced.traces, traced.order, project, set(traced.unresolved), _carries_a_form)

    downstream = _downstream(project, traced.order, {o.node for o in origins})
    held: dict[str, dict[str, set[tuple[str, str]]]] = {}
    for (uid, column), hops in flows.items():
        if uid in project.nodes and project.nodes[uid].resource_type != "source":
            held.setdefault(uid, {})[column] = set(hops)
    for uid in traced.order:
        node = project.nodes[uid]
        stored = node.resource_type == "snapshot" or (node.resource_type == "model"
                                                       and node.materialized not in NOT_STORING)
        columns = held.get(uid)
        if not stored or not columns:
            continue
        if node.materialized in REFRESHED:
            plan.not_erasable[uid] = (f"a {node.materialized} takes no UPDATE: refresh it (dbt run --select "
                                      f"{node.name}) once the first layer drops the forgotten subjects")
            continue
        unknown = sorted({origin[0] for hops in columns.values() for origin in hops
                          if origin[1] == UNKNOWN and origin[0] in downstream})
        if unknown:
            reason = traced.unresolved.get(uid) if uid in unknown else None
            plan.not_erasable[uid] = reason or (
                f"reads {', '.join(unknown)}, which could not be analysed ({traced.unresolved.get(unknown[0], '')})")
            continue
        if all(origin[1] == UNKNOWN for hops in columns.values() for origin in hops):
            continue  # only unknowns of models no subject's PII reaches
        named = {column: sorted(f"{o}.{c}" for o, c in hops if (o, c) in declared) for column, hops in columns.items()}
        keys = {column: sorted(f"{o}.{c}" for o, c in hops if (o, c) in subjects)
                for column, hops in columns.items() if hops & subjects}
        plan.relations.append(RelationToErase(uid, dict(sorted(keys.items())),
                                              {c: v for c, v in sorted(named.items()) if v}))
    return plan


def _downstream(project: Project, order: list[str], origins: set[str]) -> set[str]:
    """The nodes that read, directly or not, one of `origins` (a seed read
    through the source declared over it counts)."""
    reached = set(origins)
    for uid in order:
        for parent in project.nodes[uid].depends_on:
            node = project.nodes.get(parent)
            if parent in reached or (node is not None and project.by_relation.get(node.relation) in reached):
                reached.add(uid)
                break
    return reached - origins
