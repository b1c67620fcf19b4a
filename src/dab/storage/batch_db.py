"""Run a batch's statements as one synchronous function: on SQLite in aiosqlite's own thread
(one hand-off for the whole batch), elsewhere through SQLAlchemy's greenlet bridge.

Through the async session every statement of an event batch was three or four hand-offs
between the event loop and aiosqlite's thread (cursor, execute, fetch, close): ~90 per batch of
100 OpenLineage events, each a wake-up of two threads that, on a busy machine, also waits for a
core (PERFORMANCE.md, "OpenLineage, part 4"). Code written against ``BatchDb`` runs unchanged on
both, in the caller's transaction: the SQLite path uses the very connection the session holds,
so the request's commit or rollback covers what it wrote.

Statements are SQLAlchemy Core constructs; a list-valued parameter is an *expanding* bind
(``column.in_(bindparam("keys", expanding=True))``). On the SQLite path each construct is
compiled once per process and its expanding parameter spliced in as ``?, ?, ...``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import aiosqlite
from sqlalchemy import String, bindparam, event, func
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from sqlalchemy.util.concurrency import await_

from dab.storage.generation import note_write
from dab.storage.sqlite_driver import in_connection_thread, raw_connection
from dab.storage.sqlite_pragmas import Tuning, pragmas_set, read_pragmas, set_pragmas

T = TypeVar("T")
Params = Mapping[str, Any]


class BatchDb(Protocol):
    """What the batch writers need from a connection."""

    dialect: Dialect

    def rows(self, stmt: Any, params: Params | None = None) -> list[tuple[Any, ...]]:
        """The rows of a ``SELECT`` (values as the driver returns them: text columns only)."""

    def execute(self, stmt: Any, params: Params | Sequence[Params] | None = None) -> None:
        """A write; a list of parameter sets is an executemany."""

    def driver_sql(self, sql: str, params: tuple[Any, ...]) -> None:
        """A statement already in the driver's paramstyle, with converted values."""

    def tuned(self) -> AbstractContextManager[None]:
        """The connection settings ``run_batch`` was given, around a large write (SQLite only)."""


def by_key_list(build: Callable[[Callable[[Any], Any]], T]) -> dict[str, T]:
    """A statement filtered by the list parameter ``keys``, per dialect name: ``build(match)``
    where ``match(column)`` is the filter "column is one of keys".

    SQLite gets ``column IN (?, ?, ...)``. PostgreSQL gets a join with ``unnest($1::varchar[])``:
    one statement text whatever the list's length, and a plan that probes the B-tree. With an
    ``IN`` list (or ``= ANY(array)``) the planner picked the ``pg_trgm`` GIN index on ``urn``
    whenever the table's statistics were young, since ``gin_trgm_ops`` serves ``=`` too: its
    pending list and the URNs' shared trigrams made a 300-key look-up 0.3-2 s instead of ~1 ms
    (PERFORMANCE.md, "OpenLineage, part 6")."""
    keys = func.unnest(bindparam("keys", type_=ARRAY(String))).table_valued("key").render_derived(name="k")
    return {
        "sqlite": build(lambda column: column.in_(bindparam("keys", expanding=True))),
        "postgresql": build(lambda column: column == keys.c.key),
    }


class ConnectionDb:
    """``BatchDb`` over a synchronous SQLAlchemy connection (inside ``AsyncSession.run_sync``)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.dialect = conn.dialect

    def rows(self, stmt: Any, params: Params | None = None) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in self.conn.execute(stmt, dict(params or {}))]

    def execute(self, stmt: Any, params: Params | Sequence[Params] | None = None) -> None:
        self.conn.execute(stmt, params if isinstance(params, Sequence) else dict(params or {}))

    def driver_sql(self, sql: str, params: tuple[Any, ...]) -> None:
        # A plain string escapes the write watch (``generation``), which sees constructs only.
        note_write(self.conn)
        self.conn.exec_driver_sql(sql, params)

    def tuned(self) -> AbstractContextManager[None]:
        return nullcontext()


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    order: tuple[str, ...]
    expanding: frozenset[str]
    convert: Mapping[str, Callable[[Any], Any]]
    constants: Mapping[str, Any]


_COMPILED: dict[tuple[int, str], tuple[Any, _Compiled]] = {}


def _compile(stmt: Any, dialect: Dialect) -> _Compiled:
    # Keyed by the construct's identity (the writers keep theirs in module constants); the
    # construct is kept beside it so that its id cannot be reused by another object.
    key = (id(stmt), dialect.name)
    cached = _COMPILED.get(key)
    if cached is not None and cached[0] is stmt:
        return cached[1]
    compiled = stmt.compile(dialect=dialect)
    convert = {}
    for name, bind in compiled.binds.items():
        processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
        if processor is not None:
            convert[name] = processor
    out = _Compiled(
        sql=compiled.string,
        order=tuple(compiled.positiontup or ()),
        expanding=frozenset(name for name, bind in compiled.binds.items() if bind.expanding),
        convert=convert,
        constants={name: bind.value for name, bind in compiled.binds.items() if bind.value is not None},
    )
    if len(_COMPILED) > 256:  # statements built per call would otherwise grow this forever
        _COMPILED.clear()
    _COMPILED[key] = (stmt, out)
    return out


class SqliteThreadDb:
    """``BatchDb`` over the ``sqlite3`` connection itself; only used in its own thread."""

    def __init__(
        self,
        raw: sqlite3.Connection,
        dialect: Dialect,
        tuning: Tuning | None = None,
        pending: dict[str, int] | None = None,
    ) -> None:
        self.raw = raw
        self.dialect = dialect
        self.wrote = False
        self._tuning = tuning or Tuning()
        self._pending = pending
        """Where transaction-scoped settings record their old values (``run_batch`` restores them)."""

    @contextmanager
    def tuned(self) -> Iterator[None]:
        transaction = self._tuning.transaction
        if transaction and self._pending is not None:
            # The first value seen in this transaction is the one to put back.
            for name, value in read_pragmas(self.raw, transaction).items():
                self._pending.setdefault(name, value)
            set_pragmas(self.raw, transaction)
        with pragmas_set(self.raw, self._tuning.batch):
            yield

    def _bound(self, compiled: _Compiled, params: Params) -> tuple[str, list[Any]]:
        sql = compiled.sql
        values: list[Any] = []
        for name in compiled.order:
            value = params[name] if name in params else compiled.constants.get(name)
            convert = compiled.convert.get(name)
            if name in compiled.expanding:
                items = list(value or ())
                # An empty list matches nothing, as SQLAlchemy renders it.
                marks = ", ".join("?" * len(items)) if items else "SELECT 1 WHERE 1 = 0"
                sql = sql.replace(f"__[POSTCOMPILE_{name}]", marks, 1)
                values.extend(items if convert is None else [convert(v) for v in items])
            else:
                values.append(value if value is None or convert is None else convert(value))
        return sql, values

    def rows(self, stmt: Any, params: Params | None = None) -> list[tuple[Any, ...]]:
        sql, values = self._bound(_compile(stmt, self.dialect), params or {})
        return self.raw.execute(sql, values).fetchall()

    def execute(self, stmt: Any, params: Params | Sequence[Params] | None = None) -> None:
        compiled = _compile(stmt, self.dialect)
        self.wrote = True
        if isinstance(params, Sequence):
            if compiled.expanding:
                raise ValueError("an executemany cannot have a list-valued parameter")
            if params:
                self.raw.executemany(compiled.sql, [self._bound(compiled, p)[1] for p in params])
            return
        sql, values = self._bound(compiled, params or {})
        self.raw.execute(sql, values)

    def driver_sql(self, sql: str, params: tuple[Any, ...]) -> None:
        self.wrote = True
        self.raw.execute(sql, params)


async def _aiosqlite_of(session: AsyncSession) -> tuple[Connection, aiosqlite.Connection | None]:
    conn = await session.connection()
    sync = conn.sync_connection
    if sync is None:  # pragma: no cover - a connection the session just handed out is open
        raise RuntimeError("the session's connection is closed")
    driver = (await conn.get_raw_connection()).driver_connection
    return sync, driver if isinstance(driver, aiosqlite.Connection) else None


async def in_driver_thread(session: AsyncSession) -> bool:
    """Whether ``run_batch`` runs off the event loop (SQLite), so CPU-bound work may go in it."""
    return (await _aiosqlite_of(session))[1] is not None


async def run_batch(
    session: AsyncSession, work: Callable[[BatchDb], T], *, sqlite_tuning: Tuning | None = None
) -> T:
    """``work(db)`` in the session's transaction: in one hand-off to aiosqlite's thread when
    the session is on aiosqlite (its ``_execute``, the queue every aiosqlite call goes through),
    else on the event loop through ``run_sync``, each statement awaited as usual. ``work`` must
    only use the database through ``db``. ``sqlite_tuning``: the connection settings that
    ``db.tuned()`` applies on SQLite, each put back when its scope ends (``sqlite_pragmas``)."""
    sync, driver = await _aiosqlite_of(session)
    if driver is not None:
        tuning = sqlite_tuning or Tuning()
        pending = _restore_at_transaction_end(session, driver) if tuning.transaction else None
        db = SqliteThreadDb(raw_connection(driver), sync.dialect, tuning, pending)
        result = await in_connection_thread(driver, work, db)
        if db.wrote:
            note_write(sync)
        return result

    def bridged(sync_session: Session) -> T:
        return work(ConnectionDb(sync_session.connection()))

    return await session.run_sync(bridged)


_RESTORE = "dab_sqlite_pragmas_to_restore"
_LISTENING = "dab_sqlite_pragmas_listening"


def _restore_at_transaction_end(session: AsyncSession, driver: aiosqlite.Connection) -> dict[str, int]:
    """The settings to put back once the session's transaction commits or rolls back (the
    connection's thread fills them in). Listeners stay on the session (removing one while its
    event is dispatched is not allowed) and do nothing when no setting is pending."""
    sync_session = session.sync_session
    info = sync_session.info
    # Per driver connection: a later transaction of the same session may hold another one.
    pending: dict[str, int] = info.setdefault(_RESTORE, {}).setdefault(driver, {})
    listening: set[aiosqlite.Connection] = info.setdefault(_LISTENING, set())
    if driver in listening:
        return pending

    def restore(_session: Session) -> None:
        values = info.get(_RESTORE, {}).pop(driver, None)
        if values:
            # In the greenlet of the commit or rollback, so the connection's thread can be
            # awaited here, before the session hands the connection back to the pool.
            await_(in_connection_thread(driver, set_pragmas, raw_connection(driver), values))

    listening.add(driver)
    event.listen(sync_session, "after_commit", restore)
    event.listen(sync_session, "after_rollback", restore)
    return pending
