"""Write endpoints: one transaction, and the read cache bumped only once it has committed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")


async def committed(request: Request, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    async with request.app.state.session_factory.begin() as session:
        out = await work(session)
    await request.app.state.cache.bump()
    return out
