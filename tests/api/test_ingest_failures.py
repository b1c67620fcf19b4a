"""Bad input gets a 4xx naming the artifact and JSON path, a failed job, and no change;
a failure in the middle of the write leaves the previous state exactly as it was."""

from __future__ import annotations

import asyncio
import copy
import os
import socket
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from tests.api.ingest_helpers import artifacts, snapshot, without_model
from tests.conftest import TEST_API_KEY

import dab.services.graph_persistence as persistence
from dab.api.main import create_app
from dab.settings import Settings
from dab.storage.db import create_engine

INGEST = "/api/v1/ingest/dbt"


def _with(mutate: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    body = copy.deepcopy(artifacts())
    mutate(body)
    return body


def _old_schema(body: dict[str, Any]) -> None:
    body["manifest"]["metadata"]["dbt_schema_version"] = "https://schemas.getdbt.com/dbt/manifest/v6.json"


def _no_nodes(body: dict[str, Any]) -> None:
    del body["manifest"]["nodes"]


def _catalog_as_manifest(body: dict[str, Any]) -> None:
    body["manifest"] = body["catalog"]


def _server_path(body: dict[str, Any]) -> None:
    body["manifest"] = "/etc/passwd"


BAD_BODIES = [
    pytest.param(
        _old_schema, "manifest.json", "$.metadata.dbt_schema_version", "v6", id="unsupported-version"
    ),
    pytest.param(_no_nodes, "manifest.json", "$.nodes", "nodes", id="missing-nodes"),
    pytest.param(
        _catalog_as_manifest,
        "manifest.json",
        "$.metadata.dbt_schema_version",
        "catalog",
        id="catalog-as-manifest",
    ),
    pytest.param(_server_path, "manifest.json", "$.manifest", "file paths", id="server-side-path"),
]


@pytest.fixture
def ingested(client: TestClient, database_url: str) -> dict[str, Any]:
    response = client.post(INGEST, params={"wait": "true"}, json=artifacts())
    assert response.status_code == 201
    return snapshot(database_url)


class TestBadInput:
    @pytest.mark.parametrize(("mutate", "artifact", "json_path", "words"), BAD_BODIES)
    def test_bad_artifact_is_422_naming_artifact_and_path_and_changes_nothing(
        self,
        client: TestClient,
        database_url: str,
        ingested: dict[str, Any],
        mutate: Callable[[dict[str, Any]], None],
        artifact: str,
        json_path: str,
        words: str,
    ) -> None:
        response = client.post(INGEST, params={"wait": "true"}, json=_with(mutate))
        assert response.status_code == 422, response.text
        problem = response.json()
        assert response.headers["content-type"] == "application/problem+json"
        assert problem["artifact"] == artifact
        assert problem["json_path"] == json_path
        assert words in problem["detail"]
        assert snapshot(database_url) == ingested
        failed = client.get("/api/v1/ingest/jobs", params={"status": "failed"}).json()["data"]
        assert failed[0]["error"]["message"] == problem["detail"]

    def test_body_that_is_not_json(
        self, client: TestClient, database_url: str, ingested: dict[str, Any]
    ) -> None:
        response = client.post(INGEST, content=b"{not json", headers={"Content-Type": "application/json"})
        assert response.status_code == 422
        assert response.json()["artifact"] == "request body"
        assert snapshot(database_url) == ingested
        assert client.get("/api/v1/ingest/jobs", params={"status": "failed"}).json()["total"] == 1

    def test_manifest_that_is_not_json_upload(self, client: TestClient, ingested: dict[str, Any]) -> None:
        response = client.post(INGEST, files={"manifest": ("manifest.json", b"\x00\x01 garbage")})
        assert response.status_code == 422
        assert response.json()["artifact"] == "manifest.json"

    def test_missing_manifest_names_the_field(self, client: TestClient) -> None:
        response = client.post(INGEST, json={"catalog": {}})
        assert response.status_code == 422
        assert "manifest" in response.json()["detail"]

    def test_payload_over_the_limit_is_413(self, settings: Settings, database_url: str) -> None:
        small = settings.model_copy(update={"dab_max_upload_mb": 1})
        with TestClient(create_app(small), headers={"X-API-Key": TEST_API_KEY}) as c:
            before = snapshot(database_url)
            response = c.post(
                INGEST,
                content=b"{" + b" " * (2 * 1024 * 1024) + b"}",
                headers={"Content-Type": "application/json"},
            )
            assert response.status_code == 413
            assert "limit" in response.json()["detail"]
            assert snapshot(database_url) == before


class TestAtomicity:
    def test_failure_in_the_middle_of_the_write_leaves_previous_state(
        self, settings: Settings, database_url: str, ingested: dict[str, Any], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # Capsules and columns are already written when the edge step fails: the fault a
        # dropped connection would cause, injected where no real one can be timed. Injected in
        # this process, so the job runs here too (the ingestion child is killed for real in
        # tests/api/test_ingest_worker.py).
        async def broken_edges(*_args: Any, **_kwargs: Any) -> None:
            raise OperationalError("INSERT INTO capsule_lineage", {}, Exception("connection lost"))

        monkeypatch.setattr(persistence, "sync_capsule_edges", broken_edges)
        in_thread = settings.model_copy(update={"dab_ingest_worker": "thread"})
        with TestClient(create_app(in_thread), headers={"X-API-Key": TEST_API_KEY}) as client:
            self._fails_then_retries(client, database_url, ingested, monkeypatch)

    @staticmethod
    def _fails_then_retries(
        client: TestClient, database_url: str, ingested: dict[str, Any], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        response = client.post(
            INGEST, params={"wait": "true"}, json=without_model(artifacts(), "model.jaffle_shop.stg_payments")
        )
        assert response.status_code == 503
        assert "nothing was changed" in response.json()["detail"]
        assert snapshot(database_url) == ingested
        job = client.get(f"/api/v1/ingest/jobs/{response.json()['job_id']}").json()
        assert job["status"] == "failed"
        monkeypatch.undo()
        retried = client.post(f"/api/v1/ingest/jobs/{job['job_id']}/retry", params={"wait": "true"})
        assert retried.status_code == 201
        assert retried.json()["stats"]["capsules"]["deleted"] == 3


def _set_job(database_url: str, job_id: str, **values: Any) -> None:
    async def go() -> None:
        engine = create_engine(database_url)
        assignments = ", ".join(f"{k}=:{k}" for k in values)
        async with engine.begin() as conn:
            await conn.execute(
                text(f"UPDATE ingestion_job SET {assignments} WHERE id=:id"), {**values, "id": job_id}
            )
        await engine.dispose()

    asyncio.run(go())


class TestInterruptedJobs:
    def test_running_job_whose_lease_expired_is_failed_at_startup_and_retryable(
        self, settings: Settings, client: TestClient, database_url: str
    ) -> None:
        job_id = client.post(INGEST, params={"wait": "true"}, json=artifacts()).json()["job_id"]
        # PID 1 of a container on another host: host:pid says nothing; the expired lease does.
        expired = datetime.now(UTC) - timedelta(seconds=2 * settings.dab_job_lease_seconds)
        _set_job(database_url, job_id, status="running", worker="container-1:1", heartbeat_at=expired)
        with TestClient(create_app(settings), headers={"X-API-Key": TEST_API_KEY}) as restarted:
            job = restarted.get(f"/api/v1/ingest/jobs/{job_id}").json()
            assert job["status"] == "failed"
            assert job["error"]["message"].startswith("interrupted")
            retry = restarted.post(f"/api/v1/ingest/jobs/{job_id}/retry", params={"wait": "true"})
            assert retry.status_code == 201 and retry.json()["status"] == "completed"

    def test_running_job_with_a_live_lease_is_left_alone_even_if_its_pid_is_dead(
        self, settings: Settings, client: TestClient, database_url: str
    ) -> None:
        job_id = client.post(INGEST, params={"wait": "true"}, json=artifacts()).json()["job_id"]
        dead = f"{socket.gethostname()}:{_dead_pid()}"
        _set_job(database_url, job_id, status="running", worker=dead, heartbeat_at=datetime.now(UTC))
        with TestClient(create_app(settings), headers={"X-API-Key": TEST_API_KEY}) as restarted:
            assert restarted.get(f"/api/v1/ingest/jobs/{job_id}").json()["status"] == "running"
            refused = restarted.post(f"/api/v1/ingest/jobs/{job_id}/retry")
            assert refused.status_code == 409 and "only finished jobs" in refused.json()["detail"]

    def test_a_stale_job_is_recovered_by_a_running_server_without_restart(
        self, settings: Settings, client: TestClient, database_url: str
    ) -> None:
        job_id = client.post(INGEST, params={"wait": "true"}, json=artifacts()).json()["job_id"]
        quick = settings.model_copy(update={"dab_job_lease_seconds": 0.4})
        with TestClient(create_app(quick), headers={"X-API-Key": TEST_API_KEY}) as server:
            _set_job(database_url, job_id, status="running", heartbeat_at=datetime.now(UTC))
            deadline = time.monotonic() + 10
            while server.get(f"/api/v1/ingest/jobs/{job_id}").json()["status"] == "running":
                assert time.monotonic() < deadline, "the stale job was never recovered"
                time.sleep(0.1)
            assert server.get(f"/api/v1/ingest/jobs/{job_id}").json()["status"] == "failed"


def _dead_pid() -> int:
    pid = 2**22 - 1
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return pid
        except PermissionError:
            pass
        pid -= 1
