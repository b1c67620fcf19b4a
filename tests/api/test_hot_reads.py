"""Capsule detail and lineage answered before routing (api/hot_reads.py): byte for byte the
routed answer, the same refusals and errors, the route's metrics label, and the cache kept."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from tests.api.test_catalog_cache import API, ORDERS, artifacts, ingest
from tests.api.test_metrics import _samples, _value
from tests.conftest import TEST_API_KEY

from dab.api.deps import get_clock
from dab.api.hot_reads import HotReads
from dab.api.main import create_app
from dab.settings import Settings

CUSTOMERS = "urn:dab:dbt:model:jaffle_shop:customers"
HOT = [
    f"/capsules/{ORDERS}",
    f"/capsules/{CUSTOMERS}",
    f"/capsules/{ORDERS}/lineage",
    f"/capsules/{ORDERS}/lineage?direction=both&depth=5",
    f"/capsules/{ORDERS}/lineage?depth=1&direction=upstream",
    f"/capsules/{CUSTOMERS}/lineage?direction=downstream&depth=2&unknown=1",
    f"/capsules/{ORDERS}?extra=ignored",
]
# Requests the hot path leaves to routing; their answers must not change either.
ROUTED = [
    f"/capsules/{ORDERS}/columns",
    f"/capsules/{ORDERS}/impact",
    f"/capsules/{ORDERS}/violations",
    f"/capsules/{ORDERS}/lineage/lineage",
    f"/capsules/{ORDERS}/columns/lineage",
    "/capsules/urn:dab:dbt:model:jaffle_shop:nope",
    "/capsules/urn:dab:dbt:model:jaffle_shop:nope/lineage",
    f"/capsules/{ORDERS}/lineage?depth=0",
    f"/capsules/{ORDERS}/lineage?depth=99",
    f"/capsules/{ORDERS}/lineage?depth=05",
    f"/capsules/{ORDERS}/lineage?depth=x",
    f"/capsules/{ORDERS}/lineage?depth=",
    f"/capsules/{ORDERS}/lineage?direction=sideways",
    f"/capsules/{ORDERS}/lineage?depth=1&depth=2",
    f"/capsules/{ORDERS}?limit=99999999999",
    f"/capsules/{ORDERS}/lineage?limit=2",
    "/capsules/",
    "/capsules//lineage",
]


@pytest.fixture
def uncached(settings: Settings) -> Iterator[TestClient]:
    app = create_app(settings.model_copy(update={"cache_enabled": False}))
    with TestClient(app, headers={"X-API-Key": TEST_API_KEY}) as client:
        ingest(client, artifacts())
        yield client


def _hot(app: Any) -> HotReads:
    layer = app.middleware_stack
    while not isinstance(layer, HotReads):
        layer = layer.app
    return layer


def _routed_answers(client: TestClient, paths: list[str]) -> list[tuple[int, bytes, str]]:
    """The answers with the hot path off: any dependency override sends every request to routing."""
    app: FastAPI = client.app  # type: ignore[assignment]
    app.dependency_overrides[get_clock] = get_clock
    try:
        return [_answer(client.get(API + path)) for path in paths]
    finally:
        app.dependency_overrides.clear()


def _answer(response: Any) -> tuple[int, bytes, str]:
    """Status, body and content type; a problem's request id (new per request) is left out."""
    body = response.content
    if response.headers["content-type"] == "application/problem+json":
        problem = orjson.loads(body)
        assert len(problem.pop("request_id")) == 32
        body = orjson.dumps(problem)
    return response.status_code, body, response.headers["content-type"]


def test_hot_reads_answer_the_routed_bytes(uncached: TestClient) -> None:
    routed = _routed_answers(uncached, HOT)  # also teaches the hot path the two routes
    hot = _hot(uncached.app)
    before = hot.answered
    for path, expected in zip(HOT, routed, strict=True):
        response = uncached.get(API + path)
        assert _answer(response) == expected, path
        assert response.headers["x-cache"] == "miss"
        assert len(response.headers["x-request-id"]) == 32
    assert hot.answered - before == len(HOT)


def test_requests_left_to_routing_answer_as_before(uncached: TestClient) -> None:
    _routed_answers(uncached, HOT[:3])
    routed = _routed_answers(uncached, ROUTED)
    hot = _hot(uncached.app)
    before = hot.answered
    answers = [_answer(uncached.get(API + path)) for path in ROUTED]
    assert answers == routed
    assert hot.answered == before
    assert {status for status, _, _ in answers} >= {200, 404, 422}
    assert all(ctype == "application/problem+json" for status, _, ctype in answers if status >= 400)


@pytest.mark.parametrize(
    ("headers", "detail"),
    [({}, "missing X-API-Key header"), ({"X-API-Key": "wrong"}, "invalid API key")],
)
def test_a_missing_or_wrong_key_is_refused_as_the_route_refuses_it(
    uncached: TestClient, headers: dict[str, str], detail: str
) -> None:
    _routed_answers(uncached, HOT[:3])
    uncached.headers.pop("X-API-Key")
    for path in (HOT[0], HOT[2]):
        refused = uncached.get(API + path, headers=headers)
        assert refused.status_code == 401
        assert refused.headers["content-type"] == "application/problem+json"
        assert detail in refused.json()["detail"]


def test_a_bearer_key_is_served_by_the_hot_path(uncached: TestClient) -> None:
    expected = _routed_answers(uncached, HOT[:3])
    uncached.headers.pop("X-API-Key")
    hot = _hot(uncached.app)
    before = hot.answered
    bearer = {"Authorization": f"Bearer {TEST_API_KEY}"}
    assert [_answer(uncached.get(API + path, headers=bearer)) for path in HOT[:3]] == expected
    assert hot.answered - before == 3


def test_metrics_keep_the_route_label(uncached: TestClient) -> None:
    _routed_answers(uncached, HOT[:3])
    before = _samples(uncached)
    for _ in range(3):
        uncached.get(f"{API}/capsules/{ORDERS}")
        uncached.get(f"{API}/capsules/{ORDERS}/lineage?depth=2")
    after = _samples(uncached)
    for template in ("/api/v1/capsules/{urn}", "/api/v1/capsules/{urn}/lineage"):
        labels = {"method": "GET", "route": template, "status": "200"}
        name = "dab_http_requests_total"
        assert _value(after, name, **labels) - _value(before, name, **labels) == 3, template


def test_with_the_cache_on_a_hot_read_is_filed_and_then_short_cut(client: TestClient) -> None:
    ingest(client, artifacts())
    path = f"{API}/capsules/{ORDERS}/lineage?direction=both&depth=3"
    _routed_answers(client, [f"/capsules/{ORDERS}/lineage"])  # teach the route
    first, second = client.get(path), client.get(path)
    assert (first.headers["x-cache"], second.headers["x-cache"]) == ("miss", "hit")
    assert first.content == second.content
