"""Runbook metrics: names, and route labels that are templates, not raw paths."""

from __future__ import annotations

from fastapi.testclient import TestClient


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
