"""The whole check: load -> order -> schemas -> trace -> propagate -> report.

Tracing is the expensive stage (parse and qualify each model once). A model
needs only the columns of the relations it reads, so each is traced with a
small schema of its own as soon as its parents are traced, on every core.
A model whose SQL names a relation outside its `depends_on` (a macro that
writes a table name, `{{ this }}`) is traced again once that relation is
found in the project or catalog by name, and waits for it when it is a model
not yet traced.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

from pii_guard.lineage.errors import InputError
from pii_guard.lineage.order import dependency_order
from pii_guard.lineage.mesh import external_reason, load_mesh
from pii_guard.lineage.project import Project
from pii_guard.lineage.propagate import Flows, propagate
from pii_guard.lineage.report import Report, build_report
from pii_guard.lineage.select import select_models
from pii_guard.lineage.schemas import KnownColumns, initial_columns, schema_for
from pii_guard.lineage.trace import EPHEMERAL_PREFIX, ModelTrace, names_one_of, trace_model
from pii_guard.lineage.validate import nothing_to_check

Relation = tuple[str, ...]
# Below this many models a process pool costs more than it saves.
PARALLEL_FROM = 300
# How often one model is traced again as relations it names are found.
MAX_ATTEMPTS = 3
# The columns dbt adds to a snapshot's select (names configurable, so partial).
SNAPSHOT_COLUMNS = ("dbt_scd_id", "dbt_updated_at", "dbt_valid_from", "dbt_valid_to")


@dataclass
class TracedProject:
    """Every model's trace, the order PII flows in, and what is known of columns."""

    order: list[str]
    traces: dict[str, ModelTrace]
    flows: Flows
    unresolved: dict[str, str]  # model -> why it could not be analysed
    stats: dict[str, object] = field(default_factory=dict)


def _trace_task(sql: str, dialect: str, tables: dict[Relation, tuple[str, ...]],
                partial: frozenset[Relation], this: Relation) -> ModelTrace:
    return trace_model(sql, dialect, schema_for(tables, dialect), partial, this)


def _relations_read(project: Project, uid: str) -> list[Relation]:
    """The physical relations a model's compiled SQL reads: its parents', and
    through ephemeral parents (inlined as CTEs) theirs; and its own, for
    `{{ this }}` in incremental models."""
    seen: set[str] = set()
    stack = list(project.nodes[uid].depends_on)
    relations = [project.nodes[uid].relation]
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


def _model_columns(project: Project, uid: str, traced: ModelTrace, given: dict[Relation, KnownColumns]) -> KnownColumns:
    """A traced model's columns for its children: what its SQL yields, plus
    what its yml declares (a declared column the trace missed is not lost)."""
    node = project.nodes[uid]
    names = list(traced.columns)
    if node.resource_type == "snapshot":
        names += [c for c in SNAPSHOT_COLUMNS if c not in traced.columns]
    names += [c for c in node.declared_columns if c not in traced.columns and c not in names]
    partial_reads = {rel for rel, known in given.items() if known.partial}
    from_partial = any(names_one_of(star, partial_reads) for star in traced.stars_over)
    return KnownColumns(tuple(names), from_partial or node.resource_type == "snapshot", "inferred")


def trace_project(project: Project, progress: Callable[[int, int], None] | None = None,
                  workers: int | None = None) -> TracedProject:
    """Trace every SQL model, parents before children, then propagate PII."""
    models = [uid for uid in dependency_order(project.nodes) if project.nodes[uid].resource_type in ("model", "snapshot")]
    columns = initial_columns(project)
    waiting = {uid: {p for p in project.nodes[uid].depends_on if p in project.nodes
                     and project.nodes[p].resource_type in ("model", "snapshot")} for uid in models}
    children: dict[str, list[str]] = {}
    for uid, parents in waiting.items():
        for parent in parents:
            children.setdefault(parent, []).append(uid)
    traces: dict[str, ModelTrace] = {}
    finished: set[str] = set()
    given: dict[str, dict[Relation, KnownColumns]] = {}
    attempts: dict[str, int] = {}
    named_parents: dict[str, set[str]] = {}  # model -> models its SQL names outside depends_on
    held: dict[str, ModelTrace] = {}  # traced, waiting for a model it names
    held_by: dict[str, set[str]] = {}
    workers = workers or os.cpu_count() or 1
    executor: Executor = (ProcessPoolExecutor(workers) if workers > 1 and len(models) >= PARALLEL_FROM
                          else _InlineExecutor())
    running: dict[Future, str] = {}

    def start(uid: str, tables: dict[Relation, KnownColumns] | None = None) -> None:
        node = project.nodes[uid]
        if node.language != "sql" or node.compiled_code is None:
            finish(uid, None)
            return
        if tables is None:
            tables = {rel: columns[rel] for rel in _relations_read(project, uid) if rel in columns}
        given[uid] = tables
        attempts[uid] = attempts.get(uid, 0) + 1
        partial = frozenset(rel for rel, known in tables.items() if known.partial)
        running[executor.submit(_trace_task, node.compiled_code, project.dialect,
                                {rel: known.names for rel, known in tables.items()}, partial, node.relation)] = uid

    def traced(uid: str, result: ModelTrace) -> None:
        """A trace is back: look up the relations it named that its schema
        lacked, and trace it again with them, or wait for them, or finish."""
        extra: dict[Relation, KnownColumns] = {}
        blockers: set[str] = set()
        for written in result.unknown_tables:
            relation = project.resolve(written)
            target = project.by_relation.get(relation) if relation else None
            if target is not None and target != uid:
                named_parents.setdefault(uid, set()).add(target)
            if relation is None or relation in given[uid]:
                continue
            if relation in columns:
                extra[relation] = columns[relation]
            elif target in waiting and target not in finished and target != uid:
                blockers.add(target)
        if blockers:
            held[uid] = result
            for target in blockers:
                held_by.setdefault(target, set()).add(uid)
            return
        if extra and attempts[uid] < MAX_ATTEMPTS:
            start(uid, {**given[uid], **extra})
            return
        finish(uid, result)

    def finish(uid: str, result: ModelTrace | None) -> None:
        if uid in finished:
            return
        finished.add(uid)
        node = project.nodes[uid]
        if result is not None:
            traces[uid] = result
            if not result.unresolved and node.materialized != "ephemeral" and node.relation not in columns:
                columns[node.relation] = _model_columns(project, uid, result, given[uid])
        if progress is not None:
            progress(len(finished), len(models))
        for child in children.get(uid, ()):
            waiting[child].discard(uid)
            if not waiting[child]:
                start(child)
        for model in held_by.pop(uid, ()):
            if model in held:
                start(model, None)
                held.pop(model)

    with executor:
        for uid in models:
            if not waiting[uid]:
                start(uid)
        while running or held:
            if not running:  # what is held waits in a cycle of names: finish it as it is
                uid, result = next(iter(held.items()))
                held.pop(uid)
                finish(uid, result)
                continue
            done, _ = wait(list(running), return_when=FIRST_COMPLETED)
            for future in done:
                traced(running.pop(future), future.result())

    unresolved = _unresolved(project, traces, models)
    _fail_incomplete_declarations(project, traces, unresolved, columns)
    order = dependency_order(project.nodes, named_parents)
    declared = {(uid, column) for uid, node in project.nodes.items() for column in node.pii_columns}
    flows = propagate(declared, traces, order, project, set(unresolved))
    read = {project.resolve(rel) or rel for trace in traces.values() for rel in trace.tables}
    stats = {
        "mode": "catalog" if project.catalog else "declarations",
        "relations_without_columns": sum(1 for rel in read if rel not in columns),
    }
    return TracedProject(order, traces, flows, unresolved, stats)


def _unresolved(project: Project, traces: dict[str, ModelTrace], models: list[str]) -> dict[str, str]:
    """Why each model that could not be analysed could not be."""
    reasons: dict[str, str] = {}
    for uid in models:
        node = project.nodes[uid]
        trace = traces.get(uid)
        if node.language != "sql":
            reasons[uid] = f"a {node.language} model cannot be analysed"
        elif node.external:
            reasons[uid] = external_reason(node)
        elif trace is None:
            reasons[uid] = "no compiled SQL in the manifest"
        elif trace.unresolved:
            reasons[uid] = trace.unresolved
        else:
            unknown = sorted(".".join(p for p in rel if p) for rel in trace.unknown_tables if project.resolve(rel) is None)
            inlined = sorted({dep.relation[1] for deps in trace.columns.values() for dep in deps
                              if dep.relation[0] == EPHEMERAL_PREFIX and project.node_for(dep.relation) is None})
            if inlined:
                reasons[uid] = f"reads the inlined CTE {EPHEMERAL_PREFIX}{inlined[0]}, which is no ephemeral model of this project"
            elif unknown:
                reasons[uid] = (f"reads {', '.join(unknown)}, which is neither a node of this project nor in "
                                "catalog.json: declare it as a dbt source (with its columns), or ref() it")
    return reasons


def _fail_incomplete_declarations(project: Project, traces: dict[str, ModelTrace], unresolved: dict[str, str],
                                  columns: dict[Relation, KnownColumns]) -> None:
    """A `*` over a relation whose columns are known only from yml, when some
    model reads a column of it that the yml does not declare: the expansion
    is known to be short, so the model with the `*` is unresolved. The short
    relation may be the model itself (its `*` over a partly declared source
    is what made its columns partial)."""
    short: dict[Relation, tuple[str, str]] = {}
    for uid, trace in traces.items():
        for written, column in sorted(trace.undeclared_reads):
            short.setdefault(project.resolve(written) or written, (column, uid))
    if not short:
        return
    for uid, trace in traces.items():
        if uid in unresolved:
            continue
        own = project.nodes[uid].relation
        stars = {project.resolve(written) or written for written in trace.stars_over}
        if own in short and columns.get(own, KnownColumns(())).partial:
            stars = {rel for rel in stars if columns.get(rel, KnownColumns(())).partial}
            evidence = own
        else:
            stars &= set(short)
            evidence = next(iter(sorted(stars)), None)
        if not stars or evidence is None:
            continue
        column, reader = short[evidence]
        names = ", ".join(".".join(p for p in rel if p) for rel in sorted(stars))
        unresolved[uid] = (f"a * over {names}, whose columns are known only from yml that does not list them "
                           f"all ({reader} reads {'.'.join(p for p in evidence if p)}.{column}): declare every "
                           "column in yml, or pass catalog.json (`dbt docs generate`)")


def check(manifest: Path, catalog: Path | None = None, project_dir: Path | None = None,
          progress: Callable[[int, int], None] | None = None,
          select: list[str] | None = None, exclude: list[str] | None = None,
          upstream: list[Path] | None = None, upstream_catalogs: bool = True) -> Report:
    """The report of the project at `manifest`, with the upstream projects of
    a dbt mesh merged in (mesh.py)."""
    project = load_mesh(manifest, catalog, project_dir, upstream or [], upstream_catalogs)
    problem = nothing_to_check(project)
    # PII may come from another project's model that is read unresolved: never "nothing to check".
    if problem and not any(node.external for node in project.nodes.values()):
        raise InputError(" ".join([problem, *project.warnings]))
    selected = select_models(project, select or [], exclude or [])
    traced = trace_project(project, progress)
    report = build_report(project, traced, selected)
    report.warnings = list(project.warnings)
    return report
