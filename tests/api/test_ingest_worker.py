"""The server runs ingestion jobs in a child process: the job is recorded as the server's, a
child killed in the middle of the write changes nothing and fails the job with a clear
message, and the job can be retried; errors raised there come back whole."""

from __future__ import annotations

import asyncio
import os
import pickle
import signal
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.api.ingest_helpers import artifacts, snapshot
from tests.cli.test_killed_ingestion import _write_transaction_open

from dab.errors import InvalidArtifact
from dab.services.ingest_dbt import JobFailed
from dab.services.ingest_offload import ingestion_child
from dab.services.jobs import this_worker
from dab.storage.db import create_engine
from dab.storage.records import IngestionJobRecord

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from generate_dbt_project import generate_manifest

INGEST = "/api/v1/ingest/dbt"


def _worker_of(database_url: str, job_id: str) -> str:
    async def go() -> str:
        engine = create_engine(database_url)
        async with engine.connect() as conn:
            query = select(IngestionJobRecord.worker).where(IngestionJobRecord.id == job_id)
            worker = (await conn.execute(query)).scalar_one()
        await engine.dispose()
        return str(worker)

    return asyncio.run(go())


def test_the_job_runs_in_a_child_but_is_recorded_as_the_servers(
    client: TestClient, database_url: str
) -> None:
    response = client.post(INGEST, params={"wait": "true"}, json=artifacts())
    assert response.status_code == 201 and response.json()["status"] == "completed"
    child = ingestion_child().pid
    assert child is not None and child != os.getpid()
    # The server owns it: on shutdown it interrupts its own jobs by this name.
    assert _worker_of(database_url, response.json()["job_id"]) == this_worker()


def test_errors_from_the_child_keep_their_fields() -> None:
    error = InvalidArtifact("expected a JSON object", artifact="manifest.json", json_path="$.nodes")
    error.job_id = "job-1"
    failed = JobFailed({"error": {"message": "boom"}}, error)
    back = pickle.loads(pickle.dumps(failed))
    assert (back.cause.artifact, back.cause.json_path, back.cause.job_id) == (
        "manifest.json",
        "$.nodes",
        "job-1",
    )
    assert back.cause.detail == error.detail and back.summary == failed.summary and str(back) == str(failed)


def _wait_for_write(database_url: str) -> None:
    deadline = time.monotonic() + 180
    held = 0
    while held < 3:  # three probes in a row: the long write, not a lease renewal
        assert time.monotonic() < deadline, "the write transaction never started"
        held = held + 1 if ingestion_child().busy and _write_transaction_open(database_url) else 0
        time.sleep(0.05)


def test_killing_the_child_mid_write_changes_nothing_and_fails_the_job(
    client: TestClient, database_url: str
) -> None:
    assert client.post(INGEST, params={"wait": "true"}, json=artifacts()).status_code == 201
    before = snapshot(database_url)
    manifest, catalog, _ = generate_manifest(1500, 20, seed=3)
    manifest["metadata"]["project_name"] = "jaffle_shop"  # it would replace the jaffle graph
    with ThreadPoolExecutor(1) as pool:
        sent = pool.submit(
            client.post, INGEST, params={"wait": "true"}, json={"manifest": manifest, "catalog": catalog}
        )
        _wait_for_write(database_url)
        pid = ingestion_child().pid
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        response: httpx.Response = sent.result(timeout=120)
    assert response.status_code == 503
    body: dict[str, Any] = response.json()
    assert "worker process stopped" in body["detail"] and "nothing was changed" in body["detail"]
    assert snapshot(database_url) == before
    job = client.get(f"/api/v1/ingest/jobs/{body['job_id']}").json()
    assert job["status"] == "failed" and "worker process stopped" in job["error"]["message"]
    # A new child takes the retry.
    retried = client.post(f"/api/v1/ingest/jobs/{job['job_id']}/retry", params={"wait": "true"})
    assert retried.status_code == 201 and retried.json()["stats"]["capsules"]["created"] > 1000


def test_the_child_ignores_signals_meant_for_the_server(client: TestClient) -> None:
    # Ctrl-C reaches the whole process group; the server finishes in-flight jobs on it.
    assert client.post(INGEST, params={"wait": "true"}, json=artifacts()).status_code == 201
    pid = ingestion_child().pid
    assert pid is not None
    os.kill(pid, signal.SIGINT)
    os.kill(pid, signal.SIGTERM)
    again = client.post(INGEST, params={"wait": "true"}, json=artifacts())
    assert again.status_code == 201 and again.json()["status"] == "completed"
    assert ingestion_child().pid == pid
