"""``INSERT ... ON CONFLICT`` of many rows as one DBAPI executemany of pre-converted tuples.

The statement of each shape is compiled once per process; values go through the column
types' own bind processors (``graph_writer.converter``). For small hot batches (OpenLineage
events, 100 per request) SQLAlchemy's per-execute compile-cache lookup and per-row parameter
handling were the larger part of the CPU.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from dab.storage.graph_writer import chunked, converter

Plan = list[tuple[str, Callable[[Any], Any] | None]]
_COMPILED: dict[tuple[Any, ...], tuple[str, Plan, dict[str, Any]]] = {}


def _compile(
    dialect: Any, record: Any, names: Sequence[str], keys: Sequence[str], kw: Mapping[str, Any]
) -> tuple[str, Plan, dict[str, Any]]:
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
    plan = [
        (name, converter(table.c[name], dialect, memo=False) if name in names else None)
        for name in compiled.positiontup or ()
    ]
    # Parameters that are not row columns: the constants of ``where`` (the same for a shape).
    constants = {name: value for name, value in compiled.params.items() if name not in names}
    return str(compiled), plan, constants


async def upsert_rows(
    session: AsyncSession,
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
    Rows are written in key order, so two PostgreSQL transactions lock them in the same order."""
    if not rows:
        return
    conn = await session.connection()
    names = list(rows[0])
    cache_key = (conn.dialect.name, record.__tablename__, tuple(names), tuple(keys), shape)
    compiled = _COMPILED.get(cache_key)
    if compiled is None:
        compiled = _COMPILED[cache_key] = _compile(conn.dialect, record, names, keys, kw)
    sql, plan, constants = compiled
    ordered = sorted(rows, key=lambda r: tuple(str(r[k]) for k in keys))
    for batch in chunked(ordered, 1_000):
        await conn.exec_driver_sql(sql, [_values(row, plan, constants) for row in batch])


def _values(row: Mapping[str, Any], plan: Plan, constants: Mapping[str, Any]) -> tuple[Any, ...]:
    out = []
    for name, convert in plan:
        if name in constants:
            out.append(constants[name])
            continue
        value = row[name]
        out.append(value if value is None or convert is None else convert(value))
    return tuple(out)
