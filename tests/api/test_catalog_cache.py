"""Cached reads: hits after misses, invalidation by re-ingestion, and Redis dying mid-run."""

from __future__ import annotations

import copy
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from tests.live_server import free_port

from dab.api.main import create_app
from dab.settings import Settings

V12 = Path(__file__).parents[1] / "fixtures" / "dbt" / "v12"
API = "/api/v1"
REDIS_URL = os.environ.get("DAB_TEST_REDIS_URL")
ORDERS = "urn:dab:dbt:model:jaffle_shop:orders"
READS = [
    f"/capsules/{ORDERS}",
    "/capsules?layer=gold",
    f"/capsules/{ORDERS}/lineage?direction=both&depth=2",
    "/search?q=orders",
]


def artifacts() -> dict[str, Any]:
    return {
        k: orjson.loads((V12 / f"{k}.json").read_bytes())
        for k in ("manifest", "catalog", "run_results", "sources")
    }


def changed(body: dict[str, Any], description: str) -> dict[str, Any]:
    new = copy.deepcopy(body)
    new["manifest"]["nodes"]["model.jaffle_shop.orders"]["description"] = description
    return new


def ingest(client: TestClient, body: dict[str, Any]) -> None:
    response = client.post(f"{API}/ingest/dbt?wait=true", json=body)
    assert response.status_code == 201, response.text


class TestCachedReads:
    def test_second_read_is_a_hit_with_the_same_body(self, client: TestClient) -> None:
        ingest(client, artifacts())
        for path in READS:
            first, second = client.get(API + path), client.get(API + path)
            assert (first.status_code, second.status_code) == (200, 200)
            assert (first.headers["x-cache"], second.headers["x-cache"]) == ("miss", "hit")
            assert first.content == second.content
        metrics = client.get("/metrics").text
        assert "dab_cache_hits_total" in metrics

    def test_query_parameter_order_does_not_matter(self, client: TestClient) -> None:
        ingest(client, artifacts())
        assert client.get(f"{API}/capsules?layer=gold&limit=5").headers["x-cache"] == "miss"
        assert client.get(f"{API}/capsules?limit=5&layer=gold").headers["x-cache"] == "hit"

    def test_errors_are_not_cached(self, client: TestClient) -> None:
        ingest(client, artifacts())
        for _ in range(2):
            assert client.get(f"{API}/capsules/urn:nope").status_code == 404

    def test_reingesting_a_changed_manifest_invalidates(self, client: TestClient) -> None:
        body = artifacts()
        ingest(client, body)
        before = client.get(f"{API}/capsules/{ORDERS}").json()
        assert client.get(f"{API}/capsules/{ORDERS}").headers["x-cache"] == "hit"
        ingest(client, changed(body, "Rewritten description."))
        after = client.get(f"{API}/capsules/{ORDERS}")
        assert after.headers["x-cache"] == "miss"
        assert after.json()["description"] == "Rewritten description."
        assert before["description"] != after.json()["description"]
        found = client.get(f"{API}/capsules", params={"q": "rewritten"}).json()
        assert [c["urn"] for c in found["data"]] == [ORDERS]


@pytest.fixture
def private_redis() -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", ""],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.05)
    try:
        yield process, f"redis://127.0.0.1:{port}/0"
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=5)


@pytest.mark.redis
@pytest.mark.skipif(not REDIS_URL, reason="DAB_TEST_REDIS_URL is not set")
class TestRedisGoingAway:
    def test_reads_answer_and_stay_correct_after_redis_dies(
        self, settings: Settings, private_redis: tuple[subprocess.Popen[bytes], str]
    ) -> None:
        process, url = private_redis
        app = create_app(settings.model_copy(update={"cache_redis_url": url}))
        key = settings.api_keys[0].get_secret_value()
        with TestClient(app, headers={"X-API-Key": key}) as client:
            assert app.state.cache.backend == "redis"
            body = artifacts()
            ingest(client, body)
            baseline = {path: client.get(API + path).content for path in READS}
            assert all(client.get(API + path).headers["x-cache"] == "hit" for path in READS)

            process.kill()
            process.wait(timeout=5)
            for path in READS:
                response = client.get(API + path)
                assert response.status_code == 200, response.text
                assert response.content == baseline[path]

            ingest(client, changed(body, "Written while Redis was down."))
            detail = client.get(f"{API}/capsules/{ORDERS}")
            assert detail.status_code == 200
            assert detail.json()["description"] == "Written while Redis was down."
            assert all(client.get(API + path).status_code == 200 for path in READS)
