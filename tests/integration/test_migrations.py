"""Migrations are the schema: autogenerate finds no drift, and they go down and up again."""

from __future__ import annotations

import asyncio
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from dab.storage import migrate
from dab.storage.db import create_engine
from dab.storage.records import Base
from dab.storage.search_index import include_object


def _diff(url: str) -> list[Any]:
    async def run() -> list[Any]:
        engine = create_engine(url)
        async with engine.connect() as conn:
            diff = await conn.run_sync(
                lambda sync: compare_metadata(
                    MigrationContext.configure(
                        sync, opts={"compare_type": True, "include_object": include_object}
                    ),
                    Base.metadata,
                )
            )
        await engine.dispose()
        return list(diff)

    return asyncio.run(run())


def _tables(url: str) -> set[str]:
    async def run() -> set[str]:
        engine = create_engine(url)
        async with engine.connect() as conn:
            names = await conn.run_sync(lambda sync: set(inspect(sync).get_table_names()))
        await engine.dispose()
        return names

    return asyncio.run(run())


class TestMigrations:
    def test_autogenerate_finds_no_drift(self, database_url: str) -> None:
        assert _diff(database_url) == []

    def test_current_is_head(self, database_url: str) -> None:
        assert migrate.current(database_url).endswith("(head)")

    def test_downgrade_then_upgrade_round_trips(self, database_url: str) -> None:
        migrate.downgrade(database_url, "base")
        try:
            assert _tables(database_url) <= {"alembic_version"}
        finally:
            migrate.upgrade(database_url)
        assert set(Base.metadata.tables) <= _tables(database_url)
        assert _diff(database_url) == []
