"""``TagLinks`` on the asyncpg connection: one statement text per call whatever the batch size.

Lists travel as arrays joined through ``unnest`` (one prepared statement serves any batch, and
the URN look-ups probe the B-tree: ``= ANY`` or ``IN`` may plan on the trigram index, see
``batch_db.by_key_list``). The transaction starts at the first call.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

import asyncpg  # type: ignore[import-untyped]

from dab.platform.metrics import observe_query
from dab.storage import _tag_links as shared
from dab.storage._tag_links import Row
from dab.storage.generation import GRAPH_ROW_ID, ROW_ID
from dab.storage.records import utcnow
from dab.storage.repositories.tags import Pair

TAGS = (
    "SELECT t.id, t.urn, t.origin FROM tag t JOIN unnest($1::varchar[]) AS k(key) ON t.id = k.key "
    "UNION SELECT t.id, t.urn, t.origin FROM tag t JOIN unnest($1::varchar[]) AS k(key) ON t.urn = k.key"
)
BUMP = (
    "INSERT INTO cache_generation (id, token, changed_at) "
    f"VALUES ({ROW_ID}, $1, $3), ({GRAPH_ROW_ID}, $2, $3) "
    "ON CONFLICT (id) DO UPDATE SET token = excluded.token, changed_at = excluded.changed_at"
)


def _subjects(table: str) -> str:
    return (
        f"SELECT s.id, s.urn FROM {table} s JOIN unnest($1::varchar[]) AS k(key) ON s.urn = k.key "
        f"UNION SELECT id, urn FROM {table} WHERE id = ANY($2::bigint[])"
    )


def _insert(table: str, key: str) -> str:
    return (
        f"INSERT INTO {table} ({key}, tag_id, origin, added_by, added_at) "
        "SELECT k.u, k.t, 'api', k.b, $4 "
        "FROM unnest($1::varchar[], $2::varchar[], $3::varchar[]) AS k(u, t, b) "
        f"ON CONFLICT ({key}, tag_id) DO NOTHING RETURNING {key}, tag_id, origin, added_by, added_at"
    )


def _links(table: str, key: str) -> str:
    return (
        f"SELECT l.{key}, l.tag_id, l.origin, l.added_by, l.added_at FROM {table} l "
        f"JOIN unnest($1::varchar[], $2::varchar[]) AS k(u, t) ON l.{key} = k.u AND l.tag_id = k.t"
    )


def _remove(table: str, key: str) -> str:
    return (
        f"DELETE FROM {table} l USING unnest($1::varchar[], $2::varchar[]) AS k(u, t) "
        f"WHERE l.{key} = k.u AND l.tag_id = k.t"
    )


class PgTagLinks:
    def __init__(self, driver: asyncpg.Connection) -> None:
        self._driver = driver
        self._transaction: Any = None
        self._wrote = False

    async def _fetch(self, sql: str, *args: Any) -> list[Any]:
        if self._transaction is None:
            self._transaction = self._driver.transaction()
            await self._transaction.start()
        started = time.perf_counter()
        rows = await self._driver.fetch(sql, *args)
        observe_query(started)
        return [tuple(row) for row in rows]

    async def refs(self, refs: set[str]) -> dict[str, Row]:
        return shared.tags_found(refs, await self._fetch(TAGS, sorted(refs)))

    async def subject_urns(self, kind: str, refs: set[str]) -> dict[str, str]:
        urns, ids = shared.split_refs(refs)
        return shared.subjects_found(
            refs, await self._fetch(_subjects(shared.subject_table(kind)), urns, ids)
        )

    async def add_links(self, kind: str, pairs: list[tuple[str, str, str | None]]) -> dict[Pair, Row]:
        if not pairs:
            return {}
        table, key = shared.link_table(kind)
        columns = [list(values) for values in zip(*pairs, strict=True)]
        rows = await self._fetch(_insert(table, key), *columns, utcnow())
        self._wrote = True
        return shared.link_rows(key, rows)

    async def links(self, kind: str, pairs: list[Pair]) -> dict[Pair, Row]:
        table, key = shared.link_table(kind)
        urns, tag_ids = ([p[0] for p in pairs], [p[1] for p in pairs])
        return shared.link_rows(key, await self._fetch(_links(table, key), urns, tag_ids))

    async def remove_links(self, kind: str, pairs: list[Pair]) -> None:
        table, key = shared.link_table(kind)
        urns, tag_ids = ([p[0] for p in pairs], [p[1] for p in pairs])
        await self._fetch(_remove(table, key), urns, tag_ids)
        self._wrote = True

    async def finish(self) -> bool:
        if self._transaction is None:
            return False
        if self._wrote:
            started = time.perf_counter()
            await self._driver.execute(BUMP, *shared.tokens(), utcnow())
            observe_query(started)
        await self._transaction.commit()
        return self._wrote

    async def abandon(self) -> None:
        if self._transaction is None or self._driver.is_closed():
            return
        with contextlib.suppress(asyncpg.PostgresError, asyncpg.InterfaceError, OSError):
            await self._transaction.rollback()  # failing, the connection is gone: so is its transaction
