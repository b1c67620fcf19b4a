"""PostgreSQL connections are pinged only after sitting idle (storage/db.ping_when_idle), on the
real server of DAB_TEST_DATABASE_URL: a busy connection makes no extra round trip, and an idle
one whose backend died is replaced before the request sees it."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from dab.storage import db


@pytest.fixture
def pg_url(database_url: str) -> str:
    if db.is_sqlite(database_url):
        pytest.skip("PostgreSQL only (DAB_TEST_DATABASE_URL)")
    return database_url


def _pings(engine: AsyncEngine) -> list[int]:
    """Each ping the dialect makes, counted."""
    made: list[int] = []
    ping = engine.dialect.do_ping

    def counted(dbapi_connection: Any) -> bool:
        made.append(1)
        return bool(ping(dbapi_connection))

    engine.dialect.do_ping = counted  # type: ignore[method-assign]
    return made


async def _backend_pid(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(text("SELECT pg_backend_pid()")))


def test_a_connection_reused_at_once_is_not_pinged(pg_url: str) -> None:
    async def run() -> tuple[set[int], int]:
        engine = db.create_engine(pg_url)
        pings = _pings(engine)
        try:
            pids = {await _backend_pid(engine) for _ in range(20)}
            return pids, len(pings)
        finally:
            await engine.dispose()

    pids, pings = asyncio.run(run())
    assert len(pids) == 1 and pings == 0


def test_an_idle_connection_is_pinged_and_a_dead_one_replaced_unseen(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db, "IDLE_PING_SECONDS", 0.2)

    async def run() -> tuple[int, int, int, int]:
        engine = db.create_engine(pg_url)
        killer = db.create_engine(pg_url)
        pings = _pings(engine)
        try:
            first = await _backend_pid(engine)
            await asyncio.sleep(0.3)
            same = await _backend_pid(engine)  # idle: pinged, alive, kept
            async with killer.connect() as conn:
                await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": same})
            await asyncio.sleep(0.3)
            replaced = await _backend_pid(engine)  # idle and dead: the ping fails, a new one answers
            return first, same, replaced, len(pings)
        finally:
            await killer.dispose()
            await engine.dispose()

    first, same, replaced, pings = asyncio.run(run())
    assert first == same != replaced
    assert pings == 2
