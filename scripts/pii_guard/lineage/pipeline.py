"""The whole check: load -> order -> schema -> trace -> propagate -> report.

Tracing is the expensive stage (parse and qualify each model once). A model
needs only the columns of the relations it reads, so each is traced with a
small schema of its own as soon as its parents are traced, on every core.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from pathlib import Path

from pii_guard.lineage.order import dependency_order
from pii_guard.lineage.project import Project, load_project
from pii_guard.lineage.propagate import Flows, propagate
from pii_guard.lineage.report import Report, build_report
from pii_guard.lineage.schemas import schema_for
from pii_guard.lineage.trace import ModelTrace, trace_model

Relation = tuple[str, ...]
# Below this many models a process pool costs more than it saves.
PARALLEL_FROM = 300


def _trace_task(sql: str, dialect: str, tables: dict[Relation, list[str]]) -> ModelTrace:
    return trace_model(sql, dialect, schema_for(tables, dialect))


def _relations_read(project: Project, uid: str) -> list[Relation]:
    """The physical relations a model's compiled SQL reads: its parents', and
    through ephemeral parents (inlined as CTEs) theirs."""
    seen: set[str] = set()
    stack = list(project.nodes[uid].depends_on)
    relations = []
    while stack:
        parent = stack.pop()
        node = project.nodes.get(parent)
        if parent in seen or node is None:
            continue
        seen.add(parent)
        if node.materialized == "ephemeral":
            stack.extend(node.depends_on)
        else:
            relations.append(node.relation)
    return relations


class _InlineExecutor(Executor):
    """Runs each task at once, in this process."""

    def submit(self, fn, /, *args, **kwargs) -> Future:
        future: Future = Future()
        future.set_result(fn(*args, **kwargs))
        return future


def trace_project(project: Project, progress: Callable[[int, int], None] | None = None,
                  workers: int | None = None) -> tuple[list[str], dict[str, ModelTrace], Flows]:
    """Trace every SQL model, parents before children, then propagate PII."""
    order = dependency_order(project.nodes)
    models = [uid for uid in order if project.nodes[uid].resource_type in ("model", "snapshot")]
    columns: dict[Relation, list[str]] = {rel: list(cols) for rel, cols in project.catalog.items() if cols}
    waiting = {uid: {p for p in project.nodes[uid].depends_on if p in project.nodes
                     and project.nodes[p].resource_type in ("model", "snapshot")} for uid in models}
    children: dict[str, list[str]] = {}
    for uid, parents in waiting.items():
        for parent in parents:
            children.setdefault(parent, []).append(uid)
    traces: dict[str, ModelTrace] = {}
    workers = workers or os.cpu_count() or 1
    executor: Executor = (ProcessPoolExecutor(workers) if workers > 1 and len(models) >= PARALLEL_FROM
                          else _InlineExecutor())
    running: dict[Future, str] = {}

    def start(uid: str) -> None:
        node = project.nodes[uid]
        if node.language != "sql" or node.compiled_code is None:
            finish(uid, None)
            return
        tables = {rel: columns[rel] for rel in _relations_read(project, uid) if rel in columns}
        running[executor.submit(_trace_task, node.compiled_code, project.dialect, tables)] = uid

    def finish(uid: str, traced: ModelTrace | None) -> None:
        node = project.nodes[uid]
        if traced is not None:
            traces[uid] = traced
            if not traced.unresolved and node.materialized != "ephemeral":
                columns.setdefault(node.relation, list(traced.columns))
        if progress is not None:
            progress(len(traces), len(models))
        for child in children.get(uid, ()):
            waiting[child].discard(uid)
            if not waiting[child]:
                start(child)

    with executor:
        for uid in models:
            if not waiting[uid]:
                start(uid)
        while running:
            done, _ = wait(list(running), return_when=FIRST_COMPLETED)
            for future in done:
                finish(running.pop(future), future.result())
    declared = {(uid, column) for uid, node in project.nodes.items() for column in node.pii_columns}
    return order, traces, propagate(declared, traces, order, project.by_relation)


def check(manifest: Path, catalog: Path | None = None, project_dir: Path | None = None,
          progress: Callable[[int, int], None] | None = None) -> Report:
    project = load_project(manifest, catalog, project_dir)
    order, traces, flows = trace_project(project, progress)
    return build_report(project, traces, flows, order)
