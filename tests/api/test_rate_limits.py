"""RATE_LIMIT_DEFAULT applies per API key to every route but health, metrics and docs."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from tests.conftest import REDIS_URL

from dab.api.main import create_app
from dab.settings import Settings


@pytest.mark.parametrize("storage", ["memory", "redis"])
def test_the_request_over_the_limit_gets_a_429_problem(settings: Settings, storage: str) -> None:
    if storage == "redis" and not REDIS_URL:
        pytest.skip("DAB_TEST_REDIS_URL is not set")
    uri = REDIS_URL if storage == "redis" else None
    # Fresh keys: counters in a shared Redis outlive a test run by up to the window.
    mine_key, other_key = f"k-{uuid.uuid4().hex}", f"k-{uuid.uuid4().hex}"
    limited = settings.model_copy(
        update={
            "rate_limit_storage_uri": uri,
            "rate_limit_enabled": True,
            "rate_limit_default": "5/minute",
            "api_keys": [SecretStr(mine_key), SecretStr(other_key)],
        }
    )
    with TestClient(create_app(limited)) as c:
        mine = {"X-API-Key": mine_key}
        codes = [c.get("/api/v1/ingest/jobs", headers=mine).status_code for _ in range(6)]
        assert codes == [200] * 5 + [429]
        refused = c.get("/api/v1/ingest/jobs", headers=mine)
        assert refused.headers["content-type"] == "application/problem+json"
        assert "rate limit" in refused.json()["detail"]
        # Another key has its own budget; health and metrics are never limited.
        assert c.get("/api/v1/ingest/jobs", headers={"X-API-Key": other_key}).status_code == 200
        assert all(c.get("/api/v1/health/live").status_code == 200 for _ in range(10))
        assert all(c.get("/metrics").status_code == 200 for _ in range(10))
