"""Ingestion job bookkeeping: create, claim, finish, list, and recover after a crash."""

from __future__ import annotations

import os
import socket
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from dab.errors import NotFound
from dab.storage.records import IngestionJobRecord, utcnow

INTERRUPTED = "interrupted: the process running this job stopped before it finished"


def this_worker() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _is_orphan(job: IngestionJobRecord, host: str) -> bool:
    if not job.worker:
        return True
    worker_host, _, pid = job.worker.rpartition(":")
    # Jobs of another host are that host's business; here we can only see our own processes.
    return worker_host == host and pid.isdigit() and not _process_alive(int(pid))


async def mark_interrupted_jobs(session: AsyncSession) -> int:
    """Fail the jobs whose process died (killed server); they stay retryable."""
    host = socket.gethostname()
    jobs = await session.scalars(
        select(IngestionJobRecord).where(IngestionJobRecord.status.in_(("pending", "running")))
    )
    count = 0
    for job in jobs:
        if _is_orphan(job, host):
            job.status = "failed"
            job.finished_at = utcnow()
            job.error = {"message": INTERRUPTED, "artifact": None, "json_path": None}
            count += 1
    return count


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
