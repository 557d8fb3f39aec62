"""Stage 1b: one Project out of the manifests of a dbt mesh.

A consumer project that refs a producer's models across projects
(`ref('producer', 'model')`, resolved by dbt-loom or another plugin) holds
them as *external* nodes: no file, no SQL, no columns, no PII declarations.
Merging puts every project's own nodes into one Project and lets each
external node that a model reads stand for the producer's real node, with its
compiled SQL and declarations, so PII is traced from the producer's raw
relations through its models into the consumer. An external node no
manifest given holds stays, and is unresolved (pipeline: fail closed).

>>> from pii_guard.lineage.project import Node, Project
>>> seed = Node("seed.p.raw", "raw", "seed", ("w", "main", "raw"), {"email"}, project="p")
>>> public = Node("model.p.pub", "pub", "model", ("w", "main", "pub"), set(), tier="safe",
...               depends_on=["seed.p.raw"], compiled_code="select email from raw", path="pub.sql", project="p")
>>> stub = Node("model.p.pub", "pub", "model", ("w", "main", "pub"), set(), tier="safe", external=True, project="c")
>>> mart = Node("model.c.mart", "mart", "model", ("w", "main", "mart"), set(), tier="safe",
...             depends_on=["model.p.pub"], compiled_code="select email from pub", path="mart.sql", project="c")
>>> producer = Project("duckdb", {n.unique_id: n for n in (seed, public)}, {}, [],
...                    {seed.relation: seed.unique_id, public.relation: public.unique_id}, name="p")
>>> consumer = Project("duckdb", {n.unique_id: n for n in (stub, mart)}, {}, [],
...                    {stub.relation: stub.unique_id, mart.relation: mart.unique_id}, name="c")
>>> merged = merge_projects(consumer, [producer])
>>> sorted((uid, node.project, node.external) for uid, node in merged.nodes.items())
[('model.c.mart', 'c', False), ('model.p.pub', 'p', False), ('seed.p.raw', 'p', False)]
>>> merge_projects(consumer, [consumer])
Traceback (most recent call last):
...
pii_guard.lineage.errors.InputError: two manifests of the dbt project c were given: ...
"""

from __future__ import annotations

from pathlib import Path

from pii_guard.lineage.errors import InputError
from pii_guard.lineage.project import Node, Project, load_project

UPSTREAM_HINT = ("Pass each upstream project's manifest.json once with --upstream-manifest "
                 "(docs/checker.md, 'dbt mesh: checking across projects').")


def load_mesh(manifest: Path, catalog: Path | None, project_dir: Path | None,
              upstream: list[Path], read_catalogs: bool = True) -> Project:
    """The checked project (its manifest, catalog and dbt_project.yml) with
    each upstream manifest merged in; each upstream's catalog.json is read
    from beside its manifest when there is one and `read_catalogs`."""
    checked = load_project(manifest, catalog, project_dir)
    upstreams = []
    for path in upstream:
        beside = path.parent / "catalog.json"
        try:
            upstreams.append(load_project(path, beside if read_catalogs and beside.is_file() else None))
        except InputError as error:
            raise InputError(f"--upstream-manifest {path}: {error}") from None
    return merge_projects(checked, upstreams, [str(path) for path in upstream])


def merge_projects(checked: Project, upstreams: list[Project], sources: list[str] | None = None) -> Project:
    """One Project of the checked project and its upstream projects (see the
    module's docstring). `sources`: where each upstream was read, for messages."""
    sources = sources or [p.name for p in upstreams]
    projects = [*upstreams, checked]
    _refuse_duplicates(checked, upstreams, sources)
    dialects = sorted({p.dialect for p in projects})
    if len(dialects) > 1:
        raise InputError(f"the manifests were written for different SQL dialects ({', '.join(dialects)}): "
                         "a cross-project check traces the SQL of one warehouse. " + UPSTREAM_HINT)

    nodes: dict[str, Node] = {}
    for project in projects:
        for uid, node in project.nodes.items():
            if node.external:
                continue
            if uid in nodes:
                raise InputError(f"{uid} is built by both dbt projects {nodes[uid].project} and {node.project} "
                                 "(a package installed in both?): pii-guard check cannot tell the two apart. "
                                 "Leave that package's models out of one project.")
            nodes[uid] = node
    read = {parent for node in nodes.values() for parent in node.depends_on}
    given = dict(zip((p.name for p in upstreams), sources))
    for project in projects:
        for uid, node in project.nodes.items():
            if not node.external or uid in nodes or uid not in read:
                continue  # dbt-loom injects every upstream node: only those read matter
            if node.package in given:
                raise InputError(f"{project.name} refs {uid}, which the manifest of {node.package} "
                                 f"({given[node.package]}) does not have: pass the manifest {project.name} was "
                                 f"compiled against, or compile {project.name} again.")
            nodes[uid] = node
    unread = [f"--upstream-manifest {source} (dbt project {name}): no model of {checked.name} reads any of "
              "its models." for name, source in given.items()
              if not any(uid in read and nodes[uid].project == name for uid in nodes)]

    by_relation: dict[tuple[str, ...], str] = {}
    # An external node's relation (as the consumer's SQL names it) stands for
    # the real node, unless a project's own node is that relation.
    for project in projects:
        by_relation.update({rel: uid for rel, uid in project.by_relation.items()
                            if project.nodes[uid].external and uid in nodes})
    for project in projects:  # the checked project last: its own relations win
        by_relation.update({rel: uid for rel, uid in project.by_relation.items() if not project.nodes[uid].external})
    return Project(
        dialect=checked.dialect,
        nodes=nodes,
        catalog={key: columns for project in projects for key, columns in project.catalog.items()},
        allowances=_own_allowances(checked, nodes) if upstreams else checked.allowances,
        by_relation=by_relation,
        warnings=[warning for project in projects for warning in project.warnings] + unread,
        name=checked.name,
        generated_at=checked.generated_at,
    )


def _refuse_duplicates(checked: Project, upstreams: list[Project], sources: list[str]) -> None:
    seen = {checked.name: "--manifest"}
    for project, source in [(checked, "--manifest"), *zip(upstreams, sources)]:
        if upstreams and not project.name:
            raise InputError(f"the manifest of {source} names no dbt project (metadata.project_name): is it "
                             "dbt's manifest.json? Run `dbt compile` in that project to write a fresh one.")
    for project, source in zip(upstreams, sources):
        if project.name in seen:
            raise InputError(f"two manifests of the dbt project {project.name} were given: {seen[project.name]} "
                             f"and --upstream-manifest {source}. {UPSTREAM_HINT}")
        seen[project.name] = f"--upstream-manifest {source}"


def _own_allowances(checked: Project, nodes: dict[str, Node]) -> list[dict]:
    """The checked project's pii_guard_allow entries, each naming only its own
    models: an entry by bare name becomes one per model of that name in the
    checked project (an upstream model of the same name is not accepted by it);
    an entry by unique_id may name an upstream model."""
    entries = []
    for entry in checked.allowances:
        if "." in entry["model"]:
            entries.append(entry)
            continue
        entries += [{**entry, "model": uid} for uid, node in sorted(nodes.items())
                    if node.name == entry["model"] and node.project == checked.name and not node.external]
    return entries


def external_reason(node: Node) -> str:
    """Why an external node left in the merged project cannot be analysed."""
    return (f"a model of the dbt project {node.package}, read across projects: its SQL and PII declarations "
            f"are in {node.package}'s manifest, not in {node.project}'s. Pass it with "
            f"--upstream-manifest (docs/checker.md, 'dbt mesh: checking across projects')")

