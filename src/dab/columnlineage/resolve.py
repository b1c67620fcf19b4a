"""A cheap stand-in for ``qualify`` on the query shapes dbt models mostly have.

``sqlglot.optimizer.qualify`` is about half of the cost of a model's column lineage. Most
compiled models are CTE chains of ``select *`` / ``t.*`` over one source and projections of
columns that name their source or belong to exactly one of them: for those, qualifying is a
schema look-up per column and a star expansion per select. ``resolve`` does that on the
parsed tree and returns its root scope, or None, leaving the tree untouched, as soon as
anything could need ``qualify``'s full rules (alias references, ``USING``, positional
``GROUP BY``, correlated or ambiguous columns, lambdas, pivots, table functions, column
aliases on tables, recursive CTEs, mixed-case identifiers, upper-casing dialects). The walk
then sees the same tree as after ``qualify`` (a test compares both paths on every golden case).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.scope import Scope, build_scope

from dab.columnlineage.names import FOLDS_TO_LOWER, table_of

# Anything under these needs qualify's own rules (or is its own scope, for the queries).
_UNSUPPORTED = (exp.Lambda, exp.Lateral, exp.Unnest, exp.Pivot, exp.Values, exp.UDTF)
_ALIAS_SENSITIVE = ("having", "qualify")
# Select clauses the resolver does not model (named windows, CONNECT BY, MATCH_RECOGNIZE, ...).
_UNMODELLED = ("laterals", "windows", "connect", "pivots", "match", "into", "exclude", "prewhere")


class _Unsupported(Exception):
    """The query needs the full ``qualify``."""


def _own_columns(select: exp.Select) -> Iterator[tuple[str, exp.Column]]:
    """Columns of ``select`` itself (not of nested queries), with the clause each is in."""
    for arg, value in select.args.items():
        if arg in ("with_", "order") or value is None:
            continue  # CTEs are their own scopes; a top-level ORDER BY feeds no edge
        stack = list(value) if isinstance(value, list) else [value]
        while stack:
            node = stack.pop()
            if isinstance(node, exp.Column):
                yield arg, node
            elif not isinstance(node, exp.Query | exp.Subquery):
                stack.extend(node.iter_expressions())


class _Plan:
    """Changes decided per scope, applied only once the whole query is known to be simple."""

    def __init__(self, schema: Mapping[str, Mapping[str, str]]) -> None:
        self.schema = schema
        # qualify's schema keeps only the deepest keys (sql._nested_schema): so must this.
        self.depth = max((key.count(".") for key in schema), default=0)
        self.outputs: dict[int, list[str]] = {}
        self.tables: list[tuple[exp.Column, str]] = []
        self.stars: list[tuple[exp.Expr, list[exp.Column]]] = []

    def columns_of(self, source: exp.Expr | Scope) -> list[str]:
        if isinstance(source, Scope):
            found = self.outputs.get(id(source))
            if found is None:
                raise _Unsupported
            return found
        if not isinstance(source, exp.Table) or source.args.get("pivots") or not source.name:
            raise _Unsupported
        key = table_of(source)
        columns = self.schema.get(key)
        if columns is None or key.count(".") != self.depth:
            raise _Unsupported  # qualify's look-up may still find it under a shorter name
        return list(columns)

    def scope(self, scope: Scope) -> None:
        expression = scope.expression
        if isinstance(expression, exp.SetOperation):
            if expression.args.get("by_name"):
                raise _Unsupported
            self.outputs[id(scope)] = self.first_branch_outputs(scope)
            return
        if not isinstance(expression, exp.Select) or any(expression.args.get(a) for a in _UNMODELLED):
            raise _Unsupported
        selected = scope.selected_sources
        read = [expression.args.get("from_"), *(expression.args.get("joins") or ())]
        if len(selected) != sum(1 for r in read if r is not None) or "" in selected:
            raise _Unsupported  # a source read twice under one name, or a nameless derived table
        sources = {name: self.columns_of(source) for name, (_, source) in selected.items()}
        outputs = self.projections(expression, sources, named=not scope.is_subquery)
        self.outputs[id(scope)] = outputs
        self.qualify(expression, sources, set(outputs))

    def first_branch_outputs(self, scope: Scope) -> list[str]:
        branches = getattr(scope, "set_operation_scopes", None) or getattr(scope, "union_scopes", None)
        if not branches or id(branches[0]) not in self.outputs:
            raise _Unsupported
        return self.outputs[id(branches[0])]

    def projections(self, select: exp.Select, sources: dict[str, list[str]], *, named: bool) -> list[str]:
        """Output names; a scalar subquery's are never looked up by name, so they may be unnamed."""
        outputs: list[str] = []
        for projection in select.expressions:
            star = projection if isinstance(projection, exp.Star) else projection.this
            if isinstance(star, exp.Star):
                if any(star.args.get(a) for a in ("except_", "replace", "rename", "ilike")):
                    raise _Unsupported
                names = self.expand(projection, sources)
                self.stars.append((projection, [_column(c, t) for t, c in names]))
                outputs.extend(c for _, c in names)
            elif isinstance(projection, exp.Alias):
                outputs.append(projection.alias.lower())
            elif isinstance(projection, exp.Column):
                outputs.append(projection.name.lower())
            elif named:
                raise _Unsupported  # qualify would name it _col_<n>
            else:
                outputs.append("")
        return outputs

    def expand(self, star: exp.Expr, sources: dict[str, list[str]]) -> list[tuple[str, str]]:
        if isinstance(star, exp.Column):
            if star.table not in sources or star.db:
                raise _Unsupported
            return [(star.table, c) for c in sources[star.table]]
        if len(sources) != 1:
            raise _Unsupported  # duplicate names across joined sources: qualify's rules
        ((table, columns),) = sources.items()
        return [(table, c) for c in columns]

    def qualify(self, select: exp.Select, sources: dict[str, list[str]], outputs: set[str]) -> None:
        group = select.args.get("group")
        if group is not None and (group.args.get("all") or any(e.is_int for e in group.expressions)):
            raise _Unsupported  # GROUP BY ALL / GROUP BY 1: qualify expands them
        for clause, column in _own_columns(select):
            if isinstance(column.this, exp.Star):
                if column.parent is not select:
                    raise _Unsupported
                continue
            name = column.name.lower()
            if column.table:
                if column.db or column.table not in sources or name not in sources[column.table]:
                    raise _Unsupported  # struct access, outer reference or unknown column
                continue
            if clause in _ALIAS_SENSITIVE and name in outputs:
                raise _Unsupported  # may mean the projection's alias
            owners = [table for table, columns in sources.items() if name in columns]
            if len(owners) != 1:
                raise _Unsupported  # an alias reference, unknown or ambiguous
            self.tables.append((column, owners[0]))

    def apply(self, added: list[exp.Expr]) -> None:
        """Edit the tree; every node this puts into it is appended to ``added``."""
        for column, table in self.tables:
            identifier = exp.to_identifier(table)
            column.set("table", identifier)
            added.append(identifier)
        for star, columns in self.stars:
            select = star.parent
            assert isinstance(select, exp.Select)
            position = select.expressions.index(star)
            select.set(
                "expressions", [*select.expressions[:position], *columns, *select.expressions[position + 1 :]]
            )
            for column in columns:
                added += (column, column.this, column.args["table"])  # what ``_column`` built


def _identifier(name: str) -> exp.Identifier:
    quoted = _QUOTED.get(name)
    if quoted is None:
        if len(_QUOTED) >= 100_000:  # helpers live on between ingestions: stay bounded
            _QUOTED.clear()
        quoted = _QUOTED[name] = not exp.SAFE_IDENTIFIER_RE.match(name)
    return exp.Identifier(this=name, quoted=quoted)


_QUOTED: dict[str, bool] = {}
"""Per name, whether ``exp.to_identifier`` would quote it (names repeat across models)."""


def _column(name: str, table: str) -> exp.Column:
    """``exp.column(name, table=table)``, built directly: a star's expansion makes ~40 per
    model, and the generic builder's dispatch was a quarter of their cost."""
    return exp.Column(this=_identifier(name), table=_identifier(table), db=None, catalog=None)


def _plain(nodes: Iterable[exp.Expr], dialect: Dialect) -> bool:
    if dialect.NORMALIZATION_STRATEGY not in FOLDS_TO_LOWER or dialect.FORCE_EARLY_ALIAS_REF_EXPANSION:
        return False
    check = _CHECKS
    for node in nodes:  # every node of every model: one dict look-up for most of them
        kind = check.get(type(node))
        if kind is None:
            kind = check[type(node)] = _check_of(type(node))
        if kind and _needs_qualify(node, kind):
            return False
    return True


_SKIP, _IDENTIFIER, _ALWAYS, _ARGS = 0, 1, 2, 3
_CHECKS: dict[type, int] = {}
"""Per node class, what deciding it needs (classes are few; filled on first sight)."""


def _check_of(cls: type) -> int:
    if issubclass(cls, exp.Identifier):
        return _IDENTIFIER
    if issubclass(cls, _UNSUPPORTED):
        return _ALWAYS
    if issubclass(cls, exp.TableAlias | exp.With | exp.Join):
        return _ARGS
    return _SKIP


def _needs_qualify(node: exp.Expr, kind: int) -> bool:
    if kind == _IDENTIFIER:
        return not isinstance(node.this, str) or node.this != node.this.lower()
    return (
        kind == _ALWAYS
        or (isinstance(node, exp.TableAlias) and bool(node.columns))
        or (isinstance(node, exp.With) and bool(node.args.get("recursive")))
        or (isinstance(node, exp.Join) and bool(node.args.get("using")))
    )


def resolve(
    tree: exp.Expr,
    schema: Mapping[str, Mapping[str, str]],
    dialect: Dialect,
    nodes: list[exp.Expr] | None = None,
) -> Scope | None:
    """The root scope of ``tree`` qualified in place, or None (tree unchanged) when it is not simple.

    ``nodes``: the tree's nodes, if the caller listed them (``list(tree.walk())``); the nodes the
    qualification adds are appended, so the list still holds every node (to release them).
    """
    if not _plain(tree.walk() if nodes is None else nodes, dialect):
        return None
    root = build_scope(tree)
    if root is None:
        return None
    plan = _Plan(schema)
    try:
        for scope in root.traverse():
            plan.scope(scope)
    except (_Unsupported, SqlglotError):  # e.g. a name used twice: qualify reports it
        return None
    plan.apply([] if nodes is None else nodes)
    return root
