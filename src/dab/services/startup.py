"""Start-up and shut-down housekeeping: jobs of a dead or stopping process are marked failed
(interrupted), so they can be retried."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dab.services.jobs import INTERRUPTED, mark_interrupted_jobs, this_worker
from dab.storage.records import IngestionJobRecord, utcnow


async def recover_interrupted_jobs(session_factory: async_sessionmaker[AsyncSession]) -> int:
    async with session_factory.begin() as session:
        return await mark_interrupted_jobs(session)


async def interrupt_own_jobs(session_factory: async_sessionmaker[AsyncSession]) -> int:
    """On shutdown (SIGTERM, after in-flight requests finished): this process's unfinished jobs."""
    async with session_factory.begin() as session:
        jobs = await session.scalars(
            select(IngestionJobRecord).where(
                IngestionJobRecord.status.in_(("pending", "running")),
                IngestionJobRecord.worker == this_worker(),
            )
        )
        count = 0
        for job in jobs:
            job.status, job.finished_at = "failed", utcnow()
            job.error = {"message": INTERRUPTED, "artifact": None, "json_path": None}
            count += 1
        return count
