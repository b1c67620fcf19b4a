"""How a batch of events is written: new columns indexed for search by multi-row statements, known
columns re-typed without a rewrite, batches that mix new and already applied events, and
relation matching skipped while no dbt project is stored."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient
from tests.api.governance_helpers import add_member, create_product
from tests.api.openlineage_helpers import CRM, dataset, run_event

LINEAGE = "/api/v1/lineage"


def _wide_events(tables: int, fields: int, kind: str = "integer") -> list[dict[str, Any]]:
    outputs = [
        dataset(CRM, f"crm.wide.table_{t}", {f"measure_{t}_{f}": kind for f in range(fields)})
        for t in range(tables)
    ]
    return [run_event("COMPLETE", job="widen", run_id=str(uuid.uuid4()), outputs=outputs)]


def _columns(client: TestClient, q: str) -> list[dict[str, Any]]:
    response = client.get("/api/v1/columns", params={"q": q, "limit": 100})
    assert response.status_code == 200, response.text
    return list(response.json()["data"])


def test_a_batch_of_many_new_columns_is_searchable(client: TestClient) -> None:
    tables, fields = 12, 12
    response = client.post(LINEAGE, json=_wide_events(tables, fields))
    assert response.status_code == 200, response.text
    found = _columns(client, "measure_7_")
    assert {c["name"] for c in found} == {f"measure_7_{f}" for f in range(fields)}
    # A column written alone afterwards is indexed too.
    small = [run_event("COMPLETE", job="one", outputs=[dataset(CRM, "crm.wide.extra", {"zz_late": "text"})])]
    assert client.post(LINEAGE, json=small).status_code == 200
    assert [c["name"] for c in _columns(client, "zz_late")] == ["zz_late"]


def test_a_new_type_updates_the_column_and_keeps_it_searchable(client: TestClient) -> None:
    assert client.post(LINEAGE, json=_wide_events(1, 3, "integer")).status_code == 200
    assert client.post(LINEAGE, json=_wide_events(1, 3, "bigint")).status_code == 200
    found = _columns(client, "measure_0_")
    assert sorted((c["name"], c["data_type"]) for c in found) == [
        (f"measure_0_{f}", "bigint") for f in range(3)
    ]


def test_a_batch_mixing_applied_and_new_events_writes_only_the_new_ones(client: TestClient) -> None:
    first = run_event("COMPLETE", job="a", outputs=[dataset(CRM, "crm.public.a", {"x": "int"})])
    assert client.post(LINEAGE, json=[first]).json()["applied"] == 1
    second = run_event("COMPLETE", job="b", outputs=[dataset(CRM, "crm.public.b", {"y": "int"})])
    body = client.post(LINEAGE, json=[first, second, second]).json()
    assert (body["applied"], body["duplicates"], body["jobs"], body["runs"]) == (1, 2, 1, 1)


def test_without_a_dbt_project_no_dataset_is_matched(client: TestClient) -> None:
    event = run_event("COMPLETE", outputs=[dataset("duckdb://jaffle_shop", "jaffle_shop.raw.raw_customers")])
    body = client.post(LINEAGE, json=[event]).json()
    assert body["matched_dbt_nodes"] == {}
    assert body["datasets"] == 1


def test_a_run_finished_before_its_start_in_one_batch_stays_finished(client: TestClient) -> None:
    """One statement writes a run once: the batch's rows for it collapse as if applied in order."""
    run_id = str(uuid.uuid4())
    out = [dataset(CRM, "crm.public.ordered", {"x": "int"})]
    done = run_event("COMPLETE", job="late_start", run_id=run_id, outputs=out)
    start = run_event("START", job="late_start", run_id=run_id, outputs=out, time="2026-11-30T07:59:00+00:00")
    assert client.post(LINEAGE, json=[done, start]).status_code == 200
    product = create_product(client, "Ordered", slo_availability_percent=90)
    add_member(client, str(product["id"]), "urn:dab:openlineage:job:airbyte:late_start", "output")
    body = client.get(f"/api/v1/products/{product['id']}/slo-status").json()
    assert body["availability"]["evidence"]["by_status"] == {"success": 1}
