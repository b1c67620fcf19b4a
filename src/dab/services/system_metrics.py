"""Gauges that describe the whole system, read from the database."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from dab.platform.metrics import CAPSULE_COUNT, CONFORMANCE_SCORE, PII_COLUMN_COUNT
from dab.storage.records import CapsuleRecord, ConformanceRunRecord
from dab.storage.repositories.pii import pii_counts_by_type


async def refresh_system_gauges(session: AsyncSession) -> None:
    capsules = await session.scalar(select(func.count()).select_from(CapsuleRecord))
    CAPSULE_COUNT.set(capsules or 0)
    rows = await pii_counts_by_type(session)  # the PII findings (dab.pii), masked ones included
    PII_COLUMN_COUNT.clear()
    for pii_type, count in rows:
        PII_COLUMN_COUNT.labels(pii_type).set(count)
    score = await session.scalar(
        select(ConformanceRunRecord.score)
        .where(ConformanceRunRecord.scope["kind"].as_string() == "full")  # the gauge is the full score
        .order_by(ConformanceRunRecord.started_at.desc())
        .limit(1)
    )
    if score is not None:
        CONFORMANCE_SCORE.set(score)
