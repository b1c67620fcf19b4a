"""Caches that cannot go stale: write races, Redis blips, other processes, runbook clean-ups."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.api.ingest_helpers import FIXTURES, artifacts, without_model
from tests.conftest import REDIS_URL, TEST_API_KEY
from tests.tools import require_executable
from typer.testing import CliRunner

from dab.api.main import create_app
from dab.cli import app as cli
from dab.services import catalog_capsules
from dab.settings import Settings, get_settings

CAPSULES = "/api/v1/capsules"
ORDERS = "model.jaffle_shop.orders"
BACKENDS = ["memory", pytest.param("redis", marks=pytest.mark.redis)]


@pytest.fixture(params=BACKENDS)
def cached_client(request: pytest.FixtureRequest, settings: Settings) -> Iterator[TestClient]:
    if request.param == "redis" and not REDIS_URL:
        pytest.skip("DAB_TEST_REDIS_URL is not set")
    chosen = settings.model_copy(update={"cache_redis_url": REDIS_URL if request.param == "redis" else None})
    with TestClient(create_app(chosen), headers={"X-API-Key": TEST_API_KEY}) as client:
        client.app.state.test_settings = chosen  # type: ignore[attr-defined]
        yield client


def _total(client: TestClient) -> tuple[int, str]:
    response = client.get(CAPSULES, params={"limit": 1})
    assert response.status_code == 200, response.text
    return response.json()["total"], response.headers["x-cache"]


def _cli_ingest(
    monkeypatch: pytest.MonkeyPatch, settings: Settings, home: Path, redis_url: str | None
) -> None:
    """`dab ingest` from another process's point of view: its own DAB_HOME, maybe a dead Redis."""
    monkeypatch.setenv("DATABASE_URL", str(settings.database_url))
    monkeypatch.setenv("DAB_HOME", str(home))
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setenv("CACHE_KEY_PREFIX", settings.cache_key_prefix)
    if redis_url:
        monkeypatch.setenv("CACHE_REDIS_URL", redis_url)
    else:
        monkeypatch.delenv("CACHE_REDIS_URL", raising=False)
    get_settings.cache_clear()
    try:
        manifest = os.fspath(FIXTURES / "v12" / "manifest.json")
        result = CliRunner().invoke(cli, ["ingest", "--source", "dbt", "--manifest", manifest])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output


def _ingest_without_orders(client: TestClient) -> None:
    body = without_model(artifacts(), ORDERS)
    response = client.post("/api/v1/ingest/dbt", params={"wait": "true"}, json=body)
    assert response.status_code == 201, response.text


def test_a_write_during_a_read_never_files_the_old_answer_under_the_new_generation(
    cached_client: TestClient, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _ingest_without_orders(cached_client)
    original = catalog_capsules.list_capsules

    async def read_then_someone_writes(*args: Any, **kwargs: Any) -> Any:
        answer = await original(*args, **kwargs)  # the old state has been read...
        monkeypatch.setattr(catalog_capsules, "list_capsules", original)
        # ...and another process commits a write before the answer is cached.
        await _async_cli_ingest(monkeypatch, settings, tmp_path / "other")
        return answer

    monkeypatch.setattr(catalog_capsules, "list_capsules", read_then_someone_writes)
    assert _total(cached_client) == (10, "miss")
    time.sleep(1.1)  # whatever the backend, the other process's write is visible by now
    assert _total(cached_client) == (11, "miss")
    assert _total(cached_client) == (11, "hit")


async def _async_cli_ingest(monkeypatch: pytest.MonkeyPatch, settings: Settings, home: Path) -> None:
    import anyio

    await anyio.to_thread.run_sync(lambda: _cli_ingest(monkeypatch, settings, home, None))


def test_another_process_write_is_seen_even_when_its_invalidation_failed(
    cached_client: TestClient, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _ingest_without_orders(cached_client)
    assert _total(cached_client) == (10, "miss")
    assert _total(cached_client) == (10, "hit")
    # The CLI runs on another machine (no shared DAB_HOME) and Redis is unreachable for it.
    _cli_ingest(monkeypatch, settings, tmp_path / "elsewhere", "redis://127.0.0.1:9/0")
    time.sleep(1.1)  # the database generation is checked at most once a second
    assert _total(cached_client) == (11, "miss")


@pytest.mark.redis
def test_the_runbook_pattern_delete_is_safe_and_keys_have_no_spaces(settings: Settings) -> None:
    if not REDIS_URL:
        pytest.skip("DAB_TEST_REDIS_URL is not set")
    redis_cli = require_executable("redis-cli", "apt-get install redis-tools")
    prefix = settings.cache_key_prefix
    with TestClient(create_app(settings), headers={"X-API-Key": TEST_API_KEY}) as client:
        _ingest_without_orders(client)
        assert _total(client) == (10, "miss")
        assert _total(client) == (10, "hit")
        keys = subprocess.run(
            [redis_cli, "-u", REDIS_URL, "--scan", "--pattern", f"{prefix}*"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.splitlines()
        assert keys and all(" " not in key for key in keys), keys
        # The runbook's clean-up, as an operator types it (with this xdist worker's key prefix).
        subprocess.run(
            f'{redis_cli} -u {REDIS_URL} KEYS "{prefix}*" | xargs {redis_cli} -u {REDIS_URL} DEL',
            shell=True,
            check=True,
            capture_output=True,
        )
        left = subprocess.run(
            [redis_cli, "-u", REDIS_URL, "KEYS", f"{prefix}cache:*"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        assert left == []
        assert _total(client) == (10, "miss")
        assert _total(client) == (10, "hit")


def test_only_catalog_writes_change_the_database_generation(settings: Settings) -> None:
    import asyncio

    from dab.storage.db import create_engine, make_session_factory
    from dab.storage.generation import read_generation
    from dab.storage.records import DomainRecord, IngestionJobRecord

    async def run() -> list[str | None]:
        engine = create_engine(str(settings.database_url))
        factory = make_session_factory(engine)
        seen: list[str | None] = []
        try:
            for record in (
                IngestionJobRecord(status="pending"),
                DomainRecord(name="sales", urn="urn:dab:domain:sales"),
            ):
                async with factory.begin() as session:
                    session.add(record)  # pending at commit time: flushed by the commit itself
                async with factory() as session:
                    seen.append((await read_generation(session))[0])
        finally:
            await engine.dispose()
        return seen

    after_job, after_domain = asyncio.run(run())
    assert after_job is None  # job bookkeeping is not shown by any cached read
    assert after_domain is not None
