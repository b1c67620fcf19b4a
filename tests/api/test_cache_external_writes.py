"""A write by another process (the CLI) is visible at once through a running server's cache."""

from __future__ import annotations

import os

from fastapi.testclient import TestClient
from tests.api.ingest_helpers import FIXTURES, artifacts, without_model
from typer.testing import CliRunner

from dab.cli import app as cli
from dab.settings import Settings, get_settings


def test_cli_ingestion_invalidates_the_server_cache(
    client: TestClient, settings: Settings, tmp_path, monkeypatch
) -> None:
    client.post(
        "/api/v1/ingest/dbt",
        params={"wait": "true"},
        json=without_model(artifacts(), "model.jaffle_shop.orders"),
    )
    assert client.get("/api/v1/capsules", params={"limit": 1}).json()["total"] == 10
    second = client.get("/api/v1/capsules", params={"limit": 1})
    assert second.headers.get("x-cache") == "hit"

    monkeypatch.setenv("DATABASE_URL", str(settings.database_url))
    monkeypatch.setenv("DAB_HOME", str(settings.dab_home))
    if settings.cache_redis_url:
        monkeypatch.setenv("CACHE_REDIS_URL", settings.cache_redis_url)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(
            cli, ["ingest", "--source", "dbt", "--manifest", os.fspath(FIXTURES / "v12" / "manifest.json")]
        )
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert client.get("/api/v1/capsules", params={"limit": 1}).json()["total"] == 11
