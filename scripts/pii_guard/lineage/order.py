"""Stage 2: parents before children.

>>> from pii_guard.lineage.project import Node
>>> a = Node("a", "a", "model", ("d", "s", "a"), set())
>>> b = Node("b", "b", "model", ("d", "s", "b"), set(), depends_on=["a"])
>>> dependency_order({"b": b, "a": a})
['a', 'b']
"""

from __future__ import annotations

from graphlib import CycleError, TopologicalSorter

from pii_guard.lineage.errors import InputError
from pii_guard.lineage.project import Node


def dependency_order(nodes: dict[str, Node], named: dict[str, set[str]] | None = None) -> list[str]:
    """Every node after the nodes it depends on (edges outside `nodes` ignored).
    `named`: parents a model's SQL names outside its depends_on; one that
    would close a cycle is left out."""
    graph = {uid: [p for p in node.depends_on if p in nodes] for uid, node in nodes.items()}
    try:
        order = list(TopologicalSorter(graph).static_order())
    except CycleError as error:
        raise InputError(f"the manifest's dependencies form a cycle: {' -> '.join(error.args[1])}") from None
    if not named:
        return order
    with_named = {uid: parents + [p for p in named.get(uid, ()) if p in nodes] for uid, parents in graph.items()}
    try:
        return list(TopologicalSorter(with_named).static_order())
    except CycleError:
        pass
    for uid, parents in named.items():  # rare: add them one by one, skipping those that close a cycle
        for parent in parents:
            graph[uid].append(parent)
            try:
                order = list(TopologicalSorter(graph).static_order())
            except CycleError:
                graph[uid].remove(parent)
    return order
