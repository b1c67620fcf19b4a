"""Catalog reads of capsules: filtered pages, full detail, columns and violations."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from dab.errors import NotFound
from dab.storage.repositories.capsules import CapsuleFilters, CapsuleRepository
from dab.storage.repositories.columns import ColumnFilters, ColumnRepository

__all__ = [
    "CapsuleFilters",
    "CapsuleSort",
    "get_capsule",
    "list_capsule_columns",
    "list_capsule_violations",
    "list_capsules",
]


class CapsuleSort(StrEnum):
    NAME = "name"
    NAME_DESC = "-name"
    URN = "urn"
    URN_DESC = "-urn"
    LAYER = "layer"
    LAYER_DESC = "-layer"
    CAPSULE_TYPE = "capsule_type"
    CAPSULE_TYPE_DESC = "-capsule_type"
    UPDATED_AT = "updated_at"
    UPDATED_AT_DESC = "-updated_at"


def page(
    data: list[dict[str, Any]], total: int, limit: int, offset: int, *, total_exact: bool | None = None
) -> dict[str, Any]:
    """The list envelope. Lists with a text search (capsules, columns) also say whether the
    total is exact: False when the count stopped at its cap (a lower bound then)."""
    body = {"data": data, "total": total, "limit": limit, "offset": offset}
    if total_exact is not None:
        body["total_exact"] = total_exact
    return body


async def list_capsules(
    session: AsyncSession,
    filters: CapsuleFilters,
    *,
    sort: CapsuleSort = CapsuleSort.NAME,
    limit: int = 50,
    offset: int = 0,
) -> dict[str, Any]:
    rows, total, exact = await CapsuleRepository(session).list_page(
        filters,
        sort_key=sort.value.lstrip("-"),
        descending=sort.value.startswith("-"),
        limit=limit,
        offset=offset,
    )
    return page(rows, total, limit, offset, total_exact=exact)


async def require_capsule(repo: CapsuleRepository, urn: str) -> None:
    if not await repo.exists(urn):
        raise NotFound(f"capsule {urn!r} not found")


async def get_capsule(session: AsyncSession, urn: str) -> dict[str, Any]:
    """Everything known about one capsule, with its tags, tests, products, last run and the
    sources that assert it (``asserted_by``: the owner's and any other's, e.g. dbt + openlineage)."""
    repo = CapsuleRepository(session)
    row = await repo.get_detail(urn)
    if row is None:
        raise NotFound(f"capsule {urn!r} not found")
    row["last_run"] = {
        "status": row.pop("last_run_status"),
        "execution_time": row.pop("last_run_execution_time"),
        "completed_at": row.pop("last_run_completed_at"),
    }
    row["tags"], row["tests"], row["data_products"], others = await repo.related_and_sources(urn)
    row["asserted_by"] = sorted({row["source"], *others})
    return row


async def list_capsule_columns(session: AsyncSession, urn: str, *, limit: int, offset: int) -> dict[str, Any]:
    await require_capsule(CapsuleRepository(session), urn)
    rows, total, _ = await ColumnRepository(session).list_page(
        ColumnFilters(capsule=urn), limit=limit, offset=offset
    )
    return page(rows, total, limit, offset)


async def list_capsule_violations(
    session: AsyncSession, urn: str, *, limit: int, offset: int
) -> dict[str, Any]:
    repo = CapsuleRepository(session)
    await require_capsule(repo, urn)
    rows, total = await repo.violations(urn, limit=limit, offset=offset)
    return page(rows, total, limit, offset)
