"""A stored time reads the same in a write's answer, a list, a read by id and a report.

Writes answer through pydantic (``...Z``); reads, reports and problem details are orjson bytes.
Both must write an aware UTC datetime the same way, or a client comparing the strings sees two
values for one field.
"""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from tests.api.governance_helpers import ORDERS, add_member, create_product, ingest
from tests.api.ingest_helpers import artifacts

UTC_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


@pytest.fixture
def ingested(client: TestClient) -> None:
    ingest(client, artifacts())


@pytest.mark.usefixtures("ingested")
def test_a_tag_reads_as_it_was_written(client: TestClient) -> None:
    created = client.post("/api/v1/tags", json={"name": "gold-ready"})
    assert created.status_code == 201, created.text
    written = created.json()["created_at"]
    assert UTC_Z.match(written), written
    by_urn = client.get(f"/api/v1/tags/{created.json()['urn']}").json()["created_at"]
    listed = [
        t["created_at"] for t in client.get("/api/v1/tags").json()["data"] if t["id"] == created.json()["id"]
    ]
    assert by_urn == written
    assert listed == [written]


@pytest.mark.usefixtures("ingested")
def test_reads_and_reports_write_utc_times_with_z(client: TestClient) -> None:
    capsule = client.get(f"/api/v1/capsules/{ORDERS}").json()
    assert UTC_Z.match(capsule["updated_at"]), capsule["updated_at"]
    listed = client.get("/api/v1/capsules", params={"limit": 1}).json()["data"][0]
    assert UTC_Z.match(listed["updated_at"]), listed["updated_at"]
    report = client.get("/api/v1/reports/conformance", params={"format": "json"})
    assert report.status_code == 200, report.text
    stamps = re.findall(r'"[a-z_]*_at":"([^"]+)"', report.text)
    assert stamps and all(UTC_Z.match(s) for s in stamps), stamps


@pytest.mark.usefixtures("ingested")
def test_slo_status_times_read_like_every_other_time(client: TestClient) -> None:
    product = create_product(client, "orders-slo", slo_freshness_hours=24, slo_availability_percent=90)
    add_member(client, product["id"], ORDERS, "output")
    status = client.get(f"/api/v1/products/{product['id']}/slo-status")
    assert status.status_code == 200, status.text
    stamps = re.findall(r'"(?:[a-z_]*_at|as_of|window_start)":"([^"]+)"', status.text)
    assert len(stamps) >= 3 and all(UTC_Z.match(s) for s in stamps), stamps
