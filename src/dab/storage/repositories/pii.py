"""PII: manual classifications (keyed by column URN), findings on columns, inventory queries."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from dab.storage.graph_writer import update_by_urn
from dab.storage.records import CapsuleRecord, ColumnRecord, PiiClassificationRecord, utcnow
from dab.storage.repositories._text import chunked

K = ColumnRecord
C = CapsuleRecord
M = PiiClassificationRecord

INVENTORY_COLUMNS = (
    K.urn,
    K.name,
    K.capsule_urn,
    C.name.label("capsule_name"),
    C.capsule_type,
    C.layer,
    C.domain_name.label("domain"),
    K.data_type,
    K.pii_type,
    K.is_masked.label("masked"),
    K.pii_origin.label("method"),
    K.pii_confidence.label("confidence"),
    K.pii_evidence.label("evidence"),
    K.masking_function,
)
FINDING_FIELDS = ("pii_type", "pii_origin", "is_masked", "pii_confidence", "pii_evidence", "masking_function")


@dataclass(frozen=True, slots=True)
class InventoryFilters:
    pii_type: str | None = None
    layer: str | None = None
    domain: str | None = None
    masked: bool | None = None


def _conditions(f: InventoryFilters) -> list[ColumnElement[bool]]:
    out: list[ColumnElement[bool]] = [K.pii_type.is_not(None)]
    if f.pii_type is not None:
        out.append(K.pii_type == f.pii_type)
    if f.layer is not None:
        out.append(C.layer == f.layer)
    if f.domain is not None:
        out.append(C.domain_name == f.domain)
    if f.masked is not None:
        out.append(K.is_masked.is_(f.masked))
    return out


async def pii_counts_by_type(session: AsyncSession) -> list[tuple[str, int]]:
    """Current PII columns per type (masked ones included): the ``dab_pii_column_count`` gauge."""
    rows = await session.execute(
        select(K.pii_type, func.count())
        .where(K.pii_type.is_not(None))
        .group_by(K.pii_type)
        .order_by(K.pii_type)
    )
    return [(str(pii_type), int(count)) for pii_type, count in rows]


class PiiRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def inventory_page(
        self, filters: InventoryFilters, *, limit: int, offset: int
    ) -> tuple[list[dict[str, Any]], int]:
        conditions = _conditions(filters)
        base = select(*INVENTORY_COLUMNS).join(C, C.urn == K.capsule_urn).where(*conditions)
        rows = await self._session.execute(
            base.order_by(K.capsule_urn, K.ordinal, K.id).limit(limit).offset(offset)
        )
        total = await self._session.scalar(
            select(func.count(K.id)).join(C, C.urn == K.capsule_urn).where(*conditions)
        )
        return [dict(r) for r in rows.mappings()], int(total or 0)

    async def inventory_all(self, filters: InventoryFilters) -> list[dict[str, Any]]:
        stmt = select(*INVENTORY_COLUMNS).join(C, C.urn == K.capsule_urn).where(*_conditions(filters))
        rows = await self._session.execute(stmt.order_by(K.capsule_urn, K.ordinal, K.id))
        return [dict(r) for r in rows.mappings()]

    async def counts(self, filters: InventoryFilters, group_by: str) -> list[dict[str, Any]]:
        key: Any = {"pii_type": K.pii_type, "layer": C.layer, "domain": C.domain_name}[group_by]
        stmt = (
            select(key.label("key"), func.count(K.id).label("count"))
            .join(C, C.urn == K.capsule_urn)
            .where(*_conditions(filters))
            .group_by(key)
            .order_by(func.count(K.id).desc(), key)
        )
        return [{group_by: k, "count": int(n)} for k, n in await self._session.execute(stmt)]

    async def details(self, urns: Collection[str]) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for batch in chunked(sorted(urns)):
            stmt = select(*INVENTORY_COLUMNS).join(C, C.urn == K.capsule_urn).where(K.urn.in_(batch))
            out.update({r["urn"]: dict(r) for r in (await self._session.execute(stmt)).mappings()})
        return out

    async def classifications(self, urns: Collection[str] | None = None) -> list[dict[str, Any]]:
        stmt = select(M.column_urn, M.is_pii, M.pii_type, M.is_masked, M.reason, M.updated_at)
        if urns is None:
            return [dict(r) for r in (await self._session.execute(stmt)).mappings()]
        out: list[dict[str, Any]] = []
        for batch in chunked(sorted(urns)):
            rows = await self._session.execute(stmt.where(M.column_urn.in_(batch)))
            out.extend(dict(r) for r in rows.mappings())
        return out

    async def put_classification(
        self, urn: str, *, is_pii: bool, pii_type: str | None, masked: bool, reason: str | None
    ) -> None:
        values = {
            "column_urn": urn,
            "is_pii": is_pii,
            "pii_type": pii_type,
            "is_masked": masked,
            "reason": reason,
            "updated_at": utcnow(),
        }
        dialect = self._session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        stmt = insert(M).values(values)
        stmt = stmt.on_conflict_do_update(
            index_elements=["column_urn"], set_={k: v for k, v in values.items() if k != "column_urn"}
        )
        await self._session.execute(stmt)

    async def project_of(self, urn: str) -> str | None:
        return await self._session.scalar(select(K.project).where(K.urn == urn))

    async def write_findings(self, rows: Sequence[dict[str, Any]]) -> None:
        """Rows carry ``urn`` and every field of FINDING_FIELDS."""
        await update_by_urn(self._session, K, rows, FINDING_FIELDS)
