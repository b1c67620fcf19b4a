"""SIGTERM: in-flight requests finish; a job still running when the grace period ends is marked
interrupted (retryable), not left "running" forever."""

from __future__ import annotations

import asyncio
import signal
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import orjson
from benchmarks.generate_dbt_project import generate_manifest
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.cli.live_server import KEY, live_server

from dab.api.main import create_app
from dab.services.jobs import this_worker
from dab.settings import Settings
from dab.storage.db import create_engine
from dab.storage.records import IngestionJobRecord

HEADERS = {"X-API-Key": KEY, "Content-Type": "application/json"}


def _big_body(models: int) -> bytes:
    manifest, catalog, run_results = generate_manifest(models, 10)
    return orjson.dumps({"manifest": manifest, "catalog": catalog, "run_results": run_results})


def _wait_running(base: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        jobs = httpx.get(f"{base}/api/v1/ingest/jobs", headers=HEADERS).json()["data"]
        if jobs and jobs[0]["status"] == "running":
            return dict(jobs[0])
        time.sleep(0.05)
    raise AssertionError("no job started running")


def test_sigterm_lets_an_in_flight_ingestion_finish(tmp_path: Path) -> None:
    # Small enough to finish within the default 30 s grace even on a loaded 2-core machine
    # (column lineage is derived at ingestion), large enough to be caught running.
    body = _big_body(400)
    answer: dict[str, Any] = {}
    with live_server(tmp_path) as (base, server):

        def post() -> None:
            response = httpx.post(
                f"{base}/api/v1/ingest/dbt?wait=true", content=body, headers=HEADERS, timeout=300
            )
            answer["status"], answer["body"] = response.status_code, response.json()

        thread = threading.Thread(target=post)
        thread.start()
        _wait_running(base)
        server.send_signal(signal.SIGTERM)
        thread.join(timeout=300)
        # uvicorn re-raises the SIGTERM it handled once shutdown is complete
        assert server.wait(timeout=120) in (0, -signal.SIGTERM)
    assert answer["status"] == 201, answer
    assert answer["body"]["status"] == "completed"


def test_a_job_cut_off_by_shutdown_is_marked_interrupted_and_can_be_retried(tmp_path: Path) -> None:
    body = _big_body(3000)
    with live_server(tmp_path, extra_env={"DAB_SHUTDOWN_GRACE_SECONDS": "0"}) as (base, server):
        accepted = httpx.post(f"{base}/api/v1/ingest/dbt", content=body, headers=HEADERS, timeout=300)
        assert accepted.status_code == 202, accepted.text
        job = _wait_running(base)
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=120)
    # Marked by the stopping server, or (when the cancelled SQLite write still held the write
    # lock at shutdown) by the next start-up's recovery: either way failed, interrupted, retryable.
    with live_server(tmp_path) as (base, _):
        stored = httpx.get(f"{base}/api/v1/ingest/jobs/{job['job_id']}", headers=HEADERS).json()
        assert stored["status"] == "failed"
        assert "interrupted" in stored["error"]["message"]
        retried = httpx.post(
            f"{base}/api/v1/ingest/jobs/{job['job_id']}/retry",
            params={"wait": "true"},
            headers=HEADERS,
            timeout=300,
        )
        assert retried.status_code in (201, 202), retried.text


def test_application_shutdown_marks_its_own_unfinished_jobs_interrupted(settings: Settings) -> None:
    with TestClient(create_app(settings)) as client:
        factory = client.app.state.session_factory  # type: ignore[attr-defined]

        async def add_jobs() -> None:
            async with factory.begin() as session:
                session.add(IngestionJobRecord(id="mine", status="running", worker=this_worker()))
                session.add(IngestionJobRecord(id="theirs", status="running", worker="other-host:1"))

        client.portal.call(add_jobs)  # type: ignore[union-attr]
    # The lifespan has shut down: this process's job is interrupted, the other host's untouched.
    jobs = asyncio.run(_statuses(str(settings.database_url)))
    assert jobs["mine"][0] == "failed" and "interrupted" in jobs["mine"][1]["message"]
    assert jobs["theirs"] == ("running", None)


async def _statuses(url: str) -> dict[str, tuple[str, Any]]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                select(IngestionJobRecord.id, IngestionJobRecord.status, IngestionJobRecord.error)
            )
            return {job_id: (status, error) for job_id, status, error in rows}
    finally:
        await engine.dispose()
