"""`pii-guard explain MODEL.COLUMN`: the full upstream lineage of one column,
with the transform at each hop, as an indented tree."""

from __future__ import annotations

from pii_guard.lineage.errors import InputError
from pii_guard.lineage.pipeline import trace_project
from pii_guard.lineage.project import Project


def explain(project: Project, target: str) -> str:
    model_name, _, column = target.rpartition(".")
    matches = [uid for uid, node in project.nodes.items()
               if node.resource_type in ("model", "snapshot") and model_name in (uid, node.name)]
    if not model_name or len(matches) != 1:
        raise InputError(f"{target!r}: expected MODEL.COLUMN naming one model (by name or unique_id); "
                         f"{'no' if not matches else len(matches)} models match {model_name!r}.")
    traces = trace_project(project).traces
    lines: list[str] = []
    shown: set[tuple[str, str]] = set()

    def walk(uid: str, name: str, transform: str, depth: int) -> None:
        node = project.nodes.get(uid)
        pii = " [PII]" if node is not None and name in node.pii_columns else ""
        line = f"{'    ' * depth}{'<- ' if depth else ''}{uid}.{name}{pii}" + (f"  ({transform})" if depth else "")
        trace = traces.get(uid)
        if trace is not None and (uid, name) in shown:
            lines.append(line + "  (upstream shown above)")  # a column reached twice is expanded once
            return
        lines.append(line)
        shown.add((uid, name))
        if trace is None:
            return
        if trace.unresolved:
            lines.append(f"{'    ' * (depth + 1)}?? unresolved: {trace.unresolved}")
            return
        for dep in sorted(trace.columns.get(name, ()), key=lambda d: (d.relation, d.column, d.transform)):
            parent = project.node_for(dep.relation) or ".".join(dep.relation)
            walk(parent, dep.column, dep.transform, depth + 1)

    walk(matches[0], column.lower(), "", 0)
    return "\n".join(lines) + "\n"
