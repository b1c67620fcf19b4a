"""Which data products capsules belong to (``capsule_data_product``), for impact reports."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dab.storage.records import CapsuleDataProductRecord, DataProductRecord

_CHUNK = 500  # bound the IN list (SQLite's variable limit, PostgreSQL plan size)


class ProductMembershipRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def products_of(self, urns: Iterable[str]) -> dict[str, tuple[str, ...]]:
        """Product name -> the given capsule URNs that are members of it, both sorted."""
        wanted = sorted(set(urns))
        found: dict[str, set[str]] = defaultdict(set)
        for start in range(0, len(wanted), _CHUNK):
            rows = await self._session.execute(
                select(DataProductRecord.name, CapsuleDataProductRecord.capsule_urn)
                .join(DataProductRecord, DataProductRecord.id == CapsuleDataProductRecord.product_id)
                .where(CapsuleDataProductRecord.capsule_urn.in_(wanted[start : start + _CHUNK]))
            )
            for name, urn in rows:
                found[name].add(urn)
        return {name: tuple(sorted(members)) for name, members in sorted(found.items())}
