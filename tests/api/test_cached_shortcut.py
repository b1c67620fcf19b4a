"""Cached reads answered before routing (api/cached_shortcut.py): the same answers as the
routed path, the same API-key check, never a stale or clock-dependent answer, metrics kept."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import Request
from fastapi.testclient import TestClient
from sqlalchemy.ext.asyncio import AsyncSession
from tests.api.test_catalog_cache import API, ORDERS, READS, artifacts, changed, ingest
from tests.api.test_metrics import _samples, _value
from tests.conftest import TEST_API_KEY

from dab.api.deps import get_clock, get_read_session

DETAIL = f"{API}/capsules/{ORDERS}"


@pytest.fixture
def counted(client: TestClient) -> Iterator[list[str]]:
    """The paths that reached a route's read session (a short-cut read reaches none)."""
    routed: list[str] = []

    async def session(request: Request) -> AsyncIterator[AsyncSession]:
        routed.append(request.url.path)
        async with request.app.state.read_session_factory() as read:
            yield read

    client.app.dependency_overrides[get_read_session] = session  # type: ignore[attr-defined]
    yield routed
    client.app.dependency_overrides.clear()  # type: ignore[attr-defined]


class TestShortcut:
    def test_a_repeated_read_skips_the_route_and_answers_the_same_bytes(
        self, client: TestClient, counted: list[str]
    ) -> None:
        ingest(client, artifacts())
        for path in READS:
            counted.clear()
            first, second, third = (client.get(API + path) for _ in range(3))
            assert [r.headers["x-cache"] for r in (first, second, third)] == ["miss", "hit", "hit"]
            assert first.content == second.content == third.content
            assert second.headers["content-type"] == third.headers["content-type"] == "application/json"
            assert len(counted) == 1, path  # the miss, which also taught the shortcut

    def test_the_same_query_in_another_order_is_short_cut_to_the_same_entry(
        self, client: TestClient, counted: list[str]
    ) -> None:
        ingest(client, artifacts())
        first = client.get(f"{API}/capsules?layer=gold&limit=5")
        client.get(f"{API}/capsules?layer=gold&limit=5")
        counted.clear()
        swapped = client.get(f"{API}/capsules?limit=5&layer=gold")
        assert swapped.content == first.content and swapped.headers["x-cache"] == "hit"

    @pytest.mark.parametrize(
        ("headers", "detail"),
        [({}, "missing X-API-Key header"), ({"X-API-Key": "wrong"}, "invalid API key")],
    )
    def test_a_missing_or_wrong_key_is_refused_as_the_route_refuses_it(
        self, client: TestClient, headers: dict[str, str], detail: str
    ) -> None:
        ingest(client, artifacts())
        for _ in range(3):
            assert client.get(DETAIL).status_code == 200
        client.headers.pop("X-API-Key")
        refused = client.get(DETAIL, headers=headers)
        assert refused.status_code == 401
        assert refused.headers["content-type"] == "application/problem+json"
        assert detail in refused.json()["detail"]

    def test_a_bearer_key_is_accepted_like_the_header(self, client: TestClient, counted: list[str]) -> None:
        ingest(client, artifacts())
        client.get(DETAIL)
        client.get(DETAIL)
        counted.clear()
        client.headers.pop("X-API-Key")
        answer = client.get(DETAIL, headers={"Authorization": f"Bearer {TEST_API_KEY}"})
        assert (answer.status_code, answer.headers["x-cache"], counted) == (200, "hit", [])

    def test_a_write_is_seen_by_the_next_read(self, client: TestClient) -> None:
        ingest(client, artifacts())
        for _ in range(3):
            client.get(DETAIL)
        ingest(client, changed(artifacts(), "rewritten"))
        after = client.get(DETAIL)
        assert after.headers["x-cache"] == "miss"
        assert after.json()["description"] == "rewritten"

    def test_errors_teach_the_shortcut_nothing(self, client: TestClient, counted: list[str]) -> None:
        missing = f"{API}/capsules/urn:dab:dbt:model:jaffle_shop:nope"
        for _ in range(3):
            assert client.get(missing).status_code == 404
        assert len(counted) == 3

    def test_metrics_label_short_cut_reads_with_their_route(self, client: TestClient) -> None:
        ingest(client, artifacts())
        labels = {"method": "GET", "route": "/api/v1/capsules/{urn}", "status": "200"}
        before = _value(_samples(client), "dab_http_requests_total", **labels)
        for _ in range(4):
            client.get(DETAIL)
        assert _value(_samples(client), "dab_http_requests_total", **labels) == before + 4


class TestAnswersThatVaryAreNotShortCut:
    def test_slo_status_follows_the_clock_across_minutes(
        self, client: TestClient, counted: list[str]
    ) -> None:
        ingest(client, artifacts())
        moment: dict[str, Any] = {"now": datetime(2030, 1, 1, 12, 0, 30, tzinfo=UTC)}
        client.app.dependency_overrides[get_clock] = lambda: moment["now"]  # type: ignore[attr-defined]
        product = client.post(f"{API}/products", json={"name": "p", "slo_freshness_hours": 24}).json()["id"]
        path = f"{API}/products/{product}/slo-status"
        first = [client.get(path) for _ in range(3)]
        assert [r.headers["x-cache"] for r in first] == ["miss", "hit", "hit"]
        assert len(counted) == 1 and first[0].content == first[2].content
        moment["now"] += timedelta(seconds=20)  # 12:00:50, the same minute
        assert client.get(path).headers["x-cache"] == "hit" and len(counted) == 1
        moment["now"] += timedelta(seconds=20)  # 12:01:10
        later = client.get(path)
        assert later.headers["x-cache"] == "miss"  # a new minute: computed again, not the old minute's answer
        assert len(counted) == 2
