"""POST /ingest/dbt and the job endpoints, on real artifacts written by dbt."""

from __future__ import annotations

import gzip

import orjson
import pytest
from fastapi.testclient import TestClient
from tests.api.ingest_helpers import artifacts, snapshot, without_model

INGEST = "/api/v1/ingest/dbt"
ZERO = {"created": 0, "updated": 0, "deleted": 0}


def ingest(client: TestClient, body: dict, **params: str) -> dict:
    response = client.post(INGEST, params={"wait": "true", **params}, json=body)
    assert response.status_code == 201, response.text
    return response.json()


class TestIngestJson:
    def test_first_ingestion_creates_the_graph(self, client: TestClient) -> None:
        job = ingest(client, artifacts())
        assert job["status"] == "completed"
        assert job["project_name"] == "jaffle_shop"
        assert job["stats"]["capsules"] == {"created": 11, "updated": 0, "deleted": 0}
        assert job["stats"]["lineage_edges"]["created"] == 8
        assert job["stats"]["tests"]["created"] == 23
        assert job["error"] is None

    def test_unchanged_input_changes_nothing(self, client: TestClient, database_url: str) -> None:
        ingest(client, artifacts())
        before = snapshot(database_url)
        job = ingest(client, artifacts())
        for kind in ("capsules", "columns", "tests", "lineage_edges", "tag_links"):
            assert job["stats"][kind] == ZERO, kind
        assert snapshot(database_url) == before

    def test_identical_bytes_take_the_shortcut(self, client: TestClient) -> None:
        first = ingest(client, artifacts())
        again = ingest(client, artifacts())
        assert again["stats"]["identical_to_job"] == first["job_id"]
        assert again["stats"]["totals"] == first["stats"]["totals"]

    def test_regenerated_but_equal_artifacts_change_nothing(
        self, client: TestClient, database_url: str
    ) -> None:
        ingest(client, artifacts())
        before = snapshot(database_url)
        body = artifacts()
        body["manifest"]["metadata"]["generated_at"] = "2030-01-01T00:00:00Z"
        body["manifest"]["metadata"]["invocation_id"] = "another-invocation"
        job = ingest(client, body)
        assert "identical_to_job" not in job["stats"]
        for kind in ("capsules", "columns", "tests", "lineage_edges", "tag_links"):
            assert job["stats"][kind] == ZERO, kind
        assert snapshot(database_url) == before

    def test_a_column_only_change_is_found(self, client: TestClient) -> None:
        ingest(client, artifacts())
        body = artifacts()
        body["catalog"]["nodes"]["model.jaffle_shop.orders"]["columns"]["amount"]["type"] = "DECIMAL(18,2)"
        job = ingest(client, body)
        assert job["stats"]["columns"] == {"created": 0, "updated": 1, "deleted": 0}
        assert job["stats"]["capsules"] == ZERO
        column = client.get("/api/v1/columns/urn:dab:dbt:column:jaffle_shop:orders.amount").json()
        assert column["data_type"] == "DECIMAL(18,2)"

    def test_a_removed_column_and_test_are_deleted(self, client: TestClient) -> None:
        ingest(client, artifacts())
        body = artifacts()
        nodes = body["manifest"]["nodes"]
        del nodes["model.jaffle_shop.orders"]["columns"]["amount"]
        del body["catalog"]["nodes"]["model.jaffle_shop.orders"]["columns"]["amount"]
        del nodes["test.jaffle_shop.not_null_orders_amount.106140f9fd"]
        job = ingest(client, body)
        assert job["stats"]["columns"]["deleted"] == 1
        assert job["stats"]["tests"]["deleted"] == 1
        assert job["stats"]["capsules"]["updated"] == 1  # its column count changed
        assert client.get("/api/v1/columns/urn:dab:dbt:column:jaffle_shop:orders.amount").status_code == 404

    def test_vanished_nodes_are_removed_with_their_edges(self, client: TestClient, database_url: str) -> None:
        ingest(client, artifacts())
        job = ingest(client, without_model(artifacts(), "model.jaffle_shop.stg_payments"))
        # stg_payments goes, and so do orders and customers, which depend on it.
        assert job["stats"]["capsules"]["deleted"] == 3
        state = snapshot(database_url)
        urns = {urn for urn, _ in state["capsules"]}
        assert "urn:dab:dbt:model:jaffle_shop:stg_payments" not in urns
        assert all("stg_payments" not in s and "stg_payments" not in t for s, t in state["edges"])
        assert not any(":stg_payments." in urn for urn, _ in state["columns"])

    def test_project_name_overrides_the_root_namespace(self, client: TestClient) -> None:
        job = ingest(client, {**artifacts(), "project_name": "shop"})
        assert job["project_name"] == "shop"
        listed = client.get(f"/api/v1/ingest/jobs/{job['job_id']}").json()
        assert listed["status"] == "completed"

    @pytest.mark.parametrize("version", ["v9", "v11"])
    def test_older_dbt_schema_versions(self, client: TestClient, version: str) -> None:
        job = ingest(client, artifacts(version))
        assert job["stats"]["capsules"]["created"] == 11


class TestAsyncJobs:
    def test_202_with_location_then_completed(self, client: TestClient) -> None:
        response = client.post(INGEST, json=artifacts())
        assert response.status_code == 202
        location = response.headers["location"]
        assert location.endswith(f"/api/v1/ingest/jobs/{response.json()['job_id']}")
        # TestClient runs background tasks before returning; the job is finished by now.
        assert client.get(location).json()["status"] == "completed"

    def test_list_jobs_pages_and_filters(self, client: TestClient) -> None:
        ingest(client, artifacts())
        ingest(client, artifacts())
        client.post(INGEST, params={"wait": "true"}, json={"manifest": artifacts()["catalog"]})
        page = client.get("/api/v1/ingest/jobs", params={"limit": 1}).json()
        assert page["total"] == 3 and page["limit"] == 1 and len(page["data"]) == 1
        failed = client.get("/api/v1/ingest/jobs", params={"status": "failed"}).json()
        assert failed["total"] == 1 and failed["data"][0]["status"] == "failed"
        assert client.get("/api/v1/ingest/jobs", params={"limit": 5000}).status_code == 422
        assert client.get("/api/v1/ingest/jobs", params={"status": "bogus"}).status_code == 422

    def test_retry_runs_again_from_stored_artifacts(self, client: TestClient) -> None:
        first = ingest(client, artifacts())
        response = client.post(f"/api/v1/ingest/jobs/{first['job_id']}/retry", params={"wait": "true"})
        assert response.status_code == 201
        retried = response.json()
        assert retried["retry_of"] == first["job_id"]
        assert retried["status"] == "completed"
        assert retried["stats"]["capsules"] == ZERO

    def test_unknown_job_is_404(self, client: TestClient) -> None:
        response = client.get("/api/v1/ingest/jobs/nope")
        assert response.status_code == 404
        assert "nope" in response.json()["detail"]
        assert client.post("/api/v1/ingest/jobs/nope/retry").status_code == 404


class TestMultipartUpload:
    def test_gzip_files_upload(self, client: TestClient) -> None:
        body = artifacts()
        files = {kind: (f"{kind}.json.gz", gzip.compress(orjson.dumps(doc))) for kind, doc in body.items()}
        response = client.post(INGEST, params={"wait": "true"}, files=files, data={"project_name": "shop"})
        assert response.status_code == 201, response.text
        assert response.json()["stats"]["capsules"]["created"] == 11
        assert response.json()["project_name"] == "shop"
