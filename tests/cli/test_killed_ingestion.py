"""A `dab ingest` killed in the middle leaves the previous state; its job becomes retryable."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import orjson
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
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


def _write_transaction_open(database_url: str) -> bool:
    """Whether an ingestion's write transaction holds the project right now.

    SQLite: the write lock is taken (an immediate transaction cannot start). PostgreSQL: the
    project's advisory transaction lock is granted to some session.
    """
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        probe = sqlite3.connect(str(url.database), timeout=0)
        try:
            probe.execute("BEGIN IMMEDIATE")
            probe.rollback()
            return False
        except sqlite3.OperationalError:
            return True
        finally:
            probe.close()

    async def advisory_locks() -> int:
        engine = create_engine(database_url)
        async with engine.connect() as conn:
            query = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
            count = int((await conn.execute(text(query))).scalar_one())
        await engine.dispose()
        return count

    return asyncio.run(advisory_locks()) > 0


def _wait_for_write_transaction(process: subprocess.Popen[bytes], database_url: str) -> None:
    deadline = time.monotonic() + 120
    held = 0
    while held < 3:  # three probes in a row: the long write, not a short bookkeeping commit
        assert process.poll() is None, "the ingestion finished before it could be killed"
        assert time.monotonic() < deadline
        running = _statuses(database_url)[-1] == "running" if held == 0 else True
        held = held + 1 if running and _write_transaction_open(database_url) else 0
        time.sleep(0.05)


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
        # Killed inside the write transaction (rows already sent), not while still parsing.
        _wait_for_write_transaction(process, str(settings.database_url))
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait(timeout=30)
    assert snapshot(str(settings.database_url)) == before
    assert _statuses(str(settings.database_url))[-1] == "running"  # nobody could record it
    # Its lease is no longer renewed: once it expires, any process recovers the job.
    lease = 1.0
    time.sleep(lease + 0.5)
    recovering = settings.model_copy(update={"dab_job_lease_seconds": lease})
    with TestClient(create_app(recovering), headers={"X-API-Key": TEST_API_KEY}) as restarted:
        jobs = restarted.get("/api/v1/ingest/jobs").json()["data"]
        killed = jobs[0]
        assert killed["status"] == "failed"
        assert killed["error"]["message"].startswith("interrupted")
