"""``TagLinks`` on the sqlite3 connection, each call one hand-off to aiosqlite's thread.

The first call opens the transaction with ``BEGIN IMMEDIATE``: the write lock is taken before
the look-ups, so no other writer can remove a tag between its look-up and the INSERT that
refers to it. Timestamps go through the column type's own processors, so they are stored and
read back exactly as the ORM path stores and reads them.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Callable
from typing import Any, TypeVar, cast

import aiosqlite
from sqlalchemy.engine import Dialect

from dab.platform.metrics import observe_query
from dab.storage._tag_links import (
    Row,
    link_rows,
    link_table,
    split_refs,
    subject_table,
    subjects_found,
    tags_found,
    tokens,
)
from dab.storage.generation import GRAPH_ROW_ID, ROW_ID
from dab.storage.records import utcnow
from dab.storage.records._base import UTCDateTime
from dab.storage.repositories._text import chunked
from dab.storage.repositories.tags import Pair
from dab.storage.sqlite_driver import in_connection_thread, raw_connection

T = TypeVar("T")
ROWS_PER_INSERT = 200  # 5 parameters a row: far below SQLite's limit on bound parameters
BUMP = (
    "INSERT INTO cache_generation (id, token, changed_at) VALUES (?, ?, ?), (?, ?, ?) "
    "ON CONFLICT (id) DO UPDATE SET token = excluded.token, changed_at = excluded.changed_at"
)


def _marks(count: int) -> str:
    return ", ".join("?" * count)


def _begin(raw: sqlite3.Connection) -> None:
    if not raw.in_transaction:
        raw.execute("BEGIN IMMEDIATE")


def _select(raw: sqlite3.Connection, sql: str, values: list[Any]) -> list[Any]:
    _begin(raw)
    return raw.execute(sql, values).fetchall()


# One look-up per pair, in one hand-off: SQLite plans ``(a, b) IN (VALUES ...)`` as a scan of
# the link table (25 removals/s at ~500k links), while ``a = ? AND b = ?`` probes its unique index.
def _select_each(raw: sqlite3.Connection, sql: str, pairs: list[Pair]) -> list[Any]:
    _begin(raw)
    return [row for pair in pairs for row in raw.execute(sql, pair).fetchall()]


def _write_each(raw: sqlite3.Connection, sql: str, pairs: list[Pair]) -> None:
    _begin(raw)
    raw.executemany(sql, pairs)


def _insert(raw: sqlite3.Connection, kind: str, rows: list[tuple[Any, ...]]) -> list[Any]:
    _begin(raw)
    table, key = link_table(kind)
    out: list[Any] = []
    for part in chunked(rows, ROWS_PER_INSERT):
        values = ", ".join(["(?, ?, 'api', ?, ?)"] * len(part))
        sql = (
            f"INSERT INTO {table} ({key}, tag_id, origin, added_by, added_at) VALUES {values} "
            f"ON CONFLICT ({key}, tag_id) DO NOTHING RETURNING {key}, tag_id, origin, added_by, added_at"
        )
        out.extend(raw.execute(sql, [v for row in part for v in row]).fetchall())
    return out


def _commit(raw: sqlite3.Connection, bump: list[Any] | None) -> None:
    if bump is not None:
        raw.execute(BUMP, bump)
    if raw.in_transaction:
        raw.execute("COMMIT")


def _rollback(raw: sqlite3.Connection) -> None:
    if raw.in_transaction:
        raw.execute("ROLLBACK")


class SqliteTagLinks:
    def __init__(self, driver: aiosqlite.Connection, dialect: Dialect) -> None:
        self._driver = driver
        self._raw = raw_connection(driver)
        stamp = UTCDateTime().dialect_impl(dialect)  # the processors of the engine's own DateTime
        self._store_at = cast(Callable[[Any], Any], stamp.bind_processor(dialect))
        self._read_at = stamp.result_processor(dialect, None)
        self._wrote = False

    async def _call(self, function: Callable[..., T], *args: Any) -> Any:
        started = time.perf_counter()
        out = await in_connection_thread(self._driver, function, self._raw, *args)
        observe_query(started)
        return out

    async def refs(self, refs: set[str]) -> dict[str, Row]:
        rows: list[Any] = []
        for part in chunked(sorted(refs)):
            marks = _marks(len(part))
            sql = f"SELECT id, urn, origin FROM tag WHERE id IN ({marks}) OR urn IN ({marks})"
            rows.extend(await self._call(_select, sql, [*part, *part]))
        return tags_found(refs, rows)

    async def subject_urns(self, kind: str, refs: set[str]) -> dict[str, str]:
        urns, ids = split_refs(refs)
        table, rows = subject_table(kind), []
        for part in chunked(urns):
            rows.extend(
                await self._call(
                    _select, f"SELECT id, urn FROM {table} WHERE urn IN ({_marks(len(part))})", part
                )
            )
        for part_ids in chunked(ids):
            sql = f"SELECT id, urn FROM {table} WHERE id IN ({_marks(len(part_ids))})"
            rows.extend(await self._call(_select, sql, part_ids))
        return subjects_found(refs, rows)

    async def add_links(self, kind: str, pairs: list[tuple[str, str, str | None]]) -> dict[Pair, Row]:
        if not pairs:
            return {}
        now = self._store_at(utcnow())
        rows = await self._call(_insert, kind, [(urn, tag_id, by, now) for urn, tag_id, by in pairs])
        self._wrote = True
        return link_rows(link_table(kind)[1], rows, self._read_at)

    async def links(self, kind: str, pairs: list[Pair]) -> dict[Pair, Row]:
        table, key = link_table(kind)
        sql = f"SELECT {key}, tag_id, origin, added_by, added_at FROM {table} WHERE {key} = ? AND tag_id = ?"
        return link_rows(key, await self._call(_select_each, sql, pairs), self._read_at)

    async def remove_links(self, kind: str, pairs: list[Pair]) -> None:
        table, key = link_table(kind)
        await self._call(_write_each, f"DELETE FROM {table} WHERE {key} = ? AND tag_id = ?", pairs)
        self._wrote = True

    async def finish(self) -> bool:
        bump = None
        if self._wrote:
            catalog, graph = tokens()
            now = self._store_at(utcnow())
            bump = [ROW_ID, catalog, now, GRAPH_ROW_ID, graph, now]
        await self._call(_commit, bump)
        return self._wrote

    async def abandon(self) -> None:
        with contextlib.suppress(sqlite3.Error, ValueError):
            await self._call(_rollback)  # failing, the connection is closed: nothing is open
