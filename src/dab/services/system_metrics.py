"""What describes the system rather than one process, read from the database at scrape time.

Every worker and replica answers the same numbers, and jobs run by the CLI (cron) count too.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from dab.platform.metrics import SystemSnapshot
from dab.storage.records import CapsuleRecord, ConformanceRunRecord, IngestionJobRecord
from dab.storage.repositories.pii import pii_counts_by_type

FINISHED = ("completed", "failed")


async def system_snapshot(session: AsyncSession) -> SystemSnapshot:
    capsules = await session.scalar(select(func.count()).select_from(CapsuleRecord))
    jobs = await session.execute(
        select(IngestionJobRecord.source, IngestionJobRecord.status, func.count())
        .where(IngestionJobRecord.status.in_(FINISHED))
        .group_by(IngestionJobRecord.source, IngestionJobRecord.status)
    )
    score = await session.scalar(
        select(ConformanceRunRecord.score)
        .where(ConformanceRunRecord.scope["kind"].as_string() == "full")  # the gauge is the full score
        .order_by(ConformanceRunRecord.started_at.desc())
        .limit(1)
    )
    return SystemSnapshot(
        ingestions={(str(source), str(status)): int(count) for source, status, count in jobs},
        capsules=int(capsules or 0),
        pii_columns=dict(await pii_counts_by_type(session)),  # the PII findings, masked included
        conformance_score=float(score) if score is not None else None,
    )
