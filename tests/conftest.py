"""Shared fixtures: a real, migrated database (SQLite file, or PostgreSQL when
DAB_TEST_DATABASE_URL is set), emptied before each test, and an app client over it."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import settings as hypothesis_settings
from sqlalchemy import text
from sqlalchemy.engine import make_url

from dab.api.main import create_app
from dab.settings import Settings, normalize_database_url
from dab.storage import migrate
from dab.storage.records import Base

# Property tests check results, not speed: Hypothesis's 200 ms deadline per example failed a
# rules property test once on a loaded two-core machine, so the deadline is off for every test.
hypothesis_settings.register_profile("dab", deadline=None)
hypothesis_settings.load_profile("dab")

TEST_API_KEY = "test-key-0123456789"
FIXTURES = Path(__file__).parent / "fixtures"
PG_URL = os.environ.get("DAB_TEST_DATABASE_URL")
REDIS_URL = os.environ.get("DAB_TEST_REDIS_URL")


def _worker_pg_url(base: str, worker: str) -> str:
    """One database per xdist worker (``<db>_test_gw0``), recreated for each session."""
    url = make_url(normalize_database_url(base))
    return url.set(database=f"{url.database}_test_{worker}").render_as_string(hide_password=False)


async def drop_pg_database(conn: Any, name: str) -> None:
    """Drop a test database that sessions of ours may still hold.

    ``WITH (FORCE)`` is not used: it refuses, for a role without superuser, when an autovacuum
    worker happens to be in the database. A plain DROP stops autovacuum itself, so ending our
    own sessions first is enough; a session still closing gets a few retries.
    """
    import asyncpg

    for attempt in range(40):
        await conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = $1 AND usename = current_user AND pid <> pg_backend_pid()",
            name,
        )
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            return
        except asyncpg.ObjectInUseError:
            if attempt == 39:
                raise
            await asyncio.sleep(0.25)


async def _recreate_pg_database(url: str) -> None:
    import asyncpg

    parsed = make_url(url)
    conn = await asyncpg.connect(
        user=parsed.username,
        password=parsed.password,
        host=parsed.host,
        port=parsed.port or 5432,
        database="postgres",
    )
    try:
        await drop_pg_database(conn, parsed.database)
        await conn.execute(f'CREATE DATABASE "{parsed.database}"')
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> str:
    if PG_URL:
        url = _worker_pg_url(PG_URL, worker_id)
        asyncio.run(_recreate_pg_database(url))
    else:
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'dab.sqlite3'}"
    migrate.upgrade(url)
    return url


async def _truncate_all(url: str) -> None:
    from dab.storage.db import create_engine

    engine = create_engine(url)
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    async with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            await conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                await conn.execute(text(f'DELETE FROM "{table}"'))
    await engine.dispose()


@pytest.fixture
def clean_database(database_url: str) -> str:
    asyncio.run(_truncate_all(database_url))
    return database_url


@pytest.fixture
def settings(clean_database: str, tmp_path: Path, worker_id: str) -> Settings:
    return Settings(
        environment="test",
        database_url=clean_database,
        api_keys=TEST_API_KEY,
        dab_home=tmp_path / "home",
        rate_limit_enabled=False,
        cache_enabled=True,
        cache_redis_url=REDIS_URL,
        dab_metrics_cache_seconds=0,
        cache_key_prefix=f"dab:{worker_id}:",  # xdist workers share the test Redis database
    )


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    app = create_app(settings)
    with TestClient(app, headers={"X-API-Key": TEST_API_KEY}) as test_client:
        yield test_client
