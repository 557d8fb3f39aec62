"""Stage 4: one model's compiled SQL -> the upstream columns of each output column.

The model is parsed and qualified once (stars expanded against the project
schema), its scopes built once, and every output column traced in the same
pass, each scope's outputs memoized: no per-column re-parsing.

>>> from sqlglot.schema import MappingSchema
>>> schema = MappingSchema({"db": {"s": {"t": {"id": "int", "email": "text"}}}}, dialect="duckdb")
>>> traced = trace_model("select id, md5(email) as h from db.s.t where email <> ''", "duckdb", schema)
>>> sorted((name, d.column, d.transform) for name, deps in traced.columns.items() for d in deps)
[('h', 'email', 'weak hash md5'), ('id', 'id', 'direct')]
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import Scope, build_scope
from sqlglot.schema import MappingSchema

from pii_guard.lineage.protection import protecting_macro, weak_hash

DIRECT = "direct"
COUNTED = "counted"
# dbt inlines an ephemeral model as this CTE; it stands for the model in paths.
EPHEMERAL_PREFIX = "__dbt__cte__"


@dataclass(frozen=True)
class Dependency:
    """An output column derives from `relation`.`column` through `transform`:
    'direct' (the value passes), 'weak hash md5' (passes, unkeyed hash),
    'protected by hash_pii' or 'counted' (does not pass)."""

    relation: tuple[str, ...]
    column: str
    transform: str = DIRECT

    @property
    def passes_value(self) -> bool:
        return self.transform == DIRECT or self.transform.startswith("weak hash")


@dataclass
class ModelTrace:
    columns: dict[str, frozenset[Dependency]] = field(default_factory=dict)
    unresolved: str | None = None


class Unresolved(Exception):
    """Something in the SQL cannot be traced; the message says what."""


def _relabel(deps: frozenset[Dependency], transform: str, only_passing: bool = True) -> frozenset[Dependency]:
    return frozenset(
        Dependency(d.relation, d.column, transform) if (d.passes_value or not only_passing) else d
        for d in deps
    )


def _relation(table: exp.Table) -> tuple[str, ...]:
    return tuple(part.lower() for part in (table.catalog, table.db, table.name))


class _LiteralRows(dict):
    """The outputs of an inline VALUES list: every column, derived from nothing."""

    def __contains__(self, name: object) -> bool:
        return True

    def __missing__(self, name: str) -> frozenset[Dependency]:
        return frozenset()


class _Tracer:
    """Traces the scopes of one qualified query; memoizes each scope's outputs."""

    def __init__(self, root: Scope) -> None:
        self.outputs: dict[int, dict[str, frozenset[Dependency]]] = {}
        self.subqueries: dict[int, Scope] = {}
        for scope in root.traverse():
            for child in scope.subquery_scopes:
                self.subqueries[id(child.expression)] = child

    def scope_outputs(self, scope: Scope) -> dict[str, frozenset[Dependency]]:
        key = id(scope)
        if key not in self.outputs:
            self.outputs[key] = self._compute(scope)
        return self.outputs[key]

    def _compute(self, scope: Scope) -> dict[str, frozenset[Dependency]]:
        if isinstance(scope.expression, exp.SetOperation):
            left, right = (self.scope_outputs(s) for s in scope.set_operation_scopes)
            if len(left) != len(right):
                raise Unresolved("set operation with different column counts")
            return {name: deps | right_deps for (name, deps), right_deps in zip(left.items(), right.values())}
        select = scope.expression
        if isinstance(select, exp.Values) and not any(select.find_all(exp.Column)):
            return _LiteralRows()
        if not isinstance(select, exp.Select):
            raise Unresolved(f"cannot trace a {type(select).__name__} scope")
        outputs: dict[str, frozenset[Dependency]] = {}
        for projection in select.selects:
            if isinstance(projection, exp.Star) or (isinstance(projection, exp.Column) and isinstance(projection.this, exp.Star)):
                raise Unresolved("a * could not be expanded: the columns of what it selects from are unknown "
                                 "(run `dbt docs generate` for catalog.json, or build the upstream models)")
            outputs[projection.alias_or_name.lower()] = self.deps(projection.unalias(), scope)
        return outputs

    def deps(self, node: exp.Expression, scope: Scope) -> frozenset[Dependency]:
        macro = protecting_macro(node)
        if macro is not None:
            return _relabel(self._children(node, scope), f"protected by {macro}")
        if isinstance(node, exp.Column):
            return self._column(node, scope)
        if isinstance(node, (exp.Literal, exp.Null, exp.Boolean, exp.DataType)):
            return frozenset()
        if isinstance(node, (exp.Case, exp.If)):
            return self._branches(node, scope)
        if isinstance(node, exp.Window):
            # PARTITION BY / ORDER BY decide which rows, not what value.
            return self.deps(node.this, scope)
        if isinstance(node, exp.Filter):
            return self.deps(node.this, scope)
        if isinstance(node, (exp.Count, exp.ApproxDistinct)):
            return _relabel(self._children(node, scope), COUNTED)
        if isinstance(node, exp.Exists):
            return frozenset()
        if isinstance(node, (exp.Subquery, exp.Select)):
            inner = node.this if isinstance(node, exp.Subquery) else node
            child = self.subqueries.get(id(inner))
            if child is None:
                raise Unresolved("a subquery in an expression could not be resolved")
            return frozenset().union(*self.scope_outputs(child).values())
        weak = weak_hash(node)
        if weak is not None:
            return _relabel(self._children(node, scope), f"weak hash {weak}")
        return self._children(node, scope)

    def _children(self, node: exp.Expression, scope: Scope) -> frozenset[Dependency]:
        found: frozenset[Dependency] = frozenset()
        for child in node.iter_expressions():
            found |= self.deps(child, scope)
        return found

    def _branches(self, node: exp.Expression, scope: Scope) -> frozenset[Dependency]:
        """CASE/IF: the values of the branches pass, the conditions do not; a
        branch whose condition is the literal FALSE never runs."""
        found: frozenset[Dependency] = frozenset()
        if isinstance(node, exp.If):
            pairs, default = [(node.this, node.args.get("true"))], node.args.get("false")
        else:
            pairs = [(branch.this, branch.args.get("true")) for branch in node.args.get("ifs") or []]
            default = node.args.get("default")
        for condition, value in pairs:
            if isinstance(condition, exp.Boolean) and not condition.this:
                continue
            if value is not None:
                found |= self.deps(value, scope)
        if default is not None:
            found |= self.deps(default, scope)
        return found

    def _column(self, column: exp.Column, scope: Scope) -> frozenset[Dependency]:
        name = column.name.lower()
        source = scope.sources.get(column.table)
        if source is None:
            if not column.table:
                raise Unresolved(f"column {name} could not be resolved to a table")
            raise Unresolved(f"column {column.table}.{name} refers to an unknown source")
        if isinstance(source, Scope):
            outputs = self.scope_outputs(source)
            if name not in outputs:
                raise Unresolved(f"column {name} is not an output of {column.table}")
            cte = source.expression.parent
            if isinstance(cte, exp.CTE) and cte.alias.lower().startswith(EPHEMERAL_PREFIX):
                # A hop through the ephemeral model, traced on its own.
                return frozenset({Dependency((EPHEMERAL_PREFIX, cte.alias.lower()[len(EPHEMERAL_PREFIX):]), name)})
            return outputs[name]
        if isinstance(source, exp.Table):
            return frozenset({Dependency(_relation(source), name)})
        raise Unresolved(f"column {name} comes from a {type(source).__name__}, which is not traced")


def trace_model(sql: str, dialect: str, schema: MappingSchema) -> ModelTrace:
    """Trace every output column of one model; unresolved (with the reason)
    when the SQL cannot be parsed, qualified or followed."""
    try:
        statements = [s for s in sqlglot.parse(sql, read=dialect) if s is not None]
        if len(statements) != 1:
            return ModelTrace(unresolved=f"expected one SQL statement, found {len(statements)}")
        qualified = qualify(statements[0], dialect=dialect, schema=schema, validate_qualify_columns=True,
                            quote_identifiers=False, identify=False)
        root = build_scope(qualified)
        if root is None:
            return ModelTrace(unresolved="the SQL is not a query")
        return ModelTrace(columns=_Tracer(root).scope_outputs(root))
    except Unresolved as problem:
        return ModelTrace(unresolved=str(problem))
    except SqlglotError as error:
        first_line = str(error).splitlines()[0] if str(error) else type(error).__name__
        return ModelTrace(unresolved=f"sqlglot cannot analyse it: {first_line}")
    except RecursionError:
        return ModelTrace(unresolved="the SQL nests too deeply to analyse")
