"""Backups and restores as the runbook runs them, while the API keeps serving."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy.engine import URL, make_url
from tests.api.ingest_helpers import artifacts, snapshot, without_model
from tests.cli.live_server import KEY, live_server, server_env
from tests.conftest import PG_URL, _recreate_pg_database, drop_pg_database
from tests.tools import require_executable

from dab.settings import normalize_database_url

HEADERS = {"X-API-Key": KEY}
ORDERS = "model.jaffle_shop.orders"


def dab(home: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "dab", *args],
        env=server_env(home, env),
        cwd=home,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def ingest(base: str, body: dict[str, Any]) -> None:
    response = httpx.post(f"{base}/api/v1/ingest/dbt?wait=true", json=body, headers=HEADERS, timeout=60)
    assert response.status_code == 201, response.text


def total(base: str) -> tuple[int, str]:
    response = httpx.get(f"{base}/api/v1/capsules?limit=1", headers=HEADERS)
    assert response.status_code == 200, response.text
    return response.json()["total"], response.headers["x-cache"]


def eventually_total(base: str, expected: int, within: float = 3.0) -> None:
    deadline = time.monotonic() + within
    while (seen := total(base)[0]) != expected and time.monotonic() < deadline:
        time.sleep(0.2)
    assert seen == expected


def test_dab_backup_and_restore_while_the_server_runs(tmp_path: Path) -> None:
    with live_server(tmp_path) as (base, _):
        ingest(base, artifacts())
        dab(tmp_path, "backup", str(tmp_path / "backups" / "dab.sqlite3"))
        ingest(base, without_model(artifacts(), ORDERS))
        assert total(base) == (10, "miss")
        assert total(base) == (10, "hit")
        out = dab(tmp_path, "restore", str(tmp_path / "backups" / "dab.sqlite3")).stdout
        assert "caches flushed" in out
        assert total(base) == (11, "miss")  # the running server serves the restored state
        stats = orjson.loads(dab(tmp_path, "cache", "stats").stdout)
        assert stats["backend"] == "memory" and stats["database_generation"]


def test_restore_refuses_a_file_that_is_not_a_dab_backup(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.sqlite3"
    bogus.write_text("hello")
    result = subprocess.run(
        [sys.executable, "-m", "dab", "restore", str(bogus)],
        env=server_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "not a dab backup" in result.stderr
    assert not (tmp_path / "dab.sqlite3").exists()  # nothing was touched


@pytest.fixture
def pg_database() -> Iterator[URL]:
    if not PG_URL:
        pytest.skip("DAB_TEST_DATABASE_URL is not set")
    url = make_url(normalize_database_url(PG_URL))
    own = url.set(database=f"{url.database}_restore_{os.getpid()}")
    asyncio.run(_recreate_pg_database(own.render_as_string(hide_password=False)))
    yield own
    for database in (own, own.set(database=f"{own.database}_fresh")):
        asyncio.run(_drop_pg_database(database))


async def _drop_pg_database(url: URL) -> None:
    import asyncpg

    conn = await asyncpg.connect(
        user=url.username, password=url.password, host=url.host, port=url.port or 5432, database="postgres"
    )
    try:
        await drop_pg_database(conn, url.database)
    finally:
        await conn.close()


def _pg(tool: str, url: URL, *args: str) -> None:
    binary = require_executable(tool, "apt-get install postgresql-client")
    env = {**os.environ, "PGPASSWORD": url.password or ""}
    where = ["-h", url.host or "127.0.0.1", "-p", str(url.port or 5432), "-U", url.username or "dab"]
    result = subprocess.run([binary, *where, *args], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


@pytest.mark.postgres
def test_pg_dump_wipe_pg_restore_and_the_running_api_serves_the_restored_state(
    pg_database: URL, tmp_path: Path
) -> None:
    url = pg_database.render_as_string(hide_password=False)
    env = {"DATABASE_URL": url}
    dab(tmp_path, "db", "upgrade", env=env)
    dump = tmp_path / "backup.dump"
    with live_server(tmp_path, extra_env=env) as (base, _):
        ingest(base, artifacts())
        before = snapshot(url)
        _pg("pg_dump", pg_database, "-d", str(pg_database.database), "-F", "c", "-f", str(dump))
        ingest(base, without_model(artifacts(), ORDERS))
        assert total(base) == (10, "miss")
        assert total(base) == (10, "hit")
        _pg("pg_restore", pg_database, "-d", str(pg_database.database), "-c", str(dump))
        eventually_total(base, 11)  # no restart, no manual flush: the generation row came back changed
        assert snapshot(url) == before
        dab(tmp_path, "cache", "clear", env=env)
        assert total(base) == (11, "miss")


@pytest.mark.postgres
def test_schema_only_dump_restores_and_upgrades(pg_database: URL, tmp_path: Path) -> None:
    url = pg_database.render_as_string(hide_password=False)
    env = {"DATABASE_URL": url}
    dab(tmp_path, "db", "upgrade", env=env)
    name = str(pg_database.database)
    schema, version = tmp_path / "schema.sql", tmp_path / "version.sql"
    _pg("pg_dump", pg_database, "-d", name, "-s", "-f", str(schema))
    _pg("pg_dump", pg_database, "-d", name, "-a", "-t", "alembic_version", "-f", str(version))
    for with_version in (True, False):
        fresh = pg_database.set(database=f"{name}_fresh")
        asyncio.run(_recreate_pg_database(fresh.render_as_string(hide_password=False)))
        _pg("psql", fresh, "-d", str(fresh.database), "-v", "ON_ERROR_STOP=1", "-q", "-f", str(schema))
        fresh_env = {"DATABASE_URL": fresh.render_as_string(hide_password=False)}
        if with_version:
            _pg("psql", fresh, "-d", str(fresh.database), "-v", "ON_ERROR_STOP=1", "-q", "-f", str(version))
        else:
            dab(tmp_path, "db", "stamp", "head", env=fresh_env)  # a plain schema dump carries no revision
        dab(tmp_path, "db", "upgrade", env=fresh_env)
        assert dab(tmp_path, "db", "current", env=fresh_env).stdout.strip().endswith("(head)")
