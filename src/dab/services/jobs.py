"""Ingestion job bookkeeping: create, claim, finish, list, and recover after a crash."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dab.errors import NotFound
from dab.platform.logging import get_logger
from dab.storage.records import IngestionArtifactRecord, IngestionJobRecord, utcnow

INTERRUPTED = "interrupted: the process running this job stopped before it finished"
log = get_logger("dab.ingest")


_acting_for: str | None = None


def this_worker() -> str:
    """Who runs a job (shown to people); liveness is the lease, never this process id."""
    return _acting_for or f"{socket.gethostname()}:{os.getpid()}"


def act_for(worker: str) -> None:
    """The server's ingestion child records jobs as its server's: that process owns them
    (it interrupts its own jobs on shutdown) and the child dies with it."""
    global _acting_for
    _acting_for = worker


_ACTIVE = ("pending", "running")


async def mark_interrupted_jobs(session: AsyncSession, *, lease_seconds: float) -> int:
    """Fail the pending/running jobs whose lease expired (their process, on whatever host or
    container, stopped renewing it); they stay retryable. One conditional UPDATE, so two
    processes recovering at once, or a job finishing meanwhile, cannot race it."""
    now = utcnow()
    cutoff = now - timedelta(seconds=lease_seconds)
    result = await session.execute(
        update(IngestionJobRecord)
        .where(
            IngestionJobRecord.status.in_(_ACTIVE),
            func.coalesce(IngestionJobRecord.heartbeat_at, IngestionJobRecord.created_at) < cutoff,
        )
        .values(
            status="failed",
            finished_at=now,
            error={"message": INTERRUPTED, "artifact": None, "json_path": None},
        )
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def renew_lease(session: AsyncSession, job_id: str) -> None:
    await session.execute(
        update(IngestionJobRecord)
        .where(IngestionJobRecord.id == job_id, IngestionJobRecord.status.in_(_ACTIVE))
        .values(heartbeat_at=utcnow())
        .execution_options(synchronize_session=False)
    )


@asynccontextmanager
async def job_lease(
    factory: async_sessionmaker[AsyncSession], job_id: str, lease_seconds: float
) -> AsyncIterator[None]:
    """Renew the job's lease (every quarter lease, in its own transaction) while the block runs."""

    async def renew_once() -> None:
        try:
            async with factory.begin() as session:
                await renew_lease(session, job_id)
        except Exception as exc:  # the database blipped (or SQLite is busy): the next one may succeed
            log.warning("job_lease_not_renewed", job_id=job_id, error=type(exc).__name__)

    async def renew() -> None:
        while True:
            await asyncio.sleep(lease_seconds / 4)
            # Shielded: the job ending must not cancel a renewal half-way through its transaction
            # (that could return a connection mid-transaction to the pool); it finishes on its own.
            await asyncio.shield(renew_once())

    task = asyncio.create_task(renew())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def get_job(session: AsyncSession, job_id: str) -> IngestionJobRecord:
    job = await session.get(IngestionJobRecord, job_id)
    if job is None:
        raise NotFound(f"ingestion job {job_id!r} not found")
    return job


def job_summary(job: IngestionJobRecord) -> dict[str, Any]:
    duration = None
    if job.started_at and job.finished_at:
        duration = round((job.finished_at - job.started_at).total_seconds(), 3)
    return {
        "job_id": job.id,
        "source": job.source,
        "project_name": job.project,
        "status": job.status,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "duration_seconds": duration,
        "stats": job.stats,
        "warnings": job.warnings,
        "error": job.error,
        "retry_of": job.retry_of,
    }


async def list_jobs(
    session: AsyncSession, *, limit: int, offset: int, status: str | None = None
) -> tuple[list[IngestionJobRecord], int]:
    """Newest first; ``total`` honours the status filter."""
    query = select(IngestionJobRecord)
    if status:
        query = query.where(IngestionJobRecord.status == status)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(
        query.order_by(IngestionJobRecord.created_at.desc(), IngestionJobRecord.id)
        .limit(limit)
        .offset(offset)
    )
    return list(rows), total or 0


async def prune_artifacts(session: AsyncSession, project: str, *, keep: int) -> int:
    """Delete the stored artifacts of the project's finished jobs but the newest ``keep``.

    Their jobs stay listed; only a retry of them is no longer possible.
    """
    newest = (
        select(IngestionJobRecord.id)
        .where(IngestionJobRecord.project == project, IngestionJobRecord.status.in_(("completed", "failed")))
        .order_by(IngestionJobRecord.created_at.desc(), IngestionJobRecord.id.desc())
        .limit(keep)
    )
    older = select(IngestionJobRecord.id).where(
        IngestionJobRecord.project == project,
        IngestionJobRecord.status.in_(("completed", "failed")),
        IngestionJobRecord.id.not_in(newest.scalar_subquery()),
    )
    result = await session.execute(
        delete(IngestionArtifactRecord)
        .where(IngestionArtifactRecord.job_id.in_(older))
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
