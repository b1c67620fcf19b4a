"""A project's first write on SQLite: its column and test rows encoded in a forked child.

A first ingestion inserts every row, and digesting and encoding them (a content digest per
column and test, row dicts, DBAPI tuples: ~3-4 CPU s at 10k models) alternated with SQLite's
inserts on one core. Here a forked child, which shares the parsed and PII-classified graph
copy-on-write, computes the digests and then the row batches in insertion order, while this
process inserts the batches it already has: the encoding runs on the second core beside
SQLite's work. Every statement still runs here, in the ingestion's one transaction, in the
order a write without the child uses; the rows are those ``sync_by_urn`` inserts (only the
``created_at``/``updated_at`` stamp is the child's clock). When the child fails, this process
computes what the child did not deliver (``services/forked.Stream``).

Only for a project with nothing stored (no diff: every row is new), on SQLite (PostgreSQL
encodes in a thread beside its ``COPY``), for big graphs, when the machine has a core free
now (``forked.worth_forking``), and only when the entry point runs one job in its own process
(the CLI, the server's ingestion child): at that point the process's other threads are idle,
so forking it is safe.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dab.domain.graph import Graph
from dab.services.forked import Stream, worth_forking
from dab.storage.encoded_insert import Encoded, insert_encoded
from dab.storage.graph_writer import BATCH, DiffStats, Entry, refuse_foreign_urns, row_encoder
from dab.storage.mappers import column_row, content_hash, test_row
from dab.storage.records import CapsuleRecord, ColumnRecord, DataTestRecord

ROWS_PER_BATCH = BATCH
"""Rows per message from the child and per ``executemany`` (as ``graph_writer``)."""
FORK_MIN_ROWS = 20_000
"""Columns and tests from which the rows are encoded in a child (forking costs ~10-50 ms)."""

Digests = tuple[list[str], list[str]]
"""Each column's and each test's content digest, in the graph's order."""


def item_digests(graph: Graph) -> Digests:
    return [content_hash(c) for c in graph.columns.values()], [content_hash(t) for t in graph.tests.values()]


async def nothing_stored(session: AsyncSession, project: str) -> bool:
    """No capsule and no column of ``project`` is stored (a test needs its capsule)."""
    for record in (CapsuleRecord, ColumnRecord):
        if await session.scalar(select(record.id).where(record.project == project).limit(1)) is not None:
            return False
    return True


Kind = tuple[Any, Callable[[Any, str, str], dict[str, Any]]]
_KINDS: dict[str, Kind] = {"columns": (ColumnRecord, column_row), "tests": (DataTestRecord, test_row)}


@dataclass
class _Rows:
    """The steps the child runs: the digests, then each batch of column rows, then of test rows.
    Each step works from the graph alone (what an earlier step computed is recomputed when
    missing), so this process can take over at any step."""

    graph: Graph
    project: str
    dialect: Any
    grouped: Callable[[Graph, Digests], dict[str, list[Entry]]]
    """(graph, digests) -> entries by kind, in insertion order (as ``persist_graph`` builds them)."""
    counts: dict[str, int]
    _digests: Digests | None = None
    _entries: dict[str, list[Entry]] | None = None
    _encoders: dict[str, Any] = field(default_factory=dict)

    def digests(self) -> Digests:
        if self._digests is None:
            self._digests = item_digests(self.graph)
        return self._digests

    def steps(self) -> list[Callable[[], Any]]:
        out: list[Callable[[], Any]] = [self.digests]
        for kind, count in self.counts.items():
            out += [self._batch_step(kind, start) for start in range(0, count, ROWS_PER_BATCH)]
        return out

    def _batch_step(self, kind: str, start: int) -> Callable[[], Encoded]:
        return lambda: self.batch(kind, start)

    def batch(self, kind: str, start: int) -> Encoded:
        if self._entries is None:
            self._entries = self.grouped(self.graph, self.digests())
        entries = self._entries[kind][start : start + ROWS_PER_BATCH]
        record, mapper = _KINDS[kind]
        rows = [mapper(e.item, self.project, e.digest) for e in entries]
        if kind not in self._encoders:  # one plan (and one default stamp) per kind
            self._encoders[kind] = row_encoder(record.__table__, self.dialect, rows[0])
        names, encode = self._encoders[kind]
        return names, encode(rows)


class FirstWrite:
    """Starts the child; ``digests`` then ``insert`` per kind, in that order; ``close`` at the end."""

    def __init__(
        self,
        graph: Graph,
        project: str,
        dialect: Any,
        grouped: Callable[[Graph, Digests], dict[str, list[Entry]]],
        counts: dict[str, int],
        *,
        fork: bool = True,
    ) -> None:
        self.counts = counts
        # Only when a core is free now: on a saturated machine the child's extra CPU (~15 %:
        # pickling, copied pages) lengthened the write instead (docs/PERFORMANCE.md).
        self._stream = Stream(
            _Rows(graph, project, dialect, grouped, counts).steps(), fork=fork and worth_forking()
        )

    @property
    def forked(self) -> bool:
        return self._stream.forked

    def digests(self) -> Digests:
        """Blocks until the child sent them: call from a worker thread."""
        digests: Digests = self._stream.take()
        return digests

    async def insert(self, session: AsyncSession, kind: str, entries: list[Entry], project: str) -> DiffStats:
        """Insert every row of ``kind`` (``entries``: the same items, for the URN check)."""
        record = _KINDS[kind][0]
        assert len(entries) == self.counts[kind], "the child encodes the entries persist_graph built"
        await refuse_foreign_urns(session, record, [e.urn for e in entries], project)
        batches = -(-len(entries) // ROWS_PER_BATCH)
        await insert_encoded(session, record, batches=batches, rows=len(entries), take=self._stream.take)
        return DiffStats(created=len(entries))

    def close(self) -> None:
        self._stream.close()
