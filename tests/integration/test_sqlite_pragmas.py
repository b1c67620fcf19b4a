"""The settings every SQLite connection of dab gets, read back from a real database file."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import text

from dab.storage.db import create_engine


def _pragmas(url: str, names: tuple[str, ...]) -> dict[str, object]:
    async def run() -> dict[str, object]:
        engine = create_engine(url)
        try:
            async with engine.connect() as conn:
                return {name: (await conn.execute(text(f"PRAGMA {name}"))).scalar() for name in names}
        finally:
            await engine.dispose()

    return asyncio.run(run())


class TestSqliteConnections:
    def test_each_connection_gets_wal_foreign_keys_and_normal_sync(self, tmp_path: Path) -> None:
        url = f"sqlite+aiosqlite:///{tmp_path / 'dab.sqlite3'}"
        values = _pragmas(url, ("journal_mode", "foreign_keys", "synchronous"))
        assert values == {"journal_mode": "wal", "foreign_keys": 1, "synchronous": 1}  # 1: NORMAL
