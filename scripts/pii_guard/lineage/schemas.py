"""Stage 3: the schema a model is qualified against.

Columns come from catalog.json first; models missing from it (never built)
get the columns inferred from their own compiled SQL, recorded in dependency
order as they are traced (pipeline.trace_project). Each model is qualified
against a MappingSchema of just the relations it reads. Ephemeral models need
no entry: dbt inlines them as __dbt__cte__ CTEs.

>>> schema_for({("db", "s", "t"): ["id", "email"]}, "duckdb").column_names("db.s.t")
['id', 'email']
"""

from __future__ import annotations

from sqlglot import exp
from sqlglot.schema import MappingSchema


def schema_for(tables: dict[tuple[str, ...], list[str]], dialect: str) -> MappingSchema:
    """A MappingSchema of the given relations (lower-cased database, schema, name)."""
    schema = MappingSchema(dialect=dialect, normalize=True)
    for (database, db_schema, name), columns in tables.items():
        table = exp.table_(name, db=db_schema or None, catalog=database or None)
        schema.add_table(table, {column: "UNKNOWN" for column in columns}, dialect=dialect)
    return schema
