"""FastAPI dependencies: the unit of work per request, settings, paging."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession

from dab.settings import Settings


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One transaction per request: commit on success, roll back on any error."""
    async with request.app.state.session_factory.begin() as session:
        yield session


def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_clock() -> datetime:
    """Now, in UTC; tests override this dependency to judge freshness at a moment they choose."""
    return datetime.now(UTC)


SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
NowDep = Annotated[datetime, Depends(get_clock)]
LimitQuery = Annotated[int, Query(ge=1, le=1000, description="Page size (at most 1000)")]
OffsetQuery = Annotated[int, Query(ge=0, description="Items to skip")]
