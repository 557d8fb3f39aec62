"""Stage 4: one model's compiled SQL -> the upstream columns of each output column.

The model is parsed and qualified once (stars expanded against the project
schema), its scopes built once, and every output column traced in the same
pass, each scope's outputs memoized: no per-column re-parsing.

Every construct is either traced or makes the model unresolved, with the
reason: an expression the tracer does not know is never silently dropped.

>>> from sqlglot.schema import MappingSchema
>>> schema = MappingSchema({"db": {"s": {"t": {"id": "int", "email": "text"}}}}, dialect="duckdb")
>>> traced = trace_model("select id, md5(email) as h from db.s.t where email <> ''", "duckdb", schema)
>>> sorted((name, d.column, d.transform) for name, deps in traced.columns.items() for d in deps)
[('h', 'email', 'weak hash md5'), ('id', 'id', 'direct')]
>>> trace_model("select c from db.s.t as c", "duckdb", schema).columns["c"] == {
...     Dependency(("db", "s", "t"), "id"), Dependency(("db", "s", "t"), "email")}
True
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import Scope, build_scope
from sqlglot.schema import MappingSchema

from pii_guard.lineage.protection import function_name, is_decryption, protecting_macro, unwrap_casts, weak_hash

Relation = tuple[str, ...]
DIRECT = "direct"
COUNTED = "counted"
WEAK_HASH = "weak hash "
# A column equated with another by a join or WHERE condition holds its value.
EQUAL_VIA = "equal via "
# dbt inlines an ephemeral model as this CTE; it stands for the model in paths.
EPHEMERAL_PREFIX = "__dbt__cte__"

# Table functions that only reshape their arguments (or generate numbers):
# their columns carry what their arguments carry. Any other table function
# reads data the checker cannot see (files, URLs, other databases).
RESHAPING_TABLE_FUNCTIONS = {
    "range", "generate_series", "generate_subscripts", "sequence", "unnest", "explode", "explode_outer",
    "posexplode", "posexplode_outer", "inline", "inline_outer", "stack", "json_each", "json_each_text",
    "jsonb_each", "jsonb_each_text", "json_array_elements", "json_array_elements_text",
    "jsonb_array_elements", "jsonb_array_elements_text", "json_to_record", "jsonb_to_record",
    "json_to_recordset", "jsonb_to_recordset", "json_populate_record", "jsonb_populate_record",
    "regexp_split_to_table", "string_to_table", "string_split_to_table", "json_tree", "flatten",
    "split_to_table", "strtok_split_to_table", "generator", "variant_explode", "variant_explode_outer",
}
# Table functions that name their own columns (when the SQL names none), in
# order; of those, POSITION_COLUMNS number the rows and carry nothing of the input.
TABLE_FUNCTION_COLUMNS = {
    "flatten": ("seq", "key", "path", "index", "value", "this"),  # Snowflake
    "split_to_table": ("seq", "index", "value"),
    "strtok_split_to_table": ("seq", "index", "value"),
    "variant_explode": ("pos", "key", "value"),  # Databricks
    "variant_explode_outer": ("pos", "key", "value"),
}
POSITION_COLUMNS = {"seq", "index", "pos"}
# Spark reads files as `format`.`path`; DuckDB reads a quoted file name as a table.
FILE_FORMATS = {"parquet", "csv", "json", "orc", "avro", "text", "delta", "binaryfile", "iceberg"}
# Expressions whose value derives from no column.
VALUE_FREE = (exp.Literal, exp.Null, exp.Boolean, exp.DataType, exp.Var, exp.Identifier, exp.RawString,
              exp.Placeholder, exp.Parameter, exp.SessionParameter, exp.JSONPath, exp.JSONPathPart,
              exp.HexString, exp.ByteString, exp.National, exp.TableAlias, exp.BitString, exp.UnicodeString)
# Expressions whose value derives from all of their children.
COMBINING = (exp.Func, exp.Binary, exp.Unary, exp.Alias, exp.Bracket, exp.Tuple, exp.PropertyEQ,
             exp.Slice, exp.Kwarg, exp.Interval, exp.Distinct, exp.Ordered, exp.Order, exp.Between,
             exp.In, exp.IgnoreNulls, exp.RespectNulls, exp.WithinGroup, exp.HavingMax, exp.Collate,
             exp.Dot, exp.Limit, exp.ColumnDef, exp.Escape, exp.JSONKeyValue, exp.PivotAlias, exp.AtTimeZone,
             exp.FromTimeZone, exp.Any, exp.All, exp.Introducer, exp.FormatJson, exp.JSONValue,
             exp.JSONExtractQuote, exp.OnCondition, exp.ScopeResolution, exp.TranslateCharacters, exp.Variadic)


@dataclass(frozen=True)
class Dependency:
    """An output column derives from `relation`.`column` through `transform`:
    'direct' (the value passes), 'weak hash md5' (passes, unkeyed hash),
    'equal via <condition>' (a column a join equates with it), 'protected by
    hash_pii' or 'counted' (does not pass)."""

    relation: Relation
    column: str
    transform: str = DIRECT

    @property
    def passes_value(self) -> bool:
        return self.transform == DIRECT or self.transform.startswith((WEAK_HASH, EQUAL_VIA))


@dataclass
class ModelTrace:
    """What tracing one model found. `tables`: the physical relations its SQL
    reads (as written); `unknown_tables`: those the schema had no columns for;
    `undeclared_reads`: (relation, column) read from a relation whose columns
    are known only partly; `stars_over`: relations a `*` or whole-row
    reference expanded."""

    columns: dict[str, frozenset[Dependency]] = field(default_factory=dict)
    unresolved: str | None = None
    tables: frozenset[Relation] = frozenset()
    unknown_tables: frozenset[Relation] = frozenset()
    undeclared_reads: frozenset[tuple[Relation, str]] = frozenset()
    stars_over: frozenset[Relation] = frozenset()


class Unresolved(Exception):
    """Something in the SQL cannot be traced; the message says what."""


Outputs = list[tuple[str, frozenset[Dependency]]]
EMPTY: frozenset[Dependency] = frozenset()


def _relabel(deps: frozenset[Dependency], transform: str, only_passing: bool = True) -> frozenset[Dependency]:
    return frozenset(
        Dependency(d.relation, d.column, transform) if (d.passes_value or not only_passing) else d
        for d in deps
    )


def _union(groups: Iterable[frozenset[Dependency]]) -> frozenset[Dependency]:
    return frozenset().union(*groups)


def _by_name(outputs: Outputs) -> dict[str, frozenset[Dependency]]:
    """Outputs by name; a name given twice (`select id, *`) carries both."""
    merged: dict[str, frozenset[Dependency]] = {}
    for name, deps in outputs:
        merged[name] = merged.get(name, EMPTY) | deps
    return merged


def _relation(table: exp.Table) -> Relation:
    return tuple(part.lower() for part in (table.catalog, table.db, table.name))


def names_one_of(relation: Relation, relations: Iterable[Relation]) -> bool:
    """Whether `relation`, as the SQL wrote it (maybe without database or
    schema), names one of `relations`."""
    if relation in relations:
        return True
    given = [(i, part) for i, part in enumerate(relation) if part]
    return any(all(candidate[i] == part for i, part in given) for candidate in relations)


def _star_except(star: exp.Expression) -> set[str]:
    """The columns `* exclude (...)` / `* except (...)` leaves out."""
    return {c.name.lower() for c in star.args.get("except_") or star.args.get("except") or []}


def _table_function_column(table: exp.Table, dialect: str) -> str:
    """The one column a table function yields when no column names are given:
    named after its alias, else after the function (Spark's range: id)."""
    alias = table.args.get("alias")
    if alias is not None and alias.name and not re.fullmatch(r"_\d+", alias.name):  # not qualify's own _0
        return alias.name.lower()
    name = function_name(table.this)
    return "id" if dialect in ("spark", "databricks") and name in ("range", "generateseries") else name


def _reads_file(table: exp.Table, dialect: str) -> bool:
    """`select * from 'people.csv'` (DuckDB), parquet.`/path` (Spark) or a
    Snowflake stage (`@stage/path`): a file, not a relation."""
    if table.db.lower() in FILE_FORMATS or "/" in table.name:
        return True
    if isinstance(table.this, exp.Var) and table.name.startswith("@"):
        return True
    return dialect == "duckdb" and not table.db and isinstance(table.this, exp.Identifier) and table.this.quoted \
        and "." in table.name


def _pivots_of(source: exp.Expression | Scope) -> list[exp.Pivot]:
    """The PIVOT/UNPIVOT applied to a FROM item: a table, or a derived table."""
    if isinstance(source, Scope):
        source = source.expression.parent
    return list(source.args.get("pivots") or []) if isinstance(source, (exp.Table, exp.Subquery)) else []


def _is_star(projection: exp.Expression) -> bool:
    return isinstance(projection, exp.Star) or (isinstance(projection, exp.Column) and isinstance(projection.this, exp.Star))


class _Tracer:
    """Traces the scopes of one qualified query; memoizes each scope's outputs."""

    def __init__(self, root: Scope, schema: MappingSchema, dialect: str, partial: frozenset[Relation],
                 stars: set[Relation]) -> None:
        self.schema = schema
        self.stars = stars
        self.dialect = dialect
        self.partial = partial
        self.outputs: dict[int, Outputs] = {}
        self.subqueries: dict[int, Scope] = {}
        self.equalities: dict[int, dict[tuple[str, str], list[tuple[exp.Expression, str]]]] = {}
        self.lambda_vars: list[set[str]] = []
        self.equating = False
        self.unknown_tables: set[Relation] = set()
        self.undeclared_reads: set[tuple[Relation, str]] = set()
        self.stars_over: set[Relation] = set()
        self.columns_override: dict[int, frozenset[Dependency]] = {}
        for scope in root.traverse():
            for child in scope.subquery_scopes:
                self.subqueries[id(child.expression)] = child

    # -- scopes ---------------------------------------------------------------

    def scope_outputs(self, scope: Scope) -> Outputs:
        key = id(scope)
        if key not in self.outputs:
            self.outputs[key] = self._compute(scope)
        return self.outputs[key]

    def _compute(self, scope: Scope) -> Outputs:
        query = scope.expression
        if isinstance(query, exp.SetOperation):
            left, right = (self.scope_outputs(s) for s in scope.set_operation_scopes)
            if query.args.get("by_name"):
                return list(_by_name(left + right).items())
            if len(left) != len(right):
                raise Unresolved("set operation with different column counts")
            return [(name, deps | right_deps) for (name, deps), (_, right_deps) in zip(left, right)]
        if isinstance(query, exp.Subquery):  # a whole query in parentheses
            inner = [s for s in scope.sources.values() if isinstance(s, Scope)]
            if len(inner) != 1:
                raise Unresolved("a parenthesized query could not be resolved")
            return self.scope_outputs(inner[0])
        if isinstance(query, exp.Values):
            return self._values(query, scope)
        if isinstance(query, (exp.Unnest, exp.Lateral, exp.TableFromRows)) and not isinstance(query.this, exp.Query):
            return self._table_function_outputs(query, scope)
        if isinstance(query, exp.Lateral):
            inner = [s for s in scope.sources.values() if isinstance(s, Scope)]
            if len(inner) != 1:
                raise Unresolved("a LATERAL subquery could not be resolved")
            return self.scope_outputs(inner[0])
        if not isinstance(query, exp.Select):
            raise Unresolved(f"cannot trace a {type(query).__name__} query")
        if not query.selects:
            raise Unresolved("a SELECT with no columns: a macro that reads the warehouse (dbt_utils.star, "
                             "union_relations, get_columns_in_relation) compiled without it; build or seed the "
                             "relations it reads, then compile again")
        outputs: Outputs = []
        for projection in query.selects:
            if _is_star(projection):
                outputs.extend(self._leftover_star(projection, scope))
                continue
            if isinstance(projection, exp.Aliases):
                outputs.extend(self._multi_alias(projection, scope))
                continue
            value = projection.unalias()
            inner = next(value.find_all(exp.Columns), None)
            if isinstance(value, exp.Columns):
                outputs.extend(self._columns_expression(value, scope))
            elif inner is not None:
                outputs.extend(self._columns_inside(projection, inner, scope))
            else:
                outputs.append((projection.alias_or_name.lower(), self.deps(value, scope)))
        return outputs

    def _leftover_star(self, star: exp.Expression, scope: Scope) -> Outputs:
        """A * qualify could not expand: over table functions and derived
        tables the tracer knows the columns of; over a table with unknown
        columns it is unresolved."""
        alias = star.table if isinstance(star, exp.Column) else None
        sources = ({alias: scope.selected_sources[alias]} if alias in scope.selected_sources else {}) if alias \
            else scope.selected_sources
        excluded = _star_except(star.this if isinstance(star, exp.Column) else star)
        outputs: Outputs = []
        for name, (_, source) in sources.items():
            if isinstance(source, exp.Table) and isinstance(source.this, exp.Identifier) \
                    and self._known_columns(source) is None:
                break
            outputs += [(column, self._source_column(source, name, column, scope))
                        for column in self._source_names(source, name, scope) if column not in excluded]
        else:
            if sources:
                return outputs
        raise Unresolved("a * could not be expanded: the columns of what it selects from are unknown "
                         "(declare them in yml, run `dbt docs generate` for catalog.json, or build the "
                         "upstream models)")

    def _multi_alias(self, projection: exp.Aliases, scope: Scope) -> Outputs:
        """`stack(n, a1, b1, a2, b2) as (a, b)` (each name its own arguments),
        `explode(m) as (k, v)` and the like (each name all arguments)."""
        names = [e.name.lower() for e in projection.expressions]
        function = projection.this
        if isinstance(function, exp.Stack) and function.expressions and len(function.expressions) % len(names) == 0:
            values = function.expressions
            return [(name, _union(self.deps(v, scope) for v in values[i::len(names)])) for i, name in enumerate(names)]
        deps = self.deps(function, scope)
        return [(name, deps) for name in names]

    def _columns_inside(self, projection: exp.Expression, columns: exp.Columns, scope: Scope) -> Outputs:
        """DuckDB repeats an expression around COLUMNS(...) once per matching
        column: named after the column, or all under the projection's alias."""
        outputs: Outputs = []
        value = projection.unalias()
        for name, deps in self._columns_expression(columns, scope):
            self.columns_override[id(columns)] = deps
            try:
                found = self.deps(value, scope)
            finally:
                del self.columns_override[id(columns)]
            aliased = isinstance(projection, exp.Alias) and not re.fullmatch(r"_col_\d+", projection.alias)
            outputs.append((projection.alias.lower() if aliased else name, found))
        return outputs

    def _values(self, values: exp.Values, scope: Scope) -> Outputs:
        rows = [row.expressions if isinstance(row, exp.Tuple) else [row] for row in values.expressions]
        width = max((len(row) for row in rows), default=0)
        alias = values.args.get("alias")
        names = [c.name.lower() for c in alias.columns] if alias is not None and alias.columns else []
        names += [f"col{i + 1}" for i in range(len(names), width)]
        return [(names[i], _union(self.deps(row[i], scope) for row in rows if i < len(row))) for i in range(width)]

    def _table_function_outputs(self, node: exp.Expression, scope: Scope) -> Outputs:
        """UNNEST / LATERAL VIEW explode(...) / TABLE(FLATTEN(...)) / a table
        function: each column it yields carries what its arguments carry, but
        for the ones that only number rows (FLATTEN's index, UNNEST's WITH OFFSET)."""
        function = node.this if isinstance(node, (exp.Lateral, exp.TableFromRows)) else node
        deps = self._table_function_deps(function, scope)
        alias = node.args.get("alias")
        own = TABLE_FUNCTION_COLUMNS.get(self._table_function_name(function), ())
        names = [c.name.lower() for c in alias.columns] if alias is not None and alias.columns else list(own)
        if not names and alias is not None and alias.name:
            names = [alias.name.lower()]
        outputs = [(name, EMPTY if i < len(own) and own[i] in POSITION_COLUMNS else deps)
                   for i, name in enumerate(names or [function_name(function)])]
        offset = node.args.get("offset") if isinstance(node, exp.Unnest) else None
        if isinstance(offset, exp.Identifier):  # BigQuery's WITH OFFSET [AS pos]
            outputs.append((offset.name.lower(), EMPTY))
        return outputs

    def _table_function_name(self, function: exp.Expression) -> str:
        """The function's name; sqlglot reads Snowflake's FLATTEN as an explode."""
        return "flatten" if self.dialect == "snowflake" and isinstance(function, exp.Explode) else function_name(function)

    def _table_function_deps(self, function: exp.Expression, scope: Scope) -> frozenset[Dependency]:
        name = function_name(function)
        if not isinstance(function, (exp.Unnest, exp.Explode, exp.Posexplode, exp.GenerateSeries, exp.Inline)) \
                and name not in RESHAPING_TABLE_FUNCTIONS:
            raise Unresolved(f"reads the table function {name}, whose rows the checker cannot see")
        return self._children(function, scope)

    # -- expressions ----------------------------------------------------------

    def deps(self, node: exp.Expression, scope: Scope) -> frozenset[Dependency]:
        if is_decryption(node):
            # Fail closed: the plaintext is PII that an upstream model protected
            # (encrypt_pii), and which PII the checker does not follow across it.
            raise Unresolved(f"decrypts (`{node.sql(self.dialect)[:80]}`): decrypt_pii's output is PII again, "
                             "so a model that decrypts is never verified as safe")
        macro = protecting_macro(node, self.dialect)
        if macro is not None:
            return _relabel(self._children(node, scope), f"protected by {macro}")
        if isinstance(node, exp.Column):
            if isinstance(node.this, exp.Star):
                return self._all_columns(scope, node.table)
            return self._column(node, scope)
        if isinstance(node, exp.Star):
            return self._all_columns(scope, None)
        if isinstance(node, exp.TableColumn):  # a whole row: `select c from t as c`, row_to_json(c)
            return self._all_columns(scope, node.name)
        if isinstance(node, exp.Parameter) and self.dialect == "snowflake" and node.this.is_int:
            raise Unresolved(f"`{node.sql(self.dialect)}` names a column by its position, which the checker "
                             "does not follow: name the column")
        if isinstance(node, exp.Dot) and isinstance(node.expression, exp.Star):
            raise Unresolved(f"`{node.sql(self.dialect)[:80]}` expands the fields of a struct, whose names the "
                             "checker does not know: name the fields")
        if isinstance(node, VALUE_FREE):
            return EMPTY
        if isinstance(node, (exp.Case, exp.If)):
            return self._branches(node, scope)
        if isinstance(node, exp.Window):
            # PARTITION BY / ORDER BY decide which rows, not what value.
            return self.deps(node.this, scope)
        if isinstance(node, exp.Filter):
            return self.deps(node.this, scope)
        if isinstance(node, (exp.Count, exp.ApproxDistinct)):
            if isinstance(node.this, exp.Star):  # count(*) reads no column
                return EMPTY
            return _relabel(self._children(node, scope), COUNTED)
        if isinstance(node, exp.Comprehension):  # [f(x) for x in list if cond]: the list, through f
            self.lambda_vars.append({node.expression.name.lower()})
            try:
                return self.deps(node.this, scope) | self.deps(node.args["iterator"], scope)
            finally:
                self.lambda_vars.pop()
        if isinstance(node, exp.Exists):
            return EMPTY
        if isinstance(node, (exp.Subquery, exp.Query)):
            inner = node.this if isinstance(node, exp.Subquery) else node
            child = self.subqueries.get(id(inner))
            if child is None:
                raise Unresolved("a subquery in an expression could not be resolved")
            return _union(deps for _, deps in self.scope_outputs(child))
        if isinstance(node, exp.Lambda):
            self.lambda_vars.append({p.name.lower() for p in node.expressions})
            try:
                return self.deps(node.this, scope)
            finally:
                self.lambda_vars.pop()
        if isinstance(node, exp.Columns):
            if id(node) in self.columns_override:
                return self.columns_override[id(node)]
            return _union(deps for _, deps in self._columns_expression(node, scope))
        weak = weak_hash(node)
        if weak is not None:
            return _relabel(self._children(node, scope), WEAK_HASH + weak)
        if isinstance(node, COMBINING):
            return self._children(node, scope)
        raise Unresolved(f"the tracer does not know the expression {type(node).__name__} "
                         f"(`{node.sql(self.dialect)[:80]}`)")

    def _children(self, node: exp.Expression, scope: Scope) -> frozenset[Dependency]:
        found: frozenset[Dependency] = EMPTY
        for child in node.iter_expressions():
            found |= self.deps(child, scope)
        return found

    def _branches(self, node: exp.Expression, scope: Scope) -> frozenset[Dependency]:
        """CASE/IF: the values of the branches pass, the conditions do not; a
        branch whose condition is the literal FALSE never runs."""
        found: frozenset[Dependency] = EMPTY
        if isinstance(node, exp.If):
            pairs, default = [(node.this, node.args.get("true"))], node.args.get("false")
        else:
            pairs = [(branch.this, branch.args.get("true")) for branch in node.args.get("ifs") or []]
            default = node.args.get("default")
            if node.this is not None:  # CASE x WHEN ...: x is compared, not returned
                pairs = [(None, value) for _, value in pairs]
        for condition, value in pairs:
            if isinstance(condition, exp.Boolean) and not condition.this:
                continue
            if value is not None:
                found |= self.deps(value, scope)
        if default is not None:
            found |= self.deps(default, scope)
        return found

    # -- columns --------------------------------------------------------------

    def _find_source(self, alias: str, scope: Scope) -> tuple[Scope, exp.Expression | Scope] | None:
        """The source an alias names, in this scope or (correlated, lateral) an enclosing one."""
        current: Scope | None = scope
        while current is not None:
            if alias in current.sources:
                return current, current.sources[alias]
            for source in current.sources.values():
                if any(pivot.alias.lower() == alias for pivot in _pivots_of(source)):
                    return current, source
            current = current.parent
        return None

    def _column(self, column: exp.Column, scope: Scope) -> frozenset[Dependency]:
        name = column.name.lower()
        if not column.table:
            return self._unqualified(name, scope)
        found = self._find_source(column.table, scope)
        if found is None:
            raise Unresolved(f"column {column.table}.{name} refers to an unknown source")
        owner, source = found
        deps = self._source_column(source, column.table, name, owner)
        if not self.equating:
            deps |= self._equated(owner, column.table, name)
        return deps

    def _unqualified(self, name: str, scope: Scope) -> frozenset[Dependency]:
        """A column qualify could not place: a lambda parameter, a whole-row
        reference to a table alias, the one relation in scope, or (correlated)
        an enclosing scope's."""
        if any(name in params for params in self.lambda_vars):
            return EMPTY
        current: Scope | None = scope
        while current is not None:
            selected = current.selected_sources
            if name in selected:
                source = selected[name][1]
                if self._has_column(source, name):  # `unnest(x) as e` then `e`
                    return self._source_column(source, name, name, current)
                return self._all_columns(current, name)
            if len(selected) == 1:
                alias, (_, source) = next(iter(selected.items()))
                return self._source_column(source, alias, name, current)
            # The one source that has the column, or whose columns are unknown.
            candidates = [(alias, source) for alias, (_, source) in selected.items()
                          if self._has_column(source, name) or (isinstance(source, exp.Table)
                                                                and self._known_columns(source) is None)]
            if len(candidates) == 1:
                alias, source = candidates[0]
                return self._source_column(source, alias, name, current)
            if selected:
                raise Unresolved(f"column {name} could not be resolved to one of {', '.join(sorted(selected))}")
            current = current.parent
        raise Unresolved(f"column {name} could not be resolved to a table")

    def _has_column(self, source: exp.Expression | Scope, name: str) -> bool:
        if isinstance(source, Scope):
            return any(n == name for n, _ in self.scope_outputs(source))
        known = self._known_columns(source) if isinstance(source, exp.Table) else None
        return bool(known) and name in known

    def _known_columns(self, table: exp.Table) -> list[str] | None:
        alias = table.args.get("alias")
        if alias is not None and alias.columns:
            return [c.name.lower() for c in alias.columns]
        if not isinstance(table.this, exp.Identifier):
            return None
        columns = self.schema.find(table, raise_on_missing=False)
        return [c.lower() for c in columns] if columns else None

    def _source_column(self, source: exp.Expression | Scope, alias: str, name: str, owner: Scope) -> frozenset[Dependency]:
        if _pivots_of(source):
            outputs = self._pivot_outputs(source, owner)
            if name not in outputs:
                raise Unresolved(f"column {name} is not an output of the PIVOT/UNPIVOT of {alias}")
            return outputs[name]
        if isinstance(source, Scope):
            outputs = _by_name(self.scope_outputs(source))
            if name not in outputs:
                if name == alias:  # `select u from unnest(...) as u`, `select s from (...) as s`
                    return _union(outputs.values())
                short = sorted(".".join(p for p in rel if p) for rel in self.stars if names_one_of(rel, self.partial))
                hint = (f": the * over {', '.join(short)} expanded only the columns its yml declares; declare them "
                        "all, or pass catalog.json (`dbt docs generate`)") if short else ""
                raise Unresolved(f"column {name} is not an output of {alias}{hint}")
            cte = source.expression.parent
            if isinstance(cte, exp.CTE) and cte.alias.lower().startswith(EPHEMERAL_PREFIX):
                # A hop through the ephemeral model, traced on its own.
                return frozenset({Dependency((EPHEMERAL_PREFIX, cte.alias.lower()[len(EPHEMERAL_PREFIX):]), name)})
            return outputs[name]
        if not isinstance(source, exp.Table):
            raise Unresolved(f"column {name} comes from a {type(source).__name__}, which is not traced")
        if not isinstance(source.this, exp.Identifier):
            return self._table_function_deps(source.this, owner)
        relation = _relation(source)
        known = self._known_columns(source)
        if known is None:
            self.unknown_tables.add(relation)
        elif name not in known:
            if not names_one_of(relation, self.partial):
                raise Unresolved(f"column {name} is not a column of {source.sql(self.dialect)} "
                                 f"(it has {', '.join(known)})")
            self.undeclared_reads.add((relation, name))
        return frozenset({Dependency(relation, name)})

    def _all_columns(self, scope: Scope, alias: str | None) -> frozenset[Dependency]:
        """A whole-row reference (`c`, `c.*`, `row_to_json(c)`) or a star inside
        an expression (`struct_pack(*)`): every column of the source(s)."""
        if alias:
            found = self._find_source(alias, scope)
            if found is None:
                raise Unresolved(f"{alias}.* refers to an unknown source")
            sources = {alias: (found[0], found[1])}
        else:
            sources = {name: (scope, source) for name, (_, source) in scope.selected_sources.items()}
        deps: frozenset[Dependency] = EMPTY
        for name, (owner, source) in sources.items():
            for column in self._source_names(source, name, owner):
                deps |= self._source_column(source, name, column, owner)
        return deps

    def _source_names(self, source: exp.Expression | Scope, alias: str, owner: Scope) -> list[str]:
        if _pivots_of(source):
            return list(self._pivot_outputs(source, owner))
        if isinstance(source, Scope):
            return [name for name, _ in self.scope_outputs(source)]
        known = self._known_columns(source) if isinstance(source, exp.Table) else None
        if known is None and isinstance(source, exp.Table) and not isinstance(source.this, exp.Identifier):
            known = [_table_function_column(source, self.dialect)]
        if known is None:
            raise Unresolved(f"a whole-row reference or * over {alias}, whose columns are unknown")
        if isinstance(source, exp.Table) and isinstance(source.this, exp.Identifier):
            self.stars_over.add(_relation(source))
        return known

    def _columns_expression(self, node: exp.Columns, scope: Scope) -> Outputs:
        """DuckDB COLUMNS(*) / COLUMNS('regex'): one output per matching column."""
        selector = node.this
        if isinstance(selector, exp.Star):
            excluded = _star_except(selector)
            matches = lambda name: name not in excluded  # noqa: E731
        elif isinstance(selector, exp.Literal) and selector.is_string:
            try:
                pattern = re.compile(selector.this)
            except re.error:
                raise Unresolved(f"COLUMNS({selector.sql()}) is not a regular expression the checker can read") from None
            matches = lambda name: pattern.search(name) is not None  # noqa: E731
        else:
            raise Unresolved("COLUMNS(...) selects columns by a rule the checker cannot evaluate")
        outputs: Outputs = []
        for alias, (_, source) in scope.selected_sources.items():
            for name in self._source_names(source, alias, scope):
                if matches(name):
                    outputs.append((name, self._source_column(source, alias, name, scope)))
        return outputs

    def _pivot_outputs(self, source: exp.Expression | Scope, scope: Scope) -> dict[str, frozenset[Dependency]]:
        pivots = _pivots_of(source)
        if len(pivots) != 1:
            raise Unresolved("more than one PIVOT/UNPIVOT on one relation")
        if isinstance(source, Scope):
            base = _by_name(self.scope_outputs(source))
        else:
            known = self._known_columns(source)
            if known is None:
                raise Unresolved(f"PIVOT/UNPIVOT over {source.name}, whose columns are unknown")
            relation = _relation(source)
            self.stars_over.add(relation)
            base = {name: frozenset({Dependency(relation, name)}) for name in known}
        return pivot_outputs(pivots[0], base)

    def _equated(self, scope: Scope, alias: str, name: str) -> frozenset[Dependency]:
        """What the join and WHERE equalities of this scope equate with
        alias.name, directly or through a chain (a = b and b = c)."""
        key = id(scope)
        if key not in self.equalities:
            self.equalities[key] = _equalities(scope.expression, self.dialect)
        equalities = self.equalities[key]
        found: frozenset[Dependency] = EMPTY
        seen = {(alias, name)}
        queue = [((alias, name), None)]
        self.equating = True
        try:
            while queue:
                column, first_label = queue.pop()
                for other, label in equalities.get(column, ()):
                    label = first_label or label
                    found |= _relabel(self.deps(other, scope), EQUAL_VIA + label)
                    bare = unwrap_casts(other)
                    if isinstance(bare, exp.Column) and bare.table:
                        next_column = (bare.table, bare.name.lower())
                        if next_column not in seen:
                            seen.add(next_column)
                            queue.append((next_column, label))
        finally:
            self.equating = False
        return frozenset(d for d in found if d.passes_value)


def _names(node: exp.Expression) -> list[str]:
    """Column names a PIVOT/UNPIVOT part lists, in order: `a`, `(a, b)`, `(a, b) as x`."""
    if isinstance(node, exp.PivotAlias):
        node = node.this
    if isinstance(node, exp.Tuple):
        return [name for item in node.expressions for name in _names(item)]
    if isinstance(node, (exp.Column, exp.Identifier)):
        return [node.name.lower()]
    return [c.name.lower() for c in node.find_all(exp.Column)]


def _pivot_name_value(value: exp.Expression) -> str:
    value = value.this if isinstance(value, exp.PivotAlias) else value
    return (value.this if isinstance(value, exp.Literal) else value.sql()).lower()


def pivot_outputs(pivot: exp.Pivot, base: dict[str, frozenset[Dependency]]) -> dict[str, frozenset[Dependency]]:
    """The columns a PIVOT or UNPIVOT yields from a relation whose columns are `base`.

    UNPIVOT: the unpivoted columns are replaced by the name column (carries
    nothing) and the value column(s), the k-th carrying the k-th column of
    every unpivoted group. PIVOT with an IN list: one column per value and
    aggregate, carrying what that aggregate carries; the columns no aggregate
    or IN reads group.
    """
    fields = pivot.args.get("fields") or []
    if pivot.args.get("unpivot"):
        if len(fields) != 1 or not isinstance(fields[0], exp.In):
            raise Unresolved("an UNPIVOT the checker cannot read")
        groups = [_names(entry) for entry in fields[0].expressions]
        consumed = {name for group in groups for name in group}
        out = {name: deps for name, deps in base.items() if name not in consumed}
        for name_column in _names(fields[0].this):
            out[name_column] = EMPTY
        values = [name for value in pivot.expressions for name in _names(value)]
        aligned = all(len(group) == len(values) for group in groups)
        for k, value in enumerate(values):
            columns = [group[k] for group in groups] if aligned else consumed
            out[value] = _union(base.get(c, EMPTY) for c in columns)
        return out
    names = [c.name.lower() for c in pivot.args.get("columns") or []]
    if not names:
        raise Unresolved("a PIVOT without an IN list names its columns from the data")
    aggregates: list[tuple[str, frozenset[Dependency]]] = []
    used: set[str] = set()
    for aggregate in pivot.expressions:
        columns = {c.name.lower() for c in aggregate.find_all(exp.Column)}
        used |= columns
        deps = _union(base.get(c, EMPTY) for c in columns)
        counted = isinstance(aggregate.unalias(), (exp.Count, exp.ApproxDistinct))
        aggregates.append((aggregate.alias.lower() if isinstance(aggregate, exp.Alias) else "",
                           _relabel(deps, COUNTED) if counted else deps))
    for pivot_field in fields:
        used |= set(_names(pivot_field.this))
    out = {name: deps for name, deps in base.items() if name not in used}
    everything = _union(deps for _, deps in aggregates)
    for name in names:
        matching = [deps for alias, deps in aggregates if alias and (name.endswith("_" + alias) or name.startswith(alias + "_"))]
        out[name] = matching[0] if len(matching) == 1 else everything
    return out


def _equalities(query: exp.Expression, dialect: str) -> dict[tuple[str, str], list[tuple[exp.Expression, str]]]:
    """(alias, column) -> the expressions an `=` in this query's JOIN ... ON or
    WHERE equates it with. USING is an ON equality once qualified."""
    conditions = [join.args.get("on") for join in query.args.get("joins") or []]
    where = query.args.get("where")
    conditions.append(where.this if where is not None else None)
    found: dict[tuple[str, str], list[tuple[exp.Expression, str]]] = {}
    for condition in conditions:
        if condition is None:
            continue
        for equality in condition.find_all(exp.EQ, exp.NullSafeEQ):
            # Only this query's own conditions, and not under NOT.
            if equality.find_ancestor(exp.Query, exp.Not) is not query:
                continue
            label = equality.sql(dialect)[:120]
            for side, other in ((equality.this, equality.expression), (equality.expression, equality.this)):
                side = unwrap_casts(side)
                if isinstance(side, exp.Column) and side.table and not isinstance(side.this, exp.Star):
                    found.setdefault((side.table, side.name.lower()), []).append((other, label))
    return found


def _stars_over(tree: exp.Expression) -> set[Relation]:
    """Relations a `*` selects from, read before qualify expands it."""
    relations: set[Relation] = set()
    for select in tree.find_all(exp.Select):
        if any(_is_star(p) for p in select.expressions):
            items = [select.args.get("from_") or select.args.get("from")] + list(select.args.get("joins") or [])
            for item in items:
                if item is not None and isinstance(item.this, exp.Table) and isinstance(item.this.this, exp.Identifier):
                    relations.add(_relation(item.this))
    return relations


def _statement_pivot(statement: exp.Pivot, schema: MappingSchema, dialect: str) -> ModelTrace:
    """DuckDB's PIVOT / UNPIVOT statements (`unpivot t on a, b into name n value v`)."""
    table = statement.this
    if not isinstance(table, exp.Table) or not isinstance(table.this, exp.Identifier):
        raise Unresolved("a PIVOT/UNPIVOT statement over something other than a table")
    known = schema.find(table, raise_on_missing=False)
    if not known:
        raise Unresolved(f"PIVOT/UNPIVOT over {table.name}, whose columns are unknown")
    relation = _relation(table)
    base = {c.lower(): frozenset({Dependency(relation, c.lower())}) for c in known}
    if not statement.args.get("unpivot"):
        fields = statement.expressions
        if len(fields) != 1 or not isinstance(fields[0], exp.In) or not fields[0].expressions:
            raise Unresolved("a PIVOT statement without an IN list names its columns from the data")
        aggregates = list(statement.args.get("using") or [])
        suffixed = len(aggregates) > 1 or any(isinstance(a, exp.Alias) for a in aggregates)
        names = [f"{_pivot_name_value(v)}_{a.alias_or_name}" if suffixed else _pivot_name_value(v)
                 for v in fields[0].expressions for a in aggregates]
        columns = exp.Pivot(expressions=aggregates, fields=fields, columns=[exp.to_identifier(n) for n in names])
        out = pivot_outputs(columns, base)
        group = statement.args.get("group")
        if group is not None:
            kept = {c.name.lower() for c in group.find_all(exp.Column)} | set(names)
            out = {name: deps for name, deps in out.items() if name in kept}
        return ModelTrace(columns=out, tables=frozenset({relation}), stars_over=frozenset({relation}))
    into = statement.args.get("into")
    if into is None:
        name_column, value_columns = "name", ["value"]
    else:
        name_column, value_columns = into.this.name.lower(), [e.name.lower() for e in into.expressions]
    consumed = {c.name.lower() for e in statement.expressions for c in e.find_all(exp.Column)}
    out = {name: deps for name, deps in base.items() if name not in consumed}
    out[name_column] = EMPTY
    for value in value_columns:
        out[value] = _union(base.get(c, EMPTY) for c in consumed)
    return ModelTrace(columns=out, tables=frozenset({relation}), stars_over=frozenset({relation}))


def _partiql_navigation(tree: exp.Expression) -> None:
    """Redshift's PartiQL FROM items rewritten, in place, as the UNNEST they
    are: `t.arr AS e AT i` (each element, and its index, which carries
    nothing) and `UNPIVOT t.obj AS v AT k` (each value, and its attribute
    name, which carries the object's keys)."""
    for at in list(tree.find_all(exp.AtIndex)):
        navigated, parent = at.this, at.parent
        if not isinstance(navigated, exp.Alias):
            continue
        index = exp.to_identifier(at.expression.name)
        if isinstance(parent, exp.Pivot) and parent.args.get("unpivot"):
            parent.replace(exp.Unnest(expressions=[navigated.this],
                                      alias=exp.TableAlias(columns=[navigated.args["alias"], index])))
        elif isinstance(parent, (exp.Join, exp.From)):
            at.replace(exp.Unnest(expressions=[navigated.this], alias=exp.TableAlias(columns=[navigated.args["alias"]]),
                                  offset=index))


def _physical_tables(root: Scope) -> set[Relation]:
    tables = set()
    for scope in root.traverse():
        for source in scope.sources.values():
            if isinstance(source, exp.Table) and isinstance(source.this, exp.Identifier):
                tables.add(_relation(source))
    return tables


def _own_columns(statement: exp.Expression) -> list[str] | None:
    """The names a query's outermost select list gives, when it has no star."""
    select = statement
    while isinstance(select, (exp.SetOperation, exp.Subquery)):
        select = select.this if isinstance(select, exp.Subquery) else select.left
    if not isinstance(select, exp.Select) or any(_is_star(p) or isinstance(p.unalias(), exp.Columns)
                                                 for p in select.expressions):
        return None
    return [p.alias_or_name.lower() for p in select.expressions]


def trace_model(sql: str, dialect: str, schema: MappingSchema, partial: frozenset[Relation] = frozenset(),
                this: Relation | None = None) -> ModelTrace:
    """Trace every output column of one model; unresolved (with the reason)
    when the SQL cannot be parsed, qualified or followed. `partial`: relations
    whose known columns may not be all they have (declared in yml only).
    `this`: the model's own relation (an incremental model reads `{{ this }}`),
    which has the columns the model selects when nothing else says."""
    read: set[Relation] = set()
    unknown: set[Relation] = set()
    try:
        statements = [s for s in sqlglot.parse(sql, read=dialect) if s is not None]
        if len(statements) != 1:
            return ModelTrace(unresolved=f"expected one SQL statement, found {len(statements)}")
        statement = statements[0]
        if isinstance(statement, exp.Pivot):
            return _statement_pivot(statement, schema, dialect)
        _partiql_navigation(statement)
        stars = _stars_over(statement)
        if this is not None and schema.find(exp.table_(this[2], db=this[1] or None, catalog=this[0] or None),
                                            raise_on_missing=False) is None:
            own = _own_columns(statement)
            if own:
                schema.add_table(exp.table_(this[2], db=this[1] or None, catalog=this[0] or None),
                                 {column: "UNKNOWN" for column in own}, dialect=dialect)
        qualified = qualify(statement, dialect=dialect, schema=schema, validate_qualify_columns=False,
                            quote_identifiers=False, identify=False)
        root = build_scope(qualified)
        if root is None:
            return ModelTrace(unresolved="the SQL is not a query")
        tables = _physical_tables(root)
        read.update(tables)
        unknown.update(t for t in tables if schema.find(exp.table_(t[2], db=t[1] or None, catalog=t[0] or None),
                                                        raise_on_missing=False) is None)
        tracer = _Tracer(root, schema, dialect, partial, stars)
        for scope in root.traverse():
            for source in scope.sources.values():
                if isinstance(source, exp.Table) and _reads_file(source, dialect):
                    raise Unresolved(f"reads the file {source.name}, whose rows the checker cannot see")
                if isinstance(source, exp.Table) and not isinstance(source.this, exp.Identifier):
                    tracer._table_function_deps(source.this, scope)  # fails on readers of outside data
                elif isinstance(source, Scope) and isinstance(source.expression, exp.TableFromRows):
                    tracer._table_function_deps(source.expression.this, scope)
        columns = _by_name(tracer.scope_outputs(root))
        return ModelTrace(columns=columns, tables=frozenset(tables),
                          unknown_tables=frozenset(tracer.unknown_tables | unknown),
                          undeclared_reads=frozenset(tracer.undeclared_reads),
                          stars_over=frozenset(stars | tracer.stars_over))
    except Unresolved as problem:
        reason = str(problem)
    except SqlglotError as error:
        first_line = str(error).splitlines()[0] if str(error) else type(error).__name__
        reason = f"sqlglot cannot analyse it: {first_line}"
    except RecursionError:
        reason = "the SQL nests too deeply to analyse"
    return ModelTrace(unresolved=reason, tables=frozenset(read), unknown_tables=frozenset(unknown))
