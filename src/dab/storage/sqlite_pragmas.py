"""Connection settings for one large SQLite write, set for its duration and then put back.

A batch of 100 OpenLineage events dirties ~1,000 pages of long random-keyed indexes. With the
connection defaults (a 2 MiB page cache, temporary files on disk) SQLite spills dirty pages
to the WAL in the middle of the transaction, reads them back, and writes each multi-row
statement's undo copy of every page it changes (the statement journal) to a temporary file:
about 65 ``pread``/``pwrite`` calls per event (PERFORMANCE.md, "OpenLineage, part 5").

These are per-connection settings and the pool hands the connection to later requests, so
they are put back: the page cache and temporary storage when the hand-off ends (a read that
sorts a large result afterwards must not build its temporary b-trees in memory, and an idle
pooled connection must not keep a page cache eight times the default), the checkpoint
threshold once the transaction has committed or rolled back (it acts at the commit).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Tuning:
    """``PRAGMA`` values for one write: ``batch`` while its statements run, ``transaction``
    until it ends (``batch_db.run_batch`` restores them)."""

    batch: Mapping[str, int] = field(default_factory=dict)
    transaction: Mapping[str, int] = field(default_factory=dict)


BATCH_WRITE = Tuning(
    batch={
        # Statement journals (and any temporary b-tree) in memory: the journal of a multi-row
        # upsert is bounded by the pages that one statement changes.
        "temp_store": 2,
        # 16 MiB (negative: KiB): the batch's dirty pages stay in memory until the commit.
        "cache_size": -16_384,
    },
    # A checkpoint copies every page in the WAL to the database; at the default (1,000 pages)
    # nearly every batch's commit runs one, and the index pages that each batch rewrites are
    # copied again and again. At 10,000 (a WAL of up to ~40 MiB) a page rewritten by several
    # batches is copied once.
    transaction={"wal_autocheckpoint": 10_000},
)


def read_pragmas(raw: sqlite3.Connection, names: Iterable[str]) -> dict[str, int]:
    return {name: int(raw.execute(f"PRAGMA {name}").fetchone()[0]) for name in names}


def set_pragmas(raw: sqlite3.Connection, values: Mapping[str, int]) -> None:
    for name, value in values.items():
        raw.execute(f"PRAGMA {name} = {int(value)}")


@contextmanager
def pragmas_set(raw: sqlite3.Connection, wanted: Mapping[str, int]) -> Iterator[None]:
    """``PRAGMA name = value`` for each of ``wanted`` on ``raw``, restored on exit (also when
    the body raises). Run it in the connection's own thread, before the transaction's first
    write: SQLite reads ``temp_store`` for the statement journal when the write begins."""
    saved = read_pragmas(raw, wanted)
    set_pragmas(raw, wanted)
    try:
        yield
    finally:
        set_pragmas(raw, saved)
