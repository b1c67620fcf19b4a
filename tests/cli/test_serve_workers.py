"""`dab serve --workers 4`: every worker's /metrics reports the sums over all workers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families
from tests.cli.test_serve_restart import _free_port

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
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "CACHE_REDIS_URL")}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    env.update({"DAB_HOME": str(tmp_path), "API_KEYS": "k", "RATE_LIMIT_ENABLED": "false"})
    server = subprocess.Popen(
        [sys.executable, "-m", "dab", "serve", "--port", str(port), "--workers", "4"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if httpx.get(base + "/api/v1/health/ready", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        else:
            raise AssertionError("dab serve --workers 4 did not start")
        time.sleep(2)  # let every worker finish starting, so requests spread over all of them
        for _ in range(40):
            assert httpx.get(base + LIVE, headers={"Connection": "close"}).status_code == 200
        scrapes = [httpx.get(base + "/metrics", headers={"Connection": "close"}).text for _ in range(8)]
        assert {_live_counts(text) for text in scrapes} == {(40.0, 40.0)}
    finally:
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=60) == 0
