"""Conformance runs and violations: set-based upserts by fingerprint, filtered pages, status."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, case, func, insert, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from dab.storage.records import CapsuleRecord, ConformanceRunRecord, ViolationRecord, new_uuid

V = ViolationRecord
R = ConformanceRunRecord
BATCH = 2_000
CONTENT = (
    V.rule_id,
    V.rule_set,
    V.severity,
    V.category,
    V.subject_urn,
    V.capsule_urn,
    V.layer,
    V.message,
    V.remediation,
)
"""What a violation says (``conformance_persist.violation_fields``, in that order)."""
SEVERITY_RANK = {"critical": 0, "error": 1, "warning": 2, "info": 3}
UNRESOLVED = ("open", "acknowledged")
RUN_LOCK_KEY = 0x64616263  # "dabc": conformance runs
VIOLATION_COLUMNS = (
    V.id, V.fingerprint, V.rule_id, V.rule_set, V.severity, V.category, V.subject_urn,
    V.capsule_urn, V.layer, V.message, V.remediation, V.status, V.status_changed_by,
    V.status_reason, V.status_changed_at, V.first_seen_at, V.last_seen_at, V.resolved_at,
    V.last_run_id,
)  # fmt: skip
RUN_COLUMNS = (
    R.id, R.scope, R.started_at, R.finished_at, R.score, R.weighted_score, R.applicable, R.passed,
    R.failed, R.breakdown,
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class ViolationFilter:
    """Equality filters of the violation list; None means any."""

    severity: str | None = None
    rule_id: str | None = None
    category: str | None = None
    layer: str | None = None
    status: str | None = None
    capsule_urn: str | None = None
    statuses: tuple[str, ...] | None = None

    def clauses(self) -> list[ColumnElement[bool]]:
        pairs = (
            (V.severity, self.severity),
            (V.rule_id, self.rule_id),
            (V.category, self.category),
            (V.layer, self.layer),
            (V.status, self.status),
            (V.capsule_urn, self.capsule_urn),
        )
        out = [column == value for column, value in pairs if value is not None]
        if self.statuses is not None:
            out.append(V.status.in_(self.statuses))
        return out


@dataclass(frozen=True, slots=True)
class RunScope:
    """Which stored violations a run speaks for (auto-resolve touches nothing outside)."""

    layers: frozenset[str] | None = None
    domains: frozenset[str] | None = None
    capsule_urns: frozenset[str] | None = None
    rule_sets: frozenset[str] | None = None

    def clauses(self) -> list[ColumnElement[bool]]:
        out: list[ColumnElement[bool]] = []
        if self.layers is not None:
            out.append(V.layer.in_(sorted(self.layers)))
        if self.capsule_urns is not None:
            out.append(V.capsule_urn.in_(sorted(self.capsule_urns)))
        if self.rule_sets is not None:
            out.append(V.rule_set.in_(sorted(self.rule_sets)))
        if self.domains is not None:
            in_domain = select(CapsuleRecord.urn).where(CapsuleRecord.domain_name.in_(sorted(self.domains)))
            out.append(V.capsule_urn.in_(in_domain))
        return out


def _order() -> tuple[Any, ...]:
    rank = case(SEVERITY_RANK, value=V.severity, else_=9)
    return (rank, V.rule_id, V.subject_urn, V.id)


class ViolationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def lock_runs(self) -> None:
        """PostgreSQL: serialise persisting runs (advisory transaction lock), so two concurrent
        evaluations never insert the same fingerprint. SQLite has one writer at a time anyway."""
        if self._session.get_bind().dialect.name == "postgresql":
            await self._session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": RUN_LOCK_KEY})

    async def add_run(self, values: dict[str, Any]) -> str:
        run_id = new_uuid()
        await self._session.execute(insert(R).values(id=run_id, **values))
        return run_id

    async def latest_run(self, *, full_only: bool = False) -> dict[str, Any] | None:
        stmt = select(*RUN_COLUMNS).order_by(R.started_at.desc(), R.id.desc()).limit(1)
        if full_only:
            stmt = stmt.where(R.scope["kind"].as_string() == "full")
        row = (await self._session.execute(stmt)).first()
        return None if row is None else dict(row._mapping)

    async def statuses(self) -> dict[str, tuple[str, str, tuple[Any, ...]]]:
        """fingerprint -> (id, status, the ``CONTENT`` columns) of every stored violation (one select)."""
        rows = await self._session.execute(select(V.fingerprint, V.id, V.status, *CONTENT))
        return {r[0]: (r[1], r[2], tuple(r[3:])) for r in rows}

    async def touch(self, ids: Sequence[str], run_id: str, now: datetime) -> None:
        """Seen again, unchanged: only the run and the time move, set-based (a bulk UPDATE by
        primary key of every column cost seconds at 45k violations)."""
        for start in range(0, len(ids), BATCH):
            stmt = (
                update(V)
                .where(V.id.in_(ids[start : start + BATCH]))
                .values(last_seen_at=now, last_run_id=run_id)
                .execution_options(synchronize_session=False)
            )
            await self._session.execute(stmt)

    async def touch_unresolved(self, run_id: str, now: datetime) -> None:
        """Every open or acknowledged violation seen by this run, in one statement (a full run
        after the ones it no longer produces were resolved)."""
        stmt = (
            update(V)
            .where(V.status.in_(UNRESOLVED))
            .values(last_seen_at=now, last_run_id=run_id)
            .execution_options(synchronize_session=False)
        )
        await self._session.execute(stmt)

    async def resolve_ids(self, ids: Sequence[str], now: datetime) -> int:
        """Resolve these (open or acknowledged) violations; how many were."""
        resolved = 0
        for start in range(0, len(ids), BATCH):
            stmt = (
                update(V)
                .where(V.id.in_(ids[start : start + BATCH]), V.status.in_(UNRESOLVED))
                .values(status="resolved", resolved_at=now)
                .execution_options(synchronize_session=False)
            )
            result = await self._session.execute(stmt)
            resolved += int(getattr(result, "rowcount", 0) or 0)
        return resolved

    async def insert_many(self, rows: Sequence[dict[str, Any]]) -> None:
        for start in range(0, len(rows), BATCH):
            await self._session.execute(insert(V), list(rows[start : start + BATCH]))

    async def update_many(self, rows: Sequence[dict[str, Any]]) -> None:
        """Bulk UPDATE by primary key: each dict has ``id`` and the new values."""
        for start in range(0, len(rows), BATCH):
            await self._session.execute(update(V), list(rows[start : start + BATCH]))

    async def resolve_missing(self, run_id: str, now: datetime, scope: RunScope) -> int:
        """Open/acknowledged violations in scope that this run did not produce become resolved."""
        stmt = (
            update(V)
            .where(V.status.in_(UNRESOLVED), or_(V.last_run_id.is_(None), V.last_run_id != run_id))
            .where(*scope.clauses())
            .values(status="resolved", resolved_at=now)
            .execution_options(synchronize_session=False)
        )
        result = await self._session.execute(stmt)
        return int(getattr(result, "rowcount", 0) or 0)

    async def list_page(
        self, filters: ViolationFilter, *, limit: int | None, offset: int = 0
    ) -> tuple[list[dict[str, Any]], int]:
        clauses = filters.clauses()
        total = await self._session.scalar(select(func.count()).select_from(V).where(*clauses))
        stmt = select(*VIOLATION_COLUMNS).where(*clauses).order_by(*_order()).offset(offset)
        if limit is not None:
            stmt = stmt.limit(limit)
        rows = await self._session.execute(stmt)
        return [dict(r._mapping) for r in rows], int(total or 0)

    async def get(self, violation_id: str) -> dict[str, Any] | None:
        row = (await self._session.execute(select(*VIOLATION_COLUMNS).where(V.id == violation_id))).first()
        return None if row is None else dict(row._mapping)

    async def set_status(self, violation_id: str, values: dict[str, Any]) -> None:
        stmt = update(V).where(V.id == violation_id).values(**values)
        await self._session.execute(stmt.execution_options(synchronize_session=False))
