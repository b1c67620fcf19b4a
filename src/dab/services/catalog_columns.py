"""Catalog reads of columns: filtered pages and full detail."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from dab.errors import NotFound
from dab.services.catalog_capsules import page
from dab.storage.repositories.columns import ColumnFilters, ColumnRepository

__all__ = ["ColumnFilters", "get_column", "list_columns"]


async def list_columns(
    session: AsyncSession, filters: ColumnFilters, *, limit: int = 50, offset: int = 0
) -> dict[str, Any]:
    rows, total, exact = await ColumnRepository(session).list_page(filters, limit=limit, offset=offset)
    return page(rows, total, limit, offset, total_exact=exact)


async def get_column(session: AsyncSession, urn: str) -> dict[str, Any]:
    repo = ColumnRepository(session)
    row = await repo.get_detail(urn)
    if row is None:
        raise NotFound(f"column {urn!r} not found")
    row["tags"] = await repo.tags(urn)
    row["tests"] = await repo.tests(urn)
    return row
