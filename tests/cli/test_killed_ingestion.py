"""A `dab ingest` killed in the middle leaves the previous state; its job becomes retryable."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.api.ingest_helpers import artifacts, snapshot
from tests.conftest import TEST_API_KEY

from dab.api.main import create_app
from dab.settings import Settings
from dab.storage.db import create_engine
from dab.storage.records import IngestionJobRecord

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from generate_dbt_project import generate_manifest


def _statuses(database_url: str) -> list[str]:
    async def go() -> list[str]:
        engine = create_engine(database_url)
        async with engine.connect() as conn:
            rows = (
                await conn.execute(select(IngestionJobRecord.status).order_by(IngestionJobRecord.created_at))
            ).all()
        await engine.dispose()
        return [r[0] for r in rows]

    return asyncio.run(go())


def test_sigkill_during_ingestion_changes_nothing(
    client: TestClient, settings: Settings, tmp_path: Path
) -> None:
    assert client.post("/api/v1/ingest/dbt", params={"wait": "true"}, json=artifacts()).status_code == 201
    before = snapshot(str(settings.database_url))
    manifest, catalog, _ = generate_manifest(3000, 20, seed=1)
    # Same project name, so the write would replace the jaffle graph if it were allowed to finish.
    manifest["metadata"]["project_name"] = "jaffle_shop"
    (tmp_path / "manifest.json").write_bytes(orjson.dumps(manifest))
    (tmp_path / "catalog.json").write_bytes(orjson.dumps(catalog))
    env = {**os.environ, "DATABASE_URL": str(settings.database_url), "DAB_HOME": str(tmp_path / "home")}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dab",
            "ingest",
            "--source",
            "dbt",
            "--manifest",
            str(tmp_path / "manifest.json"),
            "--catalog",
            str(tmp_path / "catalog.json"),
            "--format",
            "json",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while _statuses(str(settings.database_url))[-1] != "running":
            assert process.poll() is None, "the ingestion finished before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait(timeout=30)
    assert snapshot(str(settings.database_url)) == before
    with TestClient(create_app(settings), headers={"X-API-Key": TEST_API_KEY}) as restarted:
        jobs = restarted.get("/api/v1/ingest/jobs").json()["data"]
        killed = jobs[0]
        assert killed["status"] == "failed"
        assert killed["error"]["message"].startswith("interrupted")
