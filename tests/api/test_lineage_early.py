"""Deriving column lineage from the job's start (``lineage_early``: helpers read the stored
artifacts themselves while this process parses and writes) stores exactly what the serial path
stores, over a first ingestion and re-ingestions that change a model's lineage and PII."""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import pytest
from tests.api.test_lineage_while_writing import SERIAL, _ingest_all

from dab.platform.logging import configure_logging
from dab.services import lineage_early
from dab.services.column_lineage import LineageOptions

EARLY = LineageOptions(workers=2, parallel_min=1, early_min_bytes=0)


def test_rows_equal_the_serial_path(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    configure_logging(stream=sys.stdout)
    matched: list[tuple[int, int]] = []
    run = lineage_early._Join.run

    async def spy(self: Any, on_chunk: Any) -> Any:
        # A helper spawns in ~1 s, later than this small project's join: wait until the helpers
        # hold their tasks, so that they derive (the big-project case) instead of this process.
        while self.early.reading:
            await asyncio.sleep(0.05)
        out = await run(self, on_chunk)
        matched.append((len(self.plan.tasks), self.matched))
        return out

    monkeypatch.setattr(lineage_early._Join, "run", spy)
    serial = asyncio.run(_ingest_all(database_url, SERIAL))
    assert matched == []
    early = asyncio.run(_ingest_all(database_url, EARLY))
    assert [m[0] for m in matched] == [6, 1, 1]  # every model, then the changed gold model twice
    assert matched == [(6, 6), (1, 1), (1, 1)]  # every task matched: the helpers derived them
    assert lineage_early._running == {}
    for step, (want, got) in enumerate(zip(serial, early, strict=True)):
        for key in want:
            assert got[key] == want[key], f"version {step}: {key} differs"
