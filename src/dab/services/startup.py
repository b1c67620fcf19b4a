"""Start-up housekeeping: jobs left running by a dead process are marked failed."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dab.services.jobs import mark_interrupted_jobs


async def recover_interrupted_jobs(session_factory: async_sessionmaker[AsyncSession]) -> int:
    async with session_factory.begin() as session:
        return await mark_interrupted_jobs(session)
