"""Housekeeping: jobs whose lease expired (their process died) are marked failed."""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dab.platform.logging import get_logger
from dab.services.jobs import mark_interrupted_jobs

log = get_logger("dab.jobs")


async def recover_interrupted_jobs(
    session_factory: async_sessionmaker[AsyncSession], *, lease_seconds: float
) -> int:
    async with session_factory.begin() as session:
        return await mark_interrupted_jobs(session, lease_seconds=lease_seconds)


async def keep_recovering(session_factory: async_sessionmaker[AsyncSession], *, lease_seconds: float) -> None:
    """Recover abandoned jobs every half lease for as long as the server runs (any replica may);
    the start-up pass runs before the first request, so this one starts by waiting."""
    while True:
        await asyncio.sleep(lease_seconds / 2)
        try:
            await recover_interrupted_jobs(session_factory, lease_seconds=lease_seconds)
        except Exception as exc:  # database down: try again next round
            log.warning("job_recovery_failed", error=type(exc).__name__)
