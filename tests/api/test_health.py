"""Health, liveness and readiness; problem+json; request ids."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from dab import __version__
from dab.api.main import create_app
from dab.settings import Settings


class TestHealth:
    def test_full_health_reports_database_cache_version_and_uptime(self, client: TestClient) -> None:
        response = client.get("/api/v1/health", headers={"X-API-Key": ""})
        assert response.status_code == 200
        body = response.json()
        assert body["status"] == "healthy"
        assert body["database"] == "connected"
        assert body["cache"] in {"in-process", "connected"}
        assert body["version"] == __version__
        assert body["uptime_seconds"] >= 0

    def test_liveness_and_readiness_need_no_key(self, settings: Settings) -> None:
        with TestClient(create_app(settings)) as anonymous:
            assert anonymous.get("/api/v1/health/live").json() == {"status": "alive"}
            assert anonymous.get("/api/v1/health/ready").json() == {"status": "ready"}
            assert anonymous.get("/metrics").status_code == 200
            assert anonymous.get("/openapi.json").status_code == 200


class TestReadiness:
    def test_unreachable_database_answers_503_with_a_reason(self, tmp_path: Path, settings: Settings) -> None:
        # A directory is not a database file: SQLite cannot open it, a real connection failure.
        broken_dir = tmp_path / "not-a-file"
        broken_dir.mkdir()
        broken = settings.model_copy(update={"database_url": f"sqlite+aiosqlite:///{broken_dir}"})
        if settings.database_url and settings.database_url.startswith("postgresql"):
            broken = settings.model_copy(
                update={"database_url": "postgresql+asyncpg://nobody:x@127.0.0.1:1/none"}
            )
        with TestClient(create_app(broken)) as c:
            response = c.get("/api/v1/health/ready")
            assert response.status_code == 503
            assert response.headers["content-type"] == "application/problem+json"
            assert "database unreachable" in response.json()["detail"]
            assert c.get("/api/v1/health").json()["database"] == "disconnected"
            assert c.get("/api/v1/health/live").status_code == 200


class TestProblemsAndRequestIds:
    def test_unknown_route_is_problem_json_with_request_id(self, client: TestClient) -> None:
        response = client.get("/api/v1/does-not-exist", headers={"X-Request-ID": "req-123"})
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["x-request-id"] == "req-123"
        body = response.json()
        assert body["request_id"] == "req-123"
        assert body["status"] == 404
        assert set(body) >= {"type", "title", "status", "detail", "instance"}

    def test_request_id_is_generated_when_absent(self, client: TestClient) -> None:
        response = client.get("/api/v1/health/live")
        assert len(response.headers["x-request-id"]) == 32


async def _set_revision(url: str, revision: str) -> str:
    """Point alembic_version at ``revision`` (a real change the probe must notice); the old one."""
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            old = str(await connection.scalar(text("SELECT version_num FROM alembic_version")))
            await connection.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": revision})
        return old
    finally:
        await engine.dispose()


class TestSharedProbe:
    def test_requests_within_a_second_share_one_database_probe(self, settings: Settings) -> None:
        with TestClient(create_app(settings)) as c:
            for _ in range(20):
                assert c.get("/api/v1/health/ready").status_code == 200
                assert c.get("/api/v1/health").json()["database"] == "connected"
            assert 1 <= c.app.state.health_check.probes <= 3  # type: ignore[attr-defined]

    def test_liveness_does_no_probe(self, settings: Settings) -> None:
        with TestClient(create_app(settings)) as c:
            for _ in range(5):
                assert c.get("/api/v1/health/live").status_code == 200
            assert getattr(c.app.state, "health_check", None) is None  # type: ignore[attr-defined]

    def test_a_cached_ok_never_hides_a_failure_for_more_than_a_second(self, settings: Settings) -> None:
        url = settings.effective_database_url
        with TestClient(create_app(settings)) as c:
            assert c.get("/api/v1/health/ready").status_code == 200  # a good answer is now cached
            head = asyncio.run(_set_revision(url, "not-this-code"))
            try:
                changed = time.monotonic()
                while True:
                    # Timed from when the request was sent: a loaded machine may take long to answer.
                    sent = time.monotonic()
                    if (response := c.get("/api/v1/health/ready")).status_code != 200:
                        break
                    assert sent - changed < 1.5, "a cached OK hid the failure"
                    time.sleep(0.05)
                assert response.status_code == 503
                assert "not up to date" in response.json()["detail"]
                assert c.get("/api/v1/health").json()["database"] == "unmigrated"
            finally:
                asyncio.run(_set_revision(url, head))
            # A failure is never cached: recovery shows on the very next request.
            assert c.get("/api/v1/health/ready").status_code == 200
