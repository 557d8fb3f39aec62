"""Stage 3: one sqlglot MappingSchema for the whole project.

Filled from catalog.json first; models missing from it (never built) are added
in dependency order, as they are traced, with the columns inferred from their
own compiled SQL (`add_model`). Ephemeral models need no entry: dbt inlines
them as __dbt__cte__ CTEs.

>>> from pii_guard.lineage.project import Project
>>> schema = catalog_schema(Project("duckdb", {}, {("db", "s", "t"): {"id": "INTEGER"}}, [], {}))
>>> schema.column_names("db.s.t")
['id']
"""

from __future__ import annotations

from sqlglot import exp
from sqlglot.schema import MappingSchema

from pii_guard.lineage.project import Project


def _table(relation: tuple[str, ...]) -> exp.Table:
    database, schema, name = relation
    return exp.table_(name, db=schema or None, catalog=database or None)


def catalog_schema(project: Project) -> MappingSchema:
    """The columns catalog.json says the warehouse has, per relation."""
    schema = MappingSchema(dialect=project.dialect, normalize=True)
    for relation, columns in project.catalog.items():
        if columns:
            schema.add_table(_table(relation), {name: "UNKNOWN" for name in columns}, dialect=project.dialect)
    return schema


def add_model(schema: MappingSchema, relation: tuple[str, ...], columns: list[str], dialect: str) -> None:
    """Record a traced model's output columns, unless the catalog already has it."""
    if columns and not schema.find(_table(relation), raise_on_missing=False):
        schema.add_table(_table(relation), {name: "UNKNOWN" for name in columns}, dialect=dialect)
