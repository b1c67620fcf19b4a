"""``sqlite_checkpoint.Checkpointer``: a passive WAL checkpoint after a write, off the request
path, on the real test database (a no-op on PostgreSQL)."""

from __future__ import annotations

import asyncio
import struct
import uuid
from pathlib import Path

import pytest
from sqlalchemy import make_url
from tests.api.openlineage_helpers import loader_events

from dab.services.ingest_openlineage import ingest_lineage_events
from dab.storage.db import create_engine, make_session_factory
from dab.storage.sqlite_checkpoint import Checkpointer


def _wal_index(url: str) -> tuple[int, int]:
    """(frames in the WAL, frames already copied to the database), read from the WAL index
    (the ``-shm`` file: ``mxFrame`` at byte 16, ``nBackfill`` at byte 96, native byte order)
    without taking part in any checkpoint."""
    shm = Path(f"{make_url(url).database}-shm").read_bytes()
    return struct.unpack_from("=I", shm, 16)[0], struct.unpack_from("=I", shm, 96)[0]


def test_a_write_is_checkpointed_in_the_background_once_per_interval(clean_database: str) -> None:
    async def go() -> tuple[int, int, int]:
        engine = create_engine(clean_database)
        checkpointer = Checkpointer(engine, interval=3600)
        try:
            async with make_session_factory(engine).begin() as session:
                await ingest_lineage_events(session, loader_events(str(uuid.uuid4())))
            checkpointer.after_write()
            checkpointer.after_write()  # one is running: no second one
            await checkpointer.close()
            first = checkpointer.runs
            async with make_session_factory(engine).begin() as session:
                await ingest_lineage_events(session, loader_events(str(uuid.uuid4())))
            checkpointer.after_write()  # within the interval: none
            await checkpointer.close()
            return first, checkpointer.runs, int(engine.dialect.name == "sqlite")
        finally:
            await engine.dispose()

    first, second, on_sqlite = asyncio.run(go())
    assert (first, second) == (on_sqlite, on_sqlite)


def test_the_checkpoint_copies_what_the_wal_holds(clean_database: str) -> None:
    if not clean_database.startswith("sqlite"):
        pytest.skip("PostgreSQL has no WAL of ours to copy (the no-op is the test above)")

    async def go() -> tuple[tuple[int, int], tuple[int, int]]:
        engine = create_engine(clean_database)
        checkpointer = Checkpointer(engine, interval=0)
        try:
            async with make_session_factory(engine).begin() as session:
                await ingest_lineage_events(session, loader_events(str(uuid.uuid4())))
            before = _wal_index(clean_database)
            checkpointer.after_write()
            await checkpointer.close()
            # Read while the engine is open: closing the last connection checkpoints anyway.
            return before, _wal_index(clean_database)
        finally:
            await engine.dispose()

    (frames, copied), (frames_after, copied_after) = asyncio.run(go())
    assert copied < frames  # the batch's commit left its pages in the WAL
    assert copied_after == frames_after >= frames
