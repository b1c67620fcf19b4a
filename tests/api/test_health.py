"""Health, liveness and readiness; problem+json; request ids."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

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
