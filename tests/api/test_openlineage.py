"""POST /api/v1/lineage: OpenLineage events as the second source, on a real database."""

from __future__ import annotations

import copy
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from tests.api.conformance_helpers import evaluate
from tests.api.governance_helpers import add_member, create_product
from tests.api.ingest_helpers import artifacts, snapshot
from tests.api.openlineage_helpers import CRM, dataset, loader_events, run_event

from dab.api.deps import get_clock

LINEAGE = "/api/v1/lineage"
JOB = "urn:dab:openlineage:job:airbyte:load_customers"
CRM_TABLE = "urn:dab:openlineage:dataset:postgres%3A%2F%2Fcrm%2Eexample%2Ecom%3A5432:crm.public.customers"
SOURCE = "urn:dab:dbt:source:jaffle_shop:jaffle_shop.customers"
STG = "urn:dab:dbt:model:jaffle_shop:stg_customers"


def path(urn: str) -> str:
    """A URN as a path segment. Starlette's TestClient unquotes the already-decoded path once
    more (a real server does not), so the ``%XX`` inside OpenLineage URNs is quoted twice."""
    return quote(quote(urn, safe=""), safe="")


def post(client: TestClient, body: Any, status: int = 200) -> dict[str, Any]:
    response = client.post(LINEAGE, json=body)
    assert response.status_code == status, response.text
    return response.json()


def ingest_dbt(client: TestClient, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/api/v1/ingest/dbt", params={"wait": "true"}, json=body)
    assert response.status_code == 201, response.text
    return response.json()


def capsule(client: TestClient, urn: str) -> dict[str, Any]:
    response = client.get(f"/api/v1/capsules/{path(urn)}")
    assert response.status_code == 200, response.text
    return response.json()


def lineage(
    client: TestClient, urn: str, direction: str, depth: int = 5
) -> tuple[set[str], set[tuple[str, str]]]:
    response = client.get(
        f"/api/v1/capsules/{path(urn)}/lineage", params={"direction": direction, "depth": depth}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    return {n["urn"] for n in body["nodes"]}, {(e["source"], e["target"]) for e in body["edges"]}


def without_source(body: dict[str, Any], unique_id: str) -> dict[str, Any]:
    """The project with one source gone, and the models reading it reading nothing instead."""
    changed = copy.deepcopy(body)
    changed["manifest"]["sources"].pop(unique_id)
    for node in changed["manifest"]["nodes"].values():
        deps = (node.get("depends_on") or {}).get("nodes") or []
        if unique_id in deps:
            deps.remove(unique_id)
    return changed


class TestEventsBecomeTheGraph:
    def test_a_run_makes_a_job_between_its_datasets(self, client: TestClient) -> None:
        out = post(client, loader_events(str(uuid.uuid4())))
        assert (out["received"], out["applied"], out["duplicates"]) == (2, 2, 0)
        job = capsule(client, JOB)
        assert (job["capsule_type"], job["source"], job["asserted_by"]) == (
            "job",
            "openlineage",
            ["openlineage"],
        )
        assert job["last_run"]["status"] == "success"
        crm = capsule(client, CRM_TABLE)
        assert crm["capsule_type"] == "dataset"
        assert crm["column_count"] == 3
        nodes, edges = lineage(client, JOB, "both", 1)
        assert (CRM_TABLE, JOB) in edges
        assert len(nodes) == 3

    def test_schema_and_column_lineage_facets(self, client: TestClient) -> None:
        post(client, loader_events(str(uuid.uuid4())))
        columns = client.get(f"/api/v1/capsules/{path(CRM_TABLE)}/columns").json()["data"]
        assert {c["name"]: c["data_type"] for c in columns} == {
            "id": "integer",
            "first_name": "text",
            "email": "text",
        }
        raw = "urn:dab:openlineage:dataset:duckdb%3A%2F%2Fjaffle_shop:jaffle_shop.raw.raw_customers"
        target = (
            "urn:dab:openlineage:column:duckdb%3A%2F%2Fjaffle_shop:jaffle_shop.raw.raw_customers.first_name"
        )
        assert capsule(client, raw)["column_count"] == 2
        response = client.get(
            f"/api/v1/columns/{path(target)}/lineage", params={"direction": "upstream", "depth": 2}
        )
        assert response.status_code == 200, response.text
        sources = {e["source"] for e in response.json()["edges"]}
        crm_column = CRM_TABLE.replace(":dataset:", ":column:") + ".first_name"
        assert sources == {crm_column}

    def test_run_history_keeps_one_row_per_run_and_the_final_state(self, client: TestClient) -> None:
        run_id = str(uuid.uuid4())
        post(client, loader_events(run_id)[::-1])  # COMPLETE before START: START must not win
        failed = run_event("FAIL", run_id=str(uuid.uuid4()), time="2026-11-30T09:00:00+00:00")
        post(client, failed)
        job = capsule(client, JOB)
        assert job["last_run"]["status"] == "error"
        assert job["last_run"]["completed_at"].startswith("2026-11-30T09:00:00")

    def test_dataset_and_job_events(self, client: TestClient) -> None:
        ds = {
            "eventTime": "2026-11-30T08:00:00Z",
            "producer": "https://x.example/p",
            "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/DatasetEvent",
            "dataset": dataset(CRM, "crm.public.orders", {"id": "integer"}),
        }
        job = {
            "eventTime": "2026-11-30T08:00:00Z",
            "producer": "https://x.example/p",
            "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/JobEvent",
            "job": {"namespace": "airflow", "name": "dag.export"},
            "inputs": [dataset(CRM, "crm.public.orders")],
        }
        out = post(client, [ds, job])
        assert out["applied"] == 2
        nodes, _ = lineage(client, "urn:dab:openlineage:job:airflow:dag.export", "upstream", 1)
        assert (
            "urn:dab:openlineage:dataset:postgres%3A%2F%2Fcrm%2Eexample%2Ecom%3A5432:crm.public.orders"
            in nodes
        )


class TestIdempotence:
    def test_the_same_events_again_change_nothing(self, client: TestClient, database_url: str) -> None:
        events = loader_events(str(uuid.uuid4()))
        post(client, events)
        before = snapshot(database_url)
        out = post(client, events)
        assert (out["applied"], out["duplicates"]) == (0, 2)
        assert snapshot(database_url) == before

    def test_duplicates_inside_one_batch_count_once(self, client: TestClient) -> None:
        event = run_event("START")
        out = post(client, [event, event])
        assert (out["applied"], out["duplicates"]) == (1, 1)


class TestInvalidEvents:
    @pytest.mark.parametrize(
        ("mutate", "path"),
        [
            (lambda e: e["run"].update(runId="not-a-uuid"), "$[1].run.runId"),
            (lambda e: e.pop("eventTime"), "$[1]"),
            (lambda e: e["job"].pop("name"), "$[1].job"),
            (lambda e: e.update(eventType="DONE"), "$[1].eventType"),
            (lambda e: e["outputs"].append({"namespace": "x"}), "$[1].outputs[0]"),
            (lambda e: e.update(eventTime="yesterday"), "$[1].eventTime"),
            (lambda e: e.update(eventTime="2026-06-30T23:59:60Z"), "$[1].eventTime"),
        ],
    )
    def test_refused_naming_the_json_path_and_nothing_stored(
        self, client: TestClient, database_url: str, mutate: Any, path: str
    ) -> None:
        good, bad = run_event("START"), run_event("COMPLETE", job="other")
        mutate(bad)
        before = snapshot(database_url)
        body = post(client, [good, bad], 422)
        assert path in body["detail"], body
        assert snapshot(database_url) == before

    @pytest.mark.parametrize("body", [b"{not json", b"[]", b"42", b"[1]"])
    def test_not_events_at_all(self, client: TestClient, body: bytes) -> None:
        response = client.post(LINEAGE, content=body, headers={"Content-Type": "application/json"})
        assert response.status_code == 422, response.text

    def test_bearer_key_is_the_clients_auth(self, client: TestClient) -> None:
        response = client.post(
            LINEAGE, json=run_event("START"), headers={"X-API-Key": "", "Authorization": "Bearer nope"}
        )
        assert response.status_code == 401


class TestAcrossSources:
    def test_a_loader_job_reaches_dbt_lineage_and_survives_dbt_dropping_the_source(
        self, client: TestClient
    ) -> None:
        body = artifacts()
        ingest_dbt(client, body)
        out = post(client, loader_events(str(uuid.uuid4())))
        assert out["matched_dbt_nodes"] == {
            "urn:dab:openlineage:dataset:duckdb%3A%2F%2Fjaffle_shop:jaffle_shop.raw.raw_customers": SOURCE
        }
        assert capsule(client, SOURCE)["asserted_by"] == ["dbt", "openlineage"]
        nodes, edges = lineage(client, STG, "upstream")
        assert {SOURCE, JOB, CRM_TABLE} <= nodes
        assert {(CRM_TABLE, JOB), (JOB, SOURCE), (SOURCE, STG)} <= edges

        job = ingest_dbt(client, without_source(body, "source.jaffle_shop.jaffle_shop.customers"))
        assert job["stats"]["provenance"]["handed_over"] == [SOURCE]
        kept = capsule(client, SOURCE)
        assert (kept["asserted_by"], kept["capsule_type"]) == (["openlineage"], "dataset")
        assert kept["tests"] == []  # dbt's tests on the source were dbt's assertion
        nodes, edges = lineage(client, SOURCE, "both")
        assert edges == {(CRM_TABLE, JOB), (JOB, SOURCE)}
        assert capsule(client, JOB)["asserted_by"] == ["openlineage"]

        back = ingest_dbt(client, body)  # the source returns: dbt takes its node back
        assert back["stats"]["provenance"]["reclaimed"] == [SOURCE]
        assert capsule(client, SOURCE)["asserted_by"] == ["dbt", "openlineage"]
        assert capsule(client, SOURCE)["capsule_type"] == "source"
        _, edges = lineage(client, STG, "upstream")
        assert {(JOB, SOURCE), (SOURCE, STG)} <= edges

    def test_events_before_dbt_declares_the_relation_are_adopted(self, client: TestClient) -> None:
        post(client, loader_events(str(uuid.uuid4())))  # no dbt project yet: a dataset of its own
        stand_in = "urn:dab:openlineage:dataset:duckdb%3A%2F%2Fjaffle_shop:jaffle_shop.raw.raw_customers"
        assert capsule(client, stand_in)["capsule_type"] == "dataset"
        job = ingest_dbt(client, artifacts())
        assert job["stats"]["provenance"]["adopted"] == [stand_in]
        assert client.get(f"/api/v1/capsules/{path(stand_in)}").status_code == 404
        assert capsule(client, SOURCE)["asserted_by"] == ["dbt", "openlineage"]
        _, edges = lineage(client, STG, "upstream")
        assert {(CRM_TABLE, JOB), (JOB, SOURCE), (SOURCE, STG)} <= edges
        first_name = "urn:dab:dbt:column:jaffle_shop:jaffle_shop.customers.first_name"
        response = client.get(f"/api/v1/columns/{path(first_name)}/lineage", params={"direction": "upstream"})
        assert {e["source"] for e in response.json()["edges"]} == {
            CRM_TABLE.replace(":dataset:", ":column:") + ".first_name"
        }
        again = ingest_dbt(client, artifacts())  # nothing left to adopt
        assert again["stats"].get("provenance", {}).get("adopted", []) == []

    def test_a_dbt_project_cannot_take_the_event_sources_name(self, client: TestClient) -> None:
        post(client, loader_events(str(uuid.uuid4())))
        response = client.post(
            "/api/v1/ingest/dbt", params={"wait": "true"}, json={**artifacts(), "project_name": "openlineage"}
        )
        assert response.status_code == 409, response.text
        assert capsule(client, JOB)["asserted_by"] == ["openlineage"]

    def test_unrelated_engine_is_not_the_same_node(self, client: TestClient) -> None:
        ingest_dbt(client, artifacts())
        other = dataset("snowflake://acme", "jaffle_shop.raw.raw_customers")
        out = post(client, run_event("COMPLETE", outputs=[other]))
        assert out["matched_dbt_nodes"] == {}

    def test_new_node_types_in_list_search_impact_and_export(self, client: TestClient) -> None:
        ingest_dbt(client, artifacts())
        post(client, loader_events(str(uuid.uuid4())))
        listed = client.get("/api/v1/capsules", params={"capsule_type": "job"}).json()
        assert [c["urn"] for c in listed["data"]] == [JOB]
        assert client.get("/api/v1/capsules", params={"limit": 1000}).status_code == 200
        assert client.get("/api/v1/search", params={"q": "load_customers"}).status_code == 200
        impact = client.get(f"/api/v1/capsules/{path(JOB)}/impact", params={"depth": 5})
        assert impact.status_code == 200, impact.text
        for fmt in ("graphml", "dot", "cypher", "mermaid", "json-ld"):
            response = client.get("/api/v1/graph/export", params={"format": fmt})
            assert response.status_code == 200, (fmt, response.text[:300])
            assert "load_customers" in response.text, fmt
        found = evaluate(client, scope="full", persist_violations=True)["violations"]
        assert found["total"] > 0  # the dbt project still breaks rules: the evaluation ran
        subjects = [v["subject_urn"] for v in found["data"]]
        assert not [s for s in subjects if s.startswith("urn:dab:openlineage:")]


class TestRunHistoryFeedsProducts:
    def test_job_runs_count_for_freshness_and_availability(self, client: TestClient) -> None:
        post(client, loader_events(str(uuid.uuid4())))  # COMPLETE at 08:05
        post(client, run_event("FAIL", time="2026-11-30T09:00:00+00:00"))
        now = datetime(2026, 11, 30, 12, 5, tzinfo=UTC)
        client.app.dependency_overrides[get_clock] = lambda: now  # type: ignore[attr-defined]
        try:
            product = create_product(client, "Loads", slo_freshness_hours=6, slo_availability_percent=90)
            add_member(client, str(product["id"]), JOB, "output")
            body = client.get(f"/api/v1/products/{product['id']}/slo-status").json()
        finally:
            client.app.dependency_overrides.clear()  # type: ignore[attr-defined]
        assert body["freshness"]["actual"] == 4.0  # the last successful run finished at 08:05
        assert body["availability"]["actual"] == 50.0
        assert body["availability"]["evidence"]["by_status"] == {"error": 1, "success": 1}
