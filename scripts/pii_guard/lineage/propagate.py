"""Stage 5: PII over the project's column graph, in one pass in dependency order.

Every (node, column) that carries PII maps each PII origin it derives from to
the hop it came through, so a violation's path is rebuilt by walking back.

>>> from pii_guard.lineage.trace import Dependency, ModelTrace
>>> flows = propagate({("src", "email")}, {"m": ModelTrace({"e": frozenset({Dependency(("d", "s", "src"), "email")})})},
...                   ["m"], {("d", "s", "src"): "src"})
>>> flows[("m", "e")]
{('src', 'email'): (('src', 'email'), 'direct')}
>>> path_to(flows, ("m", "e"), ("src", "email"))
[(('src', 'email'), 'declared PII'), (('m', 'e'), 'direct')]
"""

from __future__ import annotations

from pii_guard.lineage.trace import ModelTrace

Column = tuple[str, str]  # (unique_id, column)
Flows = dict[Column, dict[Column, tuple[Column | None, str]]]


def propagate(declared: set[Column], traces: dict[str, ModelTrace], order: list[str],
              by_relation: dict[tuple[str, ...], str]) -> Flows:
    """origin -> (previous hop, transform) for every column that carries PII."""
    flows: Flows = {column: {column: (None, "declared PII")} for column in declared}
    for uid in order:
        trace = traces.get(uid)
        if trace is None or trace.unresolved:
            continue
        for output, deps in trace.columns.items():
            for dep in deps:
                if not dep.passes_value:
                    continue
                upstream = (by_relation.get(dep.relation, ".".join(dep.relation)), dep.column)
                for origin in flows.get(upstream, {}):
                    flows.setdefault((uid, output), {}).setdefault(origin, (upstream, dep.transform))
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
