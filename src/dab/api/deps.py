"""FastAPI dependencies: the unit of work per request, settings, paging."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession

from dab.errors import InvalidInput
from dab.settings import Settings

INT64_MAX = 2**63 - 1


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One transaction per request: commit on success, roll back on any error."""
    async with request.app.state.session_factory.begin() as session:
        yield session


async def get_read_session(request: Request) -> AsyncIterator[AsyncSession]:
    """For routes that only read: no transaction round trips on PostgreSQL (each statement
    sees the data committed when it starts, which a read of one capsule or one walk can bear)."""
    async with request.app.state.read_session_factory() as session:
        yield session


# Dependencies are ``async def`` although they do no I/O: FastAPI runs a plain ``def``
# dependency in its thread pool, a thread hop per request (~85 µs for the page-limit check).
async def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_clock() -> datetime:
    """Now, in UTC; tests override this dependency to judge freshness at a moment they choose."""
    return datetime.now(UTC)


SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
ReadSessionDep = Annotated[AsyncSession, Depends(get_read_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
NowDep = Annotated[datetime, Depends(get_clock)]
LimitQuery = Annotated[
    int, Query(ge=1, le=INT64_MAX, description="Page size (at most DAB_PAGE_MAX_LIMIT, default 1000)")
]
OffsetQuery = Annotated[int, Query(ge=0, le=INT64_MAX, description="Items to skip")]


async def check_page_limit(request: Request) -> None:
    """``limit`` above DAB_PAGE_MAX_LIMIT is refused (a route-wide dependency)."""
    raw = request.query_params.get("limit")
    maximum = request.app.state.settings.dab_page_max_limit
    if raw is not None and raw.strip().isdigit() and int(raw) > maximum:
        raise InvalidInput(
            f"limit {int(raw)} exceeds the maximum page size {maximum} (DAB_PAGE_MAX_LIMIT)",
            location="query.limit",
        )
