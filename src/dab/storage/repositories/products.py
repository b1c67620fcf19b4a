"""Data products, their PART_OF memberships, and the run/test evidence their SLOs are judged on."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from dab.domain.slo import DataArrival, RunOutcome, TestOutcome
from dab.storage.records import (
    CapsuleDataProductRecord,
    CapsuleRecord,
    CapsuleRunRecord,
    DataProductRecord,
    DataTestRecord,
    DomainRecord,
    utcnow,
)
from dab.storage.repositories._text import chunked
from dab.storage.repositories._upsert import add_unique, dialect_insert

P = DataProductRecord
M = CapsuleDataProductRecord
C = CapsuleRecord
R = CapsuleRunRecord
T = DataTestRecord

PRODUCT_COLUMNS = (
    P.id,
    P.urn,
    P.name,
    P.description,
    P.domain_id,
    DomainRecord.name.label("domain"),
    P.owner,
    P.status,
    P.version,
    P.slo_freshness_hours,
    P.slo_availability_percent,
    P.slo_quality_threshold,
    P.created_at,
    P.updated_at,
)


def _products() -> Any:
    members = select(func.count(M.id)).where(M.product_id == P.id).scalar_subquery()
    return (
        select(*PRODUCT_COLUMNS, members.label("capsule_count"))
        .select_from(P)
        .outerjoin(DomainRecord, DomainRecord.id == P.domain_id)
    )


class ProductRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def list_page(
        self, *, status: str | None, domain_id: str | None, limit: int, offset: int
    ) -> tuple[list[dict[str, Any]], int]:
        conditions = [
            c
            for c in (P.status == status if status else None, P.domain_id == domain_id if domain_id else None)
            if c is not None
        ]
        stmt = _products().where(*conditions).order_by(P.name, P.id).limit(limit).offset(offset)
        rows = (await self._session.execute(stmt)).mappings()
        total = await self._session.scalar(select(func.count(P.id)).where(*conditions))
        return [dict(r) for r in rows], int(total or 0)

    async def get(self, ref: str) -> dict[str, Any] | None:
        """A product by id or URN."""
        stmt = _products().where(or_(P.id == ref, P.urn == ref))
        row = (await self._session.execute(stmt)).mappings().first()
        return dict(row) if row is not None else None

    async def id_of_name(self, name: str) -> str | None:
        return await self._session.scalar(select(P.id).where(P.name == name))

    async def ref(self, ref: str) -> dict[str, Any] | None:
        """The stored row of a product by id or URN, without the joins of ``get``."""
        row = (await self._session.execute(select(P).where(or_(P.id == ref, P.urn == ref)))).scalar()
        return None if row is None else {c.key: getattr(row, c.key) for c in P.__table__.columns}

    async def create(self, values: dict[str, Any]) -> None:
        await add_unique(self._session, P(**values), f"data product {values['name']!r}")

    async def update(self, product_id: str, values: dict[str, Any]) -> None:
        await self._session.execute(update(P).where(P.id == product_id).values(**values, updated_at=utcnow()))

    async def delete(self, product_id: str) -> None:
        # Memberships go by the product's cascading key; delete them explicitly for engines without it.
        await self._session.execute(delete(M).where(M.product_id == product_id))
        await self._session.execute(delete(P).where(P.id == product_id))

    async def members(self, product_id: str, *, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
        """Memberships in URN order; ``present`` is false while the capsule is not ingested."""
        stmt = (
            select(
                M.capsule_urn.label("urn"),
                C.id.label("capsule_id"),
                C.name,
                C.capsule_type,
                C.layer,
                M.role,
                M.added_by,
                M.added_at,
                (C.id.is_not(None)).label("present"),
            )
            .outerjoin(C, C.urn == M.capsule_urn)
            .where(M.product_id == product_id)
            .order_by(M.capsule_urn, M.id)
        )
        rows = (await self._session.execute(stmt.limit(limit).offset(offset))).mappings()
        total = await self._session.scalar(select(func.count(M.id)).where(M.product_id == product_id))
        return [dict(r) for r in rows], int(total or 0)

    async def membership(self, product_id: str, urn: str) -> dict[str, Any] | None:
        columns = (M.product_id, M.capsule_urn, M.role, M.added_by, M.added_at)
        stmt = select(*columns).where(M.product_id == product_id, M.capsule_urn == urn)
        row = (await self._session.execute(stmt)).mappings().first()
        return dict(row) if row is not None else None

    async def add_member(self, product_id: str, urn: str, *, role: str, added_by: str | None) -> bool:
        """PART_OF edge; an existing one gets the new role. True when it was created."""
        created = await self.membership(product_id, urn) is None
        stmt = dialect_insert(self._session, M).values(
            product_id=product_id, capsule_urn=urn, role=role, added_by=added_by, added_at=utcnow()
        )
        changes = {"role": role} | ({"added_by": added_by} if added_by else {})
        await self._session.execute(
            stmt.on_conflict_do_update(index_elements=["product_id", "capsule_urn"], set_=changes)
        )
        return created

    async def remove_member(self, product_id: str, urn: str) -> bool:
        result: Any = await self._session.execute(
            delete(M).where(M.product_id == product_id, M.capsule_urn == urn)
        )
        return bool(result.rowcount)

    async def present_members(self, product_id: str) -> list[tuple[str, str]]:
        """(URN, role) of the members that are ingested right now."""
        stmt = (
            select(M.capsule_urn, M.role)
            .join(C, C.urn == M.capsule_urn)
            .where(M.product_id == product_id)
            .order_by(M.capsule_urn)
        )
        return [(urn, role) for urn, role in (await self._session.execute(stmt)).all()]

    async def arrivals(self, urns: Collection[str]) -> list[DataArrival]:
        """Last successful run (run_results) per capsule, or sources.json's max_loaded_at for sources."""
        last_success: dict[str, datetime] = {}
        freshness: dict[str, Any] = {}
        for batch in chunked(sorted(urns)):
            runs = (
                select(CapsuleRunRecord.capsule_urn, func.max(CapsuleRunRecord.completed_at))
                .where(CapsuleRunRecord.capsule_urn.in_(batch), CapsuleRunRecord.status == "success")
                .group_by(CapsuleRunRecord.capsule_urn)
            )
            last_success.update({u: at for u, at in (await self._session.execute(runs)).all() if at})
            current = select(C.urn, C.capsule_type, C.freshness, C.last_run_status, C.last_run_completed_at)
            for urn, kind, fresh, status, completed in await self._session.execute(
                current.where(C.urn.in_(batch))
            ):
                freshness[urn] = (kind, fresh, status, completed)
        return [_arrival(urn, last_success.get(urn), *freshness[urn]) for urn in sorted(freshness)]

    async def runs(self, urns: Collection[str], *, since: datetime) -> list[RunOutcome]:
        out: list[RunOutcome] = []
        for batch in chunked(sorted(urns)):
            stmt = select(R.capsule_urn, R.status, R.completed_at).where(
                R.capsule_urn.in_(batch), R.completed_at >= since
            )
            out.extend(RunOutcome(u, s, at) for u, s, at in (await self._session.execute(stmt)).all())
        return out

    async def tests(self, urns: Collection[str]) -> list[TestOutcome]:
        out: list[TestOutcome] = []
        for batch in chunked(sorted(urns)):
            stmt = select(T.urn, T.capsule_urn, T.status).where(T.capsule_urn.in_(batch)).order_by(T.urn)
            out.extend(TestOutcome(u, c, s) for u, c, s in (await self._session.execute(stmt)).all())
        return out


def _arrival(
    urn: str,
    last_success: datetime | None,
    kind: str,
    freshness: dict[str, Any] | None,
    status: str | None,
    completed: datetime | None,
) -> DataArrival:
    if kind == "source":
        loaded = (freshness or {}).get("max_loaded_at")
        return DataArrival(urn, datetime.fromisoformat(loaded) if loaded else None, "sources.json")
    if status == "success" and completed is not None and (last_success is None or completed > last_success):
        last_success = completed  # the latest run_results without an invocation id in the history
    return DataArrival(urn, last_success, "run_results")
