"""Runbook metrics: names, and route labels that are templates, not raw paths."""

from __future__ import annotations

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from tests.api.ingest_helpers import artifacts


def test_http_metrics_are_labelled_by_route_template(client: TestClient) -> None:
    client.get("/api/v1/health")
    client.get("/api/v1/capsules/urn:dab:dbt:model:nowhere:nothing")
    client.get("/api/v1/no-such-route")
    text = client.get("/metrics").text
    assert 'dab_http_requests_total{method="GET",route="/api/v1/health",status="200"}' in text
    assert 'dab_http_requests_total{method="GET",route="/api/v1/capsules/{urn}",status="404"}' in text
    assert 'route="unmatched",status="404"' in text
    assert "urn:dab:dbt:model:nowhere" not in text  # raw paths would make the label set unbounded
    for name in (
        "dab_http_request_duration_seconds_bucket",
        "dab_db_query_duration_seconds_bucket",
        "dab_capsule_count",
        "dab_cache_misses_total",
        "dab_cache_hits_total",
    ):
        assert name in text, name


def _samples(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of the exposition, parsed by Prometheus' own text parser."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(client.get("/metrics").text)
        for sample in family.samples
    }


def _value(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_count_what_happened(client: TestClient) -> None:
    """Values, not names: a no-op instrumentation would leave every one of these unchanged."""
    before = _samples(client)
    route = {"method": "GET", "route": "/api/v1/capsules", "status": "200"}
    for _ in range(3):
        assert client.get("/api/v1/capsules").status_code == 200
    assert client.post("/api/v1/ingest/dbt", params={"wait": "true"}, json=artifacts()).status_code == 201
    bad = {"manifest": {"metadata": {}}}
    assert client.post("/api/v1/ingest/dbt", params={"wait": "true"}, json=bad).status_code == 422
    client.get("/api/v1/capsules", params={"limit": 7})
    client.get("/api/v1/capsules", params={"limit": 7})  # the same read again: a cache hit
    after = _samples(client)

    def grew(name: str, **labels: str) -> float:
        return _value(after, name, **labels) - _value(before, name, **labels)

    assert grew("dab_http_requests_total", **route) == 5
    duration = {"method": "GET", "route": "/api/v1/capsules"}
    assert grew("dab_http_request_duration_seconds_count", **duration) == 5
    assert grew("dab_http_request_duration_seconds_sum", **duration) > 0
    assert grew("dab_ingestion_total", source="dbt", status="completed") == 1
    assert grew("dab_ingestion_total", source="dbt", status="failed") == 1
    assert grew("dab_db_query_duration_seconds_count") > 10
    assert grew("dab_cache_hits_total") >= 1
    assert grew("dab_cache_misses_total") >= 1
    total = client.get("/api/v1/capsules").json()["total"]
    assert _value(_samples(client), "dab_capsule_count") == total > 0
