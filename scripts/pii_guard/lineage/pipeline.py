"""The whole check: load -> order -> schema -> trace -> propagate -> report."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pii_guard.lineage.order import dependency_order
from pii_guard.lineage.project import Project, load_project
from pii_guard.lineage.propagate import Flows, propagate
from pii_guard.lineage.report import Report, build_report
from pii_guard.lineage.schemas import add_model, catalog_schema
from pii_guard.lineage.trace import ModelTrace, trace_model


def trace_project(project: Project, progress: Callable[[int, int], None] | None = None
                  ) -> tuple[list[str], dict[str, ModelTrace], Flows]:
    """Trace every SQL model in dependency order, then propagate PII."""
    order = dependency_order(project.nodes)
    schema = catalog_schema(project)
    traces: dict[str, ModelTrace] = {}
    models = [uid for uid in order if project.nodes[uid].resource_type in ("model", "snapshot")]
    for done, uid in enumerate(models, 1):
        node = project.nodes[uid]
        if node.language == "sql" and node.compiled_code is not None:
            traced = trace_model(node.compiled_code, project.dialect, schema)
            traces[uid] = traced
            if not traced.unresolved and node.materialized != "ephemeral":
                add_model(schema, node.relation, list(traced.columns), project.dialect)
        if progress is not None:
            progress(done, len(models))
    declared = {(uid, column) for uid, node in project.nodes.items() for column in node.pii_columns}
    return order, traces, propagate(declared, traces, order, project.by_relation)


def check(manifest: Path, catalog: Path | None = None, project_dir: Path | None = None,
          progress: Callable[[int, int], None] | None = None) -> Report:
    project = load_project(manifest, catalog, project_dir)
    order, traces, flows = trace_project(project, progress)
    return build_report(project, traces, flows, order)
