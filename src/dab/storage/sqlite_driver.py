"""SQLAlchemy's aiosqlite adapter with one thread hand-off per statement.

The stock adapter makes four hand-offs to aiosqlite's connection thread for every statement
(open a cursor, execute, fetch all rows, close the cursor), each a wake-up of that thread and
then of the event loop, plus one for the rollback when the pool takes a connection back. On a
busy 2-core machine those wake-ups cost more than a small indexed SELECT. Here a statement runs
as one function in the connection's thread: cursor, execute, fetch all, close; and commit or
rollback is skipped when SQLite has no transaction open (pysqlite would issue nothing then).

Behaviour is the stock adapter's: the same exceptions (raised in the thread, re-raised through
the same handler), every row fetched at execute as before, and server-side cursors
(``stream_results`` / ``yield_per``) keep the stock streaming cursor.
"""

from __future__ import annotations

import collections
import sqlite3
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar, cast

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_

# What a statement leaves behind once its sqlite3 cursor is closed.
_Outcome = tuple[list[Any] | None, Any, int, int | None]
T = TypeVar("T")


def raw_connection(connection: aiosqlite.Connection) -> sqlite3.Connection:
    """The sqlite3 connection inside an aiosqlite one, for functions run in its thread by
    ``in_connection_thread``. This module is the only one that reaches into aiosqlite's
    private API (``_conn`` here, ``_execute`` below): a change there fails here, by name."""
    raw = getattr(connection, "_conn", None)
    if not isinstance(raw, sqlite3.Connection):
        raise TypeError(f"aiosqlite {aiosqlite.__version__}: no sqlite3 connection at Connection._conn")
    return raw


def in_connection_thread(connection: Any, function: Callable[..., T], *args: Any) -> Awaitable[T]:
    """``function(*args)`` in an aiosqlite connection's thread, through its own queue: it runs in
    order with every other call on this connection, so no lock is needed around it (aiosqlite's
    private ``_execute``, see ``raw_connection``)."""
    return cast(Awaitable[T], connection._execute(function, *args))


def _run(connection: sqlite3.Connection, operation: str, parameters: Any) -> _Outcome:
    cursor = connection.cursor()
    try:
        cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else None
        # After the fetch: a RETURNING statement counts its rows only once they are read.
        return rows, description, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


def _run_many(connection: sqlite3.Connection, operation: str, parameters: Any) -> _Outcome:
    cursor = connection.cursor()
    try:
        cursor.executemany(operation, parameters)
        return None, cursor.description, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class OneHandoffCursor(AsyncAdapt_aiosqlite_cursor):
    """A buffered cursor whose sqlite3 cursor lives only inside one hand-off."""

    __slots__ = ("_arraysize", "_description", "_lastrowid", "_rowcount")

    def __init__(self, adapt_connection: AsyncAdapt_aiosqlite_connection) -> None:
        # No aiosqlite cursor (the stock __init__ opens one: a hand-off of its own).
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None
        self._arraysize = 1  # sqlite3's default

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> int:
        return self._lastrowid  # type: ignore[return-value]

    @property
    def arraysize(self) -> int:
        return self._arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._arraysize = value

    def _hand_off(self, function: Any, operation: str, parameters: Any) -> None:
        connection = self._connection
        try:
            # ``_conn`` raises "no active connection" on a closed one, which the handler maps
            # like the stock adapter.
            outcome: _Outcome = await_(
                in_connection_thread(connection, function, connection._conn, operation, parameters)
            )
        except Exception as error:
            self._adapt_connection._handle_exception(error)
        rows, self._description, self._rowcount, self._lastrowid = outcome
        self._rows = collections.deque(rows) if rows is not None else collections.deque()

    def execute(self, operation: Any, parameters: Any = None) -> None:
        self._hand_off(_run, operation, () if parameters is None else parameters)

    def executemany(self, operation: Any, seq_of_parameters: Any) -> None:
        self._hand_off(_run_many, operation, seq_of_parameters)

    async def _async_soft_close(self) -> None:
        """Nothing to close: the sqlite3 cursor closed inside the hand-off."""

    def close(self) -> None:
        self._rows.clear()

    def nextset(self) -> None:
        raise NotImplementedError("sqlite3 has no multiple result sets")

    def fetchall(self) -> Sequence[Any]:
        rows = list(self._rows)
        self._rows.clear()
        return rows


class OneHandoffConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()

    _cursor_cls = OneHandoffCursor  # type: ignore[assignment]  # a subclass; mypy reads the stubs narrowly

    def _in_transaction(self) -> bool:
        # A flag read without a hand-off: nothing else runs on this connection while the pool
        # or the session ends its transaction.
        driver = self._connection._connection
        return driver is not None and driver.in_transaction

    def rollback(self) -> None:
        if self._in_transaction():
            super().rollback()

    def commit(self) -> None:
        if self._in_transaction():
            super().commit()


class OneHandoffDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """The DBAPI module SQLAlchemy's aiosqlite dialect is given (``module=``)."""

    def connect(self, *arg: Any, **kw: Any) -> OneHandoffConnection:
        stock = super().connect(*arg, **kw)
        return OneHandoffConnection(self, stock._connection)


def dbapi() -> OneHandoffDBAPI:
    return OneHandoffDBAPI(aiosqlite, sqlite3)
