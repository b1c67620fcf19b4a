"""`dab serve --workers 4`: every worker's /metrics reports the sums over all workers."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families
from tests.cli.live_server import live_server

LIVE = "/api/v1/health/live"


def _live_counts(text: str) -> tuple[float, float]:
    requests = observed = 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.labels.get("route") != LIVE:
                continue
            if sample.name == "dab_http_requests_total":
                requests += sample.value
            elif sample.name == "dab_http_request_duration_seconds_count":
                observed += sample.value
    return requests, observed


def test_four_workers_report_summed_counters_and_histograms(tmp_path: Path) -> None:
    with live_server(tmp_path, workers=4) as (base, server):
        time.sleep(2)  # let every worker finish starting, so requests spread over all of them
        for _ in range(40):
            assert httpx.get(base + LIVE, headers={"Connection": "close"}).status_code == 200
        scrapes = [httpx.get(base + "/metrics", headers={"Connection": "close"}).text for _ in range(8)]
        assert {_live_counts(text) for text in scrapes} == {(40.0, 40.0)}
    assert server.returncode == 0  # SIGTERM is a clean stop
