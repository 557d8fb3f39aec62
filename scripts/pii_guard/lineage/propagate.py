"""Stage 5: PII over the project's column graph, in one pass in dependency order.

Every (node, column) that carries PII maps each PII origin it derives from to
the hop it came through, so a violation's path is rebuilt by walking back.
A column of a model that could not be analysed is an origin too, `(model,
"*")`: what it carries is unknown, so whatever derives from it is reported
as unresolved, never as clean.

>>> from pii_guard.lineage.project import Project
>>> from pii_guard.lineage.trace import Dependency, ModelTrace
>>> project = Project("duckdb", {}, {}, [], {("d", "s", "src"): "src"})
>>> flows = propagate({("src", "email")}, {"m": ModelTrace({"e": frozenset({Dependency(("d", "s", "src"), "email")})})},
...                   ["m"], project)
>>> flows[("m", "e")]
{('src', 'email'): (('src', 'email'), 'direct')}
>>> path_to(flows, ("m", "e"), ("src", "email"))
[(('src', 'email'), 'declared PII'), (('m', 'e'), 'direct')]
"""

from __future__ import annotations

from collections.abc import Callable

from pii_guard.lineage.project import Project
from pii_guard.lineage.trace import Dependency, ModelTrace

Column = tuple[str, str]  # (unique_id, column)
Flows = dict[Column, dict[Column, tuple[Column | None, str]]]
# The column name of the origin that stands for everything an unanalysable model yields.
UNKNOWN = "*"


def propagate(declared: set[Column], traces: dict[str, ModelTrace], order: list[str], project: Project,
              unresolved: set[str] | frozenset[str] = frozenset(),
              passes: Callable[[Dependency], bool] = lambda dependency: dependency.passes_value) -> Flows:
    """origin -> (previous hop, transform) for every column that carries PII.
    `passes`: which dependencies carry an origin on (by default the ones that
    pass its value; erasure follows protected forms too)."""
    flows: Flows = {column: {column: (None, "declared PII")} for column in declared}
    for uid in unresolved:
        flows[(uid, UNKNOWN)] = {(uid, UNKNOWN): (None, "could not be analysed")}
    nodes: dict[tuple[str, ...], str] = {}

    def node_for(relation: tuple[str, ...]) -> str:
        if relation not in nodes:
            nodes[relation] = project.node_for(relation) or ".".join(relation)
        return nodes[relation]

    for uid in order:
        trace = traces.get(uid)
        if trace is None or uid in unresolved or trace.unresolved:
            continue
        # Sorted: the first origin found, and so the path reported, must not depend on hashing.
        edges = [((uid, output), dep) for output, deps in trace.columns.items()
                 for dep in sorted(deps, key=lambda d: (d.relation, d.column, d.transform)) if passes(dep)]
        changed = True
        while changed:  # a model that reads itself ({{ this }}) needs more than one pass
            changed = False
            for target, dep in edges:
                parent = node_for(dep.relation)
                upstream = (parent, UNKNOWN) if parent in unresolved else (parent, dep.column)
                for origin in list(flows.get(upstream, {})):
                    hops = flows.setdefault(target, {})
                    if origin not in hops and upstream != target:
                        hops[origin] = (upstream, dep.transform)
                        changed = changed or parent == uid
    return flows


def path_to(flows: Flows, column: Column, origin: Column) -> list[tuple[Column, str]]:
    """The hops from `origin` to `column`, each with the transform that led to it."""
    hops: list[tuple[Column, str]] = []
    current: Column | None = column
    while current is not None:
        previous, transform = flows[current][origin]
        hops.append((current, transform))
        current = previous
    return list(reversed(hops))
