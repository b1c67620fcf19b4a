"""Housekeeping: jobs whose lease expired (their process died), and on shutdown this process's
own unfinished jobs, are marked failed (interrupted), so they can be retried."""

from __future__ import annotations

import asyncio
import contextlib

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dab.platform.logging import get_logger
from dab.services.jobs import INTERRUPTED, mark_interrupted_jobs, this_worker
from dab.storage.records import IngestionJobRecord, utcnow

log = get_logger("dab.jobs")


async def recover_interrupted_jobs(
    session_factory: async_sessionmaker[AsyncSession], *, lease_seconds: float
) -> int:
    async with session_factory.begin() as session:
        return await mark_interrupted_jobs(session, lease_seconds=lease_seconds)


async def keep_recovering(
    session_factory: async_sessionmaker[AsyncSession], *, lease_seconds: float, stop: asyncio.Event
) -> None:
    """Recover abandoned jobs every half lease until ``stop`` is set (any replica may); the
    start-up pass runs before the first request, so this one starts by waiting.

    Stopped by the event rather than cancelled, so shutdown never interrupts a recovery pass
    half-way through its transaction (a connection handed back mid-transaction can hold
    SQLite's write lock while the shutdown's own update waits for it)."""
    while True:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), lease_seconds / 2)
        if stop.is_set():
            return
        try:
            await recover_interrupted_jobs(session_factory, lease_seconds=lease_seconds)
        except Exception as exc:  # database down: try again next round
            log.warning("job_recovery_failed", error=type(exc).__name__)


async def interrupt_own_jobs(session_factory: async_sessionmaker[AsyncSession]) -> int:
    """On shutdown (SIGTERM, after in-flight requests finished): this process's unfinished jobs.

    One UPDATE, so it takes the write lock at once instead of upgrading a read snapshot that a
    cancelled job's own clean-up may just have made stale.
    """
    async with session_factory.begin() as session:
        result = await session.execute(
            update(IngestionJobRecord)
            .where(
                IngestionJobRecord.status.in_(("pending", "running")),
                IngestionJobRecord.worker == this_worker(),
            )
            .values(
                status="failed",
                finished_at=utcnow(),
                error={"message": INTERRUPTED, "artifact": None, "json_path": None},
            )
        )
        return int(getattr(result, "rowcount", 0) or 0)
