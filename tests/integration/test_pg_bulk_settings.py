"""A big write's ``SET LOCAL`` settings hold for its transaction only (PostgreSQL, on the real
server of DAB_TEST_DATABASE_URL); small writes and SQLite change nothing."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import text

from dab.storage import db, pg_bulk_settings
from dab.storage.pg_bulk_settings import BIG_WRITE_ROWS, SETTINGS, apply_for_big_write


async def _shown(session: Any) -> dict[str, str]:
    return {name: (await session.execute(text(f"SHOW {name}"))).scalar_one() for name in SETTINGS}


def test_settings_last_for_the_transaction(clean_database: str) -> None:
    if db.is_sqlite(clean_database):
        pytest.skip("PostgreSQL only (DAB_TEST_DATABASE_URL)")

    async def run() -> tuple[dict[str, str], dict[str, str], dict[str, str], bool, bool]:
        engine = db.create_engine(clean_database)
        try:
            factory = db.make_session_factory(engine)
            async with factory.begin() as session:
                small = await apply_for_big_write(session, BIG_WRITE_ROWS - 1)
                before = await _shown(session)
                big = await apply_for_big_write(session, BIG_WRITE_ROWS)
                inside = await _shown(session)
            async with factory.begin() as session:  # the pool hands the connection back
                after = await _shown(session)
        finally:
            await engine.dispose()
        return before, inside, after, small, big

    before, inside, after, small, big = asyncio.run(run())
    assert (small, big) == (False, True)
    assert inside == SETTINGS != before
    assert after == before


def test_sqlite_is_left_alone(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pg_bulk_settings, "BIG_WRITE_ROWS", 0)

    async def run() -> bool:
        engine = db.create_engine(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
        try:
            async with db.make_session_factory(engine).begin() as session:
                return await apply_for_big_write(session, 10)
        finally:
            await engine.dispose()

    assert asyncio.run(run()) is False
