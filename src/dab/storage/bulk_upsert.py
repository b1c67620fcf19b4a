"""``INSERT ... VALUES (...), (...) ... ON CONFLICT`` of many rows in a few multi-row statements.

The single-row statement of each shape is compiled once per process and its ``VALUES`` group
repeated for as many rows as the database's bind-parameter limit allows; values go through the
column types' own bind processors (``graph_writer.converter``). Compared with an executemany of
the same rows, SQLite evaluates the search-index trigger and the ``ON CONFLICT`` probe for the
whole statement at once (about 3x less CPU for 300 column rows, PERFORMANCE.md "OpenLineage,
part 3"), and each statement is one round trip. Runs on a ``batch_db.BatchDb``.

On PostgreSQL the rows go as one array per column instead (``INSERT ... SELECT * FROM
unnest($1::varchar(512)[], ...)``): one round trip and one prepared statement per shape whatever
the row count, no bind-parameter limit, and a plan that does not grow with the rows (a 256-row
``VALUES`` is 2,000+ parameters to bind and plan on every execution).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy.dialects import postgresql, sqlite

from dab.storage.batch_db import BatchDb
from dab.storage.graph_writer import converter

Plan = list[tuple[str, Callable[[Any], Any] | None]]
MAX_PARAMETERS = {"postgresql": 32_767, "sqlite": 32_766 if sqlite3.sqlite_version_info >= (3, 32) else 999}
"""Bind parameters per statement: asyncpg's protocol limit; SQLite's compile-time default."""
_NUMBERED = re.compile(r"\$(\d+)")


@dataclass(frozen=True, slots=True)
class _Shape:
    head: str
    """``INSERT INTO t (a, b) VALUES ``"""
    group: str
    """One row's ``(?, ?)`` (or ``($1::VARCHAR, $2)`` on PostgreSQL)."""
    tail: str
    """`` ON CONFLICT ...``, whose own parameters (``where`` constants) follow the rows'."""
    width: int
    plan: Plan
    constants: tuple[Any, ...]
    numbered: bool
    arrays: str | None = None
    """PostgreSQL: the statement with one array parameter per column, ``INSERT ... SELECT *
    FROM unnest($1::t1[], $2::t2[], ...)``, whatever the row count."""

    def sql(self, rows: int) -> str:
        if not self.numbered:
            return self.head + ", ".join([self.group] * rows) + self.tail
        groups = (_shift(self.group, i * self.width) for i in range(rows))
        return self.head + ", ".join(groups) + _shift(self.tail, (rows - 1) * self.width)


def _shift(text: str, by: int) -> str:
    return _NUMBERED.sub(lambda m: f"${int(m.group(1)) + by}", text) if by else text


_SHAPES: dict[tuple[Any, ...], _Shape] = {}


@lru_cache(maxsize=512)  # bounded: each shape has up to one text per batch length
def _sql(cache_key: tuple[Any, ...], rows: int) -> str:
    return _SHAPES[cache_key].sql(rows)


def _compile(
    dialect: Any, record: Any, names: Sequence[str], keys: Sequence[str], kw: Mapping[str, Any]
) -> _Shape:
    table = record.__table__
    insert = postgresql.insert if dialect.name == "postgresql" else sqlite.insert
    # inline(): no RETURNING of the primary key, which PostgreSQL's compiler adds otherwise.
    stmt = insert(table).inline().values({name: bindparam(name) for name in names})
    set_ = kw.get("set_")
    if set_ is None:
        stmt = stmt.on_conflict_do_nothing(index_elements=list(keys))
    else:
        stmt = stmt.on_conflict_do_update(
            index_elements=list(keys), set_=set_(stmt.excluded), where=kw.get("where")
        )
    compiled = stmt.compile(dialect=dialect)
    text = str(compiled)
    start = text.index(" VALUES (") + len(" VALUES ")
    end = text.index(") ON CONFLICT", start) + 1
    order = list(compiled.positiontup or ())
    if order[: len(names)] != list(names):
        raise AssertionError(f"{record.__tablename__}: unexpected parameter order {order}")
    arrays = None
    if dialect.name == "postgresql":
        # The ``where`` constants keep their numbers: they follow the columns in both forms.
        casts = ", ".join(
            f"${i}::{table.c[name].type.compile(dialect=dialect)}[]" for i, name in enumerate(names, 1)
        )
        arrays = f"{text[: start - len('VALUES ')]}SELECT * FROM unnest({casts}){text[end:]}"
    return _Shape(
        head=text[:start],
        group=text[start:end],
        tail=text[end:],
        width=len(names),
        plan=[(name, converter(table.c[name], dialect, memo=False)) for name in names],
        # Parameters that are not row columns: the constants of ``where`` (the same for a shape).
        constants=tuple(compiled.params[name] for name in order[len(names) :]),
        numbered=dialect.paramstyle.startswith("numeric"),
        arrays=arrays,
    )


def upsert_rows(
    db: BatchDb,
    record: Any,
    rows: Sequence[Mapping[str, Any]],
    keys: Sequence[str],
    *,
    shape: str = "",
    **kw: Any,
) -> None:
    """Upsert ``rows`` (all with the same columns): DO NOTHING on a conflict over ``keys``, or
    DO UPDATE ``set_(excluded)`` [WHERE ``where``]. ``shape`` names the ``set_``/``where``
    variant: it is compiled on first use, so one name must always mean the same clauses.

    One statement may not name a key twice (PostgreSQL refuses to update a row twice in one
    statement), so of rows with the same key the last is written: callers that need another
    rule collapse their rows first. Rows are written in key order, so two PostgreSQL
    transactions lock them in the same order (``unnest`` returns the arrays' order)."""
    if not rows:
        return
    names = list(rows[0])
    cache_key = (db.dialect.name, record.__tablename__, tuple(names), tuple(keys), shape)
    compiled = _SHAPES.get(cache_key)
    if compiled is None:
        compiled = _SHAPES[cache_key] = _compile(db.dialect, record, names, keys, kw)
    unique = {tuple(str(row[k]) for k in keys): row for row in rows}
    ordered = [unique[key] for key in sorted(unique)]
    if compiled.arrays is not None:
        db.driver_sql(compiled.arrays, _columns(ordered, compiled))
        return
    per_statement = max(1, (MAX_PARAMETERS[db.dialect.name] - len(compiled.constants)) // compiled.width)
    start = 0
    for size in statement_sizes(len(ordered), per_statement):
        batch = ordered[start : start + size]
        start += size
        db.driver_sql(_sql(cache_key, size), _values(batch, compiled))


def statement_sizes(rows: int, limit: int) -> list[int]:
    """Rows per statement: ``limit`` while more remain, then the binary digits of the rest.

    Each distinct row count is another SQL text, prepared again by SQLite (its statement cache
    is keyed by the text); with these sizes a shape has at most ~log2(limit)
    texts, so a steady stream of batches re-uses prepared statements instead of parsing
    thousands of placeholders per batch.

    Example:
        >>> statement_sizes(300, 2000), statement_sizes(5000, 2000)
        ([256, 32, 8, 4], [2000, 2000, 512, 256, 128, 64, 32, 8])
    """
    sizes = [limit] * (rows // limit)
    rest = rows % limit
    sizes += [1 << bit for bit in range(rest.bit_length() - 1, -1, -1) if rest >> bit & 1]
    return sizes


def _columns(rows: Sequence[Mapping[str, Any]], shape: _Shape) -> tuple[Any, ...]:
    """One list per column (``shape.arrays``), then the ``where`` constants."""
    out: list[Any] = []
    for name, convert in shape.plan:
        values = [row[name] for row in rows]
        if convert is not None:
            memo = _Memo(convert)
            values = [None if value is None else memo(value) for value in values]
        out.append(values)
    return (*out, *shape.constants)


def _values(rows: Sequence[Mapping[str, Any]], shape: _Shape) -> tuple[Any, ...]:
    out: list[Any] = []
    append = out.append
    plan = [(name, None if convert is None else _Memo(convert)) for name, convert in shape.plan]
    for row in rows:
        for name, convert in plan:
            value = row[name]
            append(value if value is None or convert is None else convert(value))
    out.extend(shape.constants)
    return tuple(out)


class _Memo:
    """A converter that re-uses its last answer for the very same object: a batch's rows share
    one timestamp and the same empty JSON values, converted once instead of once per row (the
    timestamp's processor alone was ~5 % of a SQLite batch)."""

    __slots__ = ("_convert", "_last", "_out")

    def __init__(self, convert: Callable[[Any], Any]) -> None:
        self._convert = convert
        self._last: Any = _Memo
        self._out: Any = None

    def __call__(self, value: Any) -> Any:
        if value is not self._last:
            self._out = self._convert(value)
            self._last = value
        return self._out
