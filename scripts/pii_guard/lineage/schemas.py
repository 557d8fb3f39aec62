"""Stage 3: the columns of every relation, and the schema a model is qualified against.

Columns come, in this order of trust, from catalog.json (what the warehouse
has), a seed's CSV header or a model's enforced contract (all its columns),
the columns declared in yml (maybe not all it has: `partial`), and for models
from their own compiled SQL, recorded in dependency order as they are traced
(pipeline.trace_project). Each model is qualified against a MappingSchema of
just the relations it reads. Ephemeral models need no entry: dbt inlines them
as __dbt__cte__ CTEs.

>>> schema_for({("db", "s", "t"): ["id", "email"]}, "duckdb").column_names("db.s.t")
['id', 'email']
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp
from sqlglot.schema import MappingSchema

from pii_guard.lineage.project import Project

Relation = tuple[str, ...]


@dataclass(frozen=True)
class KnownColumns:
    """A relation's columns, and whether they may be only some of them."""

    names: tuple[str, ...]
    partial: bool = False
    origin: str = "catalog"  # catalog, seed, contract, declared, inferred


def initial_columns(project: Project) -> dict[Relation, KnownColumns]:
    """The columns known before any model is traced.

    >>> from pii_guard.lineage.project import Node
    >>> src = Node("s", "s", "source", ("d", "s", "t"), set(), declared_columns={"id": None, "email": "text"})
    >>> initial_columns(Project("duckdb", {"s": src}, {}, [], {("d", "s", "t"): "s"}))
    {('d', 's', 't'): KnownColumns(names=('id', 'email'), partial=True, origin='declared')}
    """
    known = {relation: KnownColumns(tuple(columns)) for relation, columns in project.catalog.items() if columns}
    for node in project.nodes.values():
        if node.exact_columns and node.relation not in known:
            known[node.relation] = KnownColumns(tuple(node.exact_columns), False,
                                                "seed" if node.resource_type == "seed" else "contract")
    for node in project.nodes.values():
        if node.resource_type in ("source", "seed") and node.declared_columns and node.relation not in known:
            known[node.relation] = KnownColumns(tuple(node.declared_columns), True, "declared")
    return known


def schema_for(tables: dict[Relation, list[str] | tuple[str, ...]], dialect: str) -> MappingSchema:
    """A MappingSchema of the given relations (lower-cased database, schema, name)."""
    schema = MappingSchema(dialect=dialect, normalize=True)
    for (database, db_schema, name), columns in tables.items():
        table = exp.table_(name, db=db_schema or None, catalog=database or None)
        schema.add_table(table, {column: "UNKNOWN" for column in columns}, dialect=dialect)
    return schema
