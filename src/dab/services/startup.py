"""Start-up and shut-down housekeeping: jobs of a dead or stopping process are marked failed
(interrupted), so they can be retried."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dab.services.jobs import INTERRUPTED, mark_interrupted_jobs, this_worker
from dab.storage.records import IngestionJobRecord, utcnow


async def recover_interrupted_jobs(session_factory: async_sessionmaker[AsyncSession]) -> int:
    async with session_factory.begin() as session:
        return await mark_interrupted_jobs(session)


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
