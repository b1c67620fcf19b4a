"""One model's compiled SQL + the columns of the tables it reads -> column edges and misses.

sqlglot parses the SQL in the adapter's dialect; ``resolve`` (simple shapes, cheap) or else
``qualify`` expands ``*``/``t.*``, turns ``USING`` into ``ON`` and qualifies every column
against the schema. A single walk over the
scopes then follows each output column through CTEs, subqueries and set operations to base
tables, keeping the strongest hop kind on the way (see ``kinds``). Columns read by WHERE,
JOIN ... ON, GROUP BY, HAVING and QUALIFY become filter edges into every output column.

Example:
    >>> schema = {"db.raw.users": {"id": "int", "email": "text"}}
    >>> result = derive_model_lineage("select id, md5(email) as email_hash from db.raw.users", schema)
    >>> [(e.source.column, e.target, e.kind.value, e.function) for e in result.edges]
    [('id', 'id', 'identity', None), ('email', 'email_hash', 'masking', 'md5')]
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import NamedTuple

import sqlglot
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import OptimizeError, ParseError, SqlglotError
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import Scope, build_scope
from sqlglot.schema import MappingSchema

from dab.columnlineage.kinds import MASKING_FUNCTIONS, RANK, combine, hop_kind
from dab.columnlineage.names import FOLDS_TO_LOWER, table_key, table_of
from dab.columnlineage.resolve import resolve
from dab.domain.lineage import TransformationKind as Kind

Schema = Mapping[str, Mapping[str, str]]
"""Table key (``db.schema.name``, lower case) -> column name (lower case) -> data type."""


# Named tuples, not frozen dataclasses: every model makes ~50 of each, and a frozen dataclass's
# __init__ and __hash__ run in Python (they were ~8% of a model's derivation, see
# docs/PERFORMANCE.md); a tuple's are C. A ColumnRef sorts as (table, column).
class ColumnRef(NamedTuple):
    table: str
    column: str


class DerivedEdge(NamedTuple):
    source: ColumnRef
    target: str
    kind: Kind
    function: str | None = None


@dataclass(frozen=True, slots=True)
class Miss:
    """Why (part of) a model has no column lineage: reason is a stable code, detail says where."""

    reason: str  # no_compiled_sql | parse_error | unknown_table | unknown_column | unsupported
    detail: str


@dataclass(slots=True)
class ModelLineage:
    outputs: list[str] = field(default_factory=list)
    edges: list[DerivedEdge] = field(default_factory=list)
    misses: list[Miss] = field(default_factory=list)
    parsed: bool = False


Trace = dict[ColumnRef, tuple[Kind, str | None]]


__all__ = ["ColumnRef", "DerivedEdge", "Miss", "ModelLineage", "derive_model_lineage", "table_key"]


@cache
def _dialect(name: str | None) -> Dialect:
    """One dialect object per name: sqlglot looks the name up again on every call otherwise."""
    return Dialect.get_or_raise(name)


def _schema(schema: Schema, dialect: Dialect) -> MappingSchema:
    """Keys are lower case already: where the dialect folds to lower case, skip re-normalising."""
    lower = dialect.NORMALIZATION_STRATEGY in FOLDS_TO_LOWER
    return MappingSchema(_nested_schema(schema), dialect=dialect, normalize=not lower)


def _nested_schema(schema: Schema) -> dict[str, object]:
    """sqlglot's nested mapping; every key must have the same depth, the deepest wins."""
    depth = max((k.count(".") for k in schema), default=0)
    out: dict[str, object] = {}
    for key, columns in schema.items():
        parts = key.split(".")
        if len(parts) != depth + 1:
            continue
        node = out
        for part in parts[:-1]:
            node = node.setdefault(part, {})  # type: ignore[assignment]
        node[parts[-1]] = dict(columns)
    return out


class _Walker:
    def __init__(self, masking: frozenset[str], result: ModelLineage) -> None:
        self.masking = masking
        self.result = result
        self.memo: dict[tuple[int, str], Trace] = {}
        self.tables: dict[int, str] = {}
        self.by_name: dict[int, dict[str, exp.Expr]] = {}

    def table(self, table: exp.Table) -> str:
        key = self.tables.get(id(table))
        if key is None:
            key = self.tables[id(table)] = table_of(table)
        return key

    def miss(self, reason: str, detail: str) -> None:
        miss = Miss(reason, detail)
        if miss not in self.result.misses:
            self.result.misses.append(miss)

    def resolve(self, scope: Scope, column: exp.Column) -> Trace:
        """Base columns behind ``column`` as seen from ``scope``, with the kind of that path."""
        source = scope.sources.get(column.table)
        if isinstance(source, exp.Table):
            return {ColumnRef(self.table(source), column.name.lower()): (Kind.IDENTITY, None)}
        if isinstance(source, Scope):
            return self.trace(source, column.name.lower())
        self.miss("unknown_column", f"column {column.sql()!r} has no known source table")
        return {}

    def trace(self, scope: Scope, name: str) -> Trace:
        key = (id(scope), name)
        if key not in self.memo:
            self.memo[key] = {}  # a recursive CTE refers to itself: stop there
            self.memo[key] = self._trace(scope, name)
        return self.memo[key]

    def _trace(self, scope: Scope, name: str) -> Trace:
        if _branches(scope):
            return self._trace_union(scope, name)
        expression = scope.expression
        if not isinstance(expression, exp.Select):
            self.miss("unsupported", f"{expression.key} in place of a select")
            return {}
        projection = self.projections(scope, expression).get(name)
        if projection is not None:
            return self.projection(scope, projection)
        self.miss("unknown_column", f"no column {name!r} in {expression.sql()[:80]!r}")
        return {}

    def projections(self, scope: Scope, select: exp.Select) -> dict[str, exp.Expr]:
        """The select's projections by output name (the first one wins), built once per scope."""
        found = self.by_name.get(id(scope))
        if found is None:
            found = self.by_name[id(scope)] = {}
            for projection in select.selects:
                found.setdefault(projection.alias_or_name.lower(), projection)
        return found

    def _trace_union(self, scope: Scope, name: str) -> Trace:
        first = _branches(scope)[0].expression
        names = [s.alias_or_name.lower() for s in getattr(first, "selects", [])]
        if name not in names:
            self.miss("unknown_column", f"no column {name!r} in the set operation")
            return {}
        position = names.index(name)
        out: Trace = {}
        for branch in _branches(scope):
            selects = getattr(branch.expression, "selects", [])
            if position < len(selects):
                _merge(out, self.trace(branch, selects[position].alias_or_name.lower()))
        return out

    def projection(self, scope: Scope, projection: exp.Expr) -> Trace:
        value = projection.unalias()
        if isinstance(value, exp.Column):
            return dict(self.resolve(scope, value))  # passed through: the path keeps its own kind
        columns, subqueries, stars = _parts(value)
        out: Trace = {}
        for column in columns:
            if column.find_ancestor(exp.Select) is not scope.expression:
                continue  # inside a scalar subquery: traced through its own scope below
            kind, function = hop_kind(column, value, self.masking)
            for ref, (inner, inner_function) in self.resolve(scope, column).items():
                path = combine(kind, inner)
                _merge(out, {ref: (path, function if path == kind else inner_function)})
        for subquery in subqueries:
            inner_scope = next((s for s in scope.subquery_scopes if s.expression is subquery.this), None)
            selects = getattr(subquery.this, "selects", [])
            if inner_scope is None or not selects:
                self.miss("unsupported", f"subquery {subquery.sql()[:80]!r}")
                continue
            for ref, (kind, function) in self.projection(inner_scope, selects[0]).items():
                _merge(out, {ref: (combine(Kind.TRANSFORMATION, kind), function)})
        for star in stars:
            if not isinstance(star.parent, exp.Count | exp.Column):
                self.miss("unsupported", f"unexpanded * in {value.sql()[:80]!r}")
        return out

    def row_filters(self, scopes: list[Scope]) -> Trace:
        """Base columns read by WHERE / JOIN ON / GROUP BY / HAVING / QUALIFY anywhere in the query."""
        out: Trace = {}
        for scope in scopes:
            expression = scope.expression
            if not isinstance(expression, exp.Select):
                continue
            clauses = [expression.args.get(k) for k in ("where", "group", "having", "qualify")]
            clauses += [join.args.get("on") for join in expression.args.get("joins") or ()]
            for clause in clauses:
                if clause is None:
                    continue
                for column in clause.find_all(exp.Column):
                    if column.find_ancestor(exp.Select) is not expression:
                        continue
                    _merge(out, dict.fromkeys(self.resolve(scope, column), (Kind.FILTER, None)))
        return out


def _parts(value: exp.Expr) -> tuple[list[exp.Column], list[exp.Subquery], list[exp.Star]]:
    """Columns, subqueries and stars under ``value``, breadth first (as ``find_all``), in one pass."""
    columns: list[exp.Column] = []
    subqueries: list[exp.Subquery] = []
    stars: list[exp.Star] = []
    for node in value.walk():
        if isinstance(node, exp.Column):
            columns.append(node)
        elif isinstance(node, exp.Subquery):
            subqueries.append(node)
        elif isinstance(node, exp.Star):
            stars.append(node)
    return columns, subqueries, stars


def _branches(scope: Scope) -> list[Scope]:
    """The branches of a UNION/INTERSECT/EXCEPT scope (renamed across sqlglot versions)."""
    if not isinstance(scope.expression, exp.SetOperation):
        return []
    branches = getattr(scope, "set_operation_scopes", None) or getattr(scope, "union_scopes", None)
    return list(branches or [])


def _merge(into: Trace, more: Trace) -> None:
    """Parallel paths from one source: the least protective one wins (any clear path exposes)."""
    for ref, (kind, function) in more.items():
        current = into.get(ref)
        if current is None or RANK[kind] < RANK[current[0]]:
            into[ref] = (kind, function)


def _parse(sql: str, dialect: Dialect, result: ModelLineage) -> exp.Expr | None:
    try:
        return sqlglot.parse_one(sql, read=dialect)
    except ParseError as exc:
        first = exc.errors[0] if exc.errors else {}
        where = f"line {first.get('line')}, col {first.get('col')}: " if first else ""
        result.misses.append(Miss("parse_error", f"{where}{first.get('description', str(exc))}"[:300]))
    except SqlglotError as exc:
        result.misses.append(Miss("parse_error", str(exc)[:300]))
    return None


def _qualified(tree: exp.Expr, dialect: Dialect, schema: Schema, result: ModelLineage) -> exp.Expr | None:
    try:
        return qualify(
            tree,
            schema=_schema(schema, dialect),
            dialect=dialect,
            validate_qualify_columns=False,
            quote_identifiers=False,
            identify=False,
        )
    except (OptimizeError, SqlglotError) as exc:
        result.misses.append(Miss("unsupported", f"cannot qualify: {exc}"[:300]))
        return None


TreeHook = Callable[[exp.Expr, list[exp.Expr]], object]
"""Called with the parsed tree before anything qualifies or changes it, and its nodes (ingestion
takes the rules' SQL facts from it, so the SQL is parsed once; the nodes are walked once for the
hook, the resolver's check and the release, ~0.06 ms a walk, ~10% of a model's derivation)."""


def _root_scope(
    sql: str, name: str | None, schema: Schema, fast: bool, result: ModelLineage, on_tree: TreeHook | None
) -> tuple[Scope | None, list[exp.Expr] | None]:
    """The qualified query's root scope: the cheap resolver where it applies, else ``qualify``;
    and, from the cheap resolver, every node of its tree (None: walk the tree to know them)."""
    dialect = _dialect(name)
    tree = _parse(sql, dialect, result)
    if tree is None:
        return None, None
    nodes = list(tree.walk())
    if on_tree is not None:
        on_tree(tree, nodes)
    root = resolve(tree, schema, dialect, nodes) if fast else None
    if root is not None:
        return root, nodes
    qualified = _qualified(tree, dialect, schema, result)
    if qualified is None:
        return None, None
    root = build_scope(qualified)
    if root is None:
        result.misses.append(Miss("unsupported", f"{qualified.key} is not a query"))
    return root, None  # qualify rewrote the tree: its nodes are no longer those listed


def derive_model_lineage(
    sql: str | None,
    schema: Schema,
    dialect: str | None = None,
    masking_functions: frozenset[str] = MASKING_FUNCTIONS,
    *,
    fast: bool = True,
    on_tree: TreeHook | None = None,
) -> ModelLineage:
    """Column edges of one model: output column name (lower case) <- base table columns.

    ``fast=False`` always takes ``qualify`` (the reference the cheap resolver is tested against).
    """
    result = ModelLineage()
    if not sql or not sql.strip():
        result.misses.append(Miss("no_compiled_sql", "the model has no compiled SQL"))
        return result
    root, nodes = _root_scope(sql, dialect, schema, fast, result, on_tree)
    if root is None:
        return result
    result.parsed = True
    scopes = list(root.traverse())
    try:
        _walk(root, scopes, schema, masking_functions, result)
    finally:
        _release(root.expression, scopes, nodes)
    return result


def _release(tree: exp.Expr, scopes: list[Scope], nodes: list[exp.Expr] | None = None) -> None:
    """Cut the parent links of the tree's ``nodes`` (default: walk it) and of the scopes, so
    reference counting frees them now.

    Left cyclic, 10k trees pile up in the old generation and every full collection rescans
    them: that was ~70% of the derivation's CPU at 10k models (see docs/PERFORMANCE.md).
    """
    for node in tree.walk() if nodes is None else nodes:
        node.parent = None
    for scope in scopes:
        scope.parent = None
        scope.clear_cache()


def _walk(
    root: Scope, scopes: list[Scope], schema: Schema, masking: frozenset[str], result: ModelLineage
) -> None:
    walker = _Walker(masking, result)
    unknown = {walker.table(t) for s in scopes for t in s.sources.values() if isinstance(t, exp.Table)}
    for key in sorted(unknown - schema.keys()):
        walker.miss("unknown_table", f"{key} is not in the catalog")
    first = _branches(root)[0].expression if _branches(root) else root.expression
    result.outputs = [s.alias_or_name.lower() for s in getattr(first, "selects", [])]
    filters = sorted(walker.row_filters(scopes))  # sorted once, not per output
    edges = result.edges
    for output in result.outputs:
        values = walker.trace(root, output)
        for ref in sorted(values):  # by (table, column)
            kind, function = values[ref]
            edges.append(DerivedEdge(ref, output, kind, function))
        edges.extend(DerivedEdge(ref, output, Kind.FILTER) for ref in filters if ref not in values)
