"""Every route but health, metrics and the docs refuses a missing or wrong API key."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from dab.api.auth import key_matches
from dab.api.main import create_app
from dab.settings import Settings

EXEMPT = re.compile(r"^(/api/v1/health(/.*)?|/metrics|/docs.*|/redoc|/openapi\.json)$")


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x", path)


def _operations(settings: Settings) -> list[tuple[str, str]]:
    """Every (method, path) the app serves, from its OpenAPI document.

    ``app.routes`` no longer lists the routes of included routers in current FastAPI, so it
    cannot be walked; the OpenAPI paths are the public list (``/metrics`` is added by hand).
    """
    schema = create_app(settings).openapi()
    operations = [(method.upper(), path) for path, item in schema["paths"].items() for method in item]
    return [*operations, ("GET", "/metrics"), ("GET", "/openapi.json"), ("GET", "/docs")]


class TestApiKeys:
    def test_every_protected_route_answers_401_without_or_with_a_wrong_key(self, settings: Settings) -> None:
        protected = [(m, p) for m, p in _operations(settings) if not EXEMPT.match(p)]
        # The walk must cover the whole surface, not an empty list.
        assert len(protected) >= 20
        assert {p for _, p in protected} >= {
            "/api/v1/ingest/dbt",
            "/api/v1/capsules/{urn}",
            "/api/v1/conformance/evaluate",
        }
        with TestClient(create_app(settings)) as anonymous:
            for method, path in protected:
                for headers in ({}, {"X-API-Key": "wrong"}):
                    response = anonymous.request(method, _concrete(path), headers=headers)
                    assert response.status_code == 401, (method, path, headers, response.text)
                    assert response.headers["content-type"] == "application/problem+json"

    def test_exempt_routes_answer_without_a_key(self, settings: Settings) -> None:
        exempt = [(m, p) for m, p in _operations(settings) if EXEMPT.match(p)]
        assert len(exempt) >= 5
        with TestClient(create_app(settings)) as anonymous:
            for method, path in exempt:
                assert anonymous.request(method, path).status_code < 400, path

    def test_a_valid_key_is_accepted(self, client: TestClient) -> None:
        assert client.get("/api/v1/ingest/jobs").status_code == 200

    def test_auth_disabled_lets_requests_through(self, settings: Settings) -> None:
        open_settings = settings.model_copy(update={"auth_enabled": False})
        with TestClient(create_app(open_settings)) as anonymous:
            assert anonymous.get("/api/v1/ingest/jobs").status_code == 200

    @pytest.mark.parametrize(("candidate", "expected"), [("k2", True), ("k", False), ("", False)])
    def test_key_comparison(self, candidate: str, expected: bool) -> None:
        assert key_matches(candidate, ["k1", "k2"]) is expected


class TestDevelopmentKey:
    def test_generated_once_and_kept_under_dab_home(
        self, settings: Settings, capsys: pytest.CaptureFixture[str]
    ) -> None:
        dev = settings.model_copy(update={"api_keys": [], "environment": "development"})
        with TestClient(create_app(dev)) as c:
            key = (dev.dab_home / "api_key").read_text().strip()
            assert c.get("/api/v1/ingest/jobs", headers={"X-API-Key": key}).status_code == 200
            assert c.get("/api/v1/ingest/jobs").status_code == 401
        assert key in capsys.readouterr().err
        with TestClient(create_app(dev)):
            assert (dev.dab_home / "api_key").read_text().strip() == key
        assert oct((dev.dab_home / "api_key").stat().st_mode & 0o777) == "0o600"
