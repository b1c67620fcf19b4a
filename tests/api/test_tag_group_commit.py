"""Tag applies under concurrency: one transaction per batch, each answered after its commit.

Requests are sent at once through the ASGI app on the TestClient's own event loop, so they
really overlap in the one writer task (SQLite file, or PostgreSQL + Redis when configured).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from tests.api.governance_helpers import ORDERS, STATUS_COLUMN, enc, ingest
from tests.api.ingest_helpers import artifacts
from tests.conftest import TEST_API_KEY

from dab.api.group_commit import GroupCommit
from dab.api.hot_tag_writes import HotTagWrites
from dab.services.governance_tag_links import TagLink, apply_tags
from dab.storage.generation import local_commits
from dab.storage.tag_links_direct import TagLinks

TAGS = "/api/v1/tags"
ROUTE = "/api/v1/tags/capsules/{capsule_id}/{tag_id}"
Request = tuple[str, dict[str, Any] | None]  # path, JSON body


@pytest.fixture
def capsules(client: TestClient) -> list[str]:
    ingest(client, artifacts())
    urns = [c["urn"] for c in client.get("/api/v1/capsules", params={"limit": 1000}).json()["data"]]
    assert len(urns) >= 8
    return urns


def _tags(client: TestClient, count: int) -> list[str]:
    return [client.post(TAGS, json={"name": f"g{n}"}).json()["id"] for n in range(count)]


def _at_once(client: TestClient, requests: Sequence[Request], method: str = "POST") -> list[httpx.Response]:
    """Send every (path, JSON body) concurrently on the app's event loop."""

    async def send() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=client.app)
        headers = {"X-API-Key": TEST_API_KEY}
        async with httpx.AsyncClient(transport=transport, base_url="http://t", headers=headers) as http:
            return await asyncio.gather(*(http.request(method, path, json=body) for path, body in requests))

    assert client.portal is not None
    return client.portal.call(send)


def _recording(client: TestClient, writer: str = "tag_links", work: Any = apply_tags) -> list[list[TagLink]]:
    """Swap the app's tag writer (``tag_links`` or ``tag_unlinks``) for one that records each
    batch it commits (in the app's own transactions: ``storage/tag_links_direct``)."""
    batches: list[list[TagLink]] = []
    state = client.app.state  # type: ignore[attr-defined]

    async def recorded(links_tx: TagLinks, links: Sequence[TagLink]) -> list[Any]:
        batches.append(list(links))
        return await work(links_tx, links)  # type: ignore[no-any-return]

    setattr(state, writer, GroupCommit(getattr(state, writer).begin, recorded, on_commit=state.cache.bump))
    return batches


def counted(client: TestClient, method: str, status: str) -> float:
    """dab_http_requests_total of the capsule route's ``method`` answered ``status``."""
    labels = {"method": method, "route": ROUTE, "status": status}
    for family in text_string_to_metric_families(client.get("/metrics").text):
        for sample in family.samples:
            if sample.name == "dab_http_requests_total" and sample.labels == labels:
                return float(sample.value)
    return 0.0


def _warm(client: TestClient) -> str:
    """One routed apply per kind, so the app learns the routes and takes later ones before routing."""
    tag = client.post(TAGS, json={"name": "warm"}).json()["id"]
    assert client.post(f"{TAGS}/capsules/{enc(ORDERS)}/{tag}", json={}).status_code == 201
    assert client.post(f"{TAGS}/columns/{enc(STATUS_COLUMN)}/{tag}").status_code == 201
    return tag


def _hot(client: TestClient) -> HotTagWrites:
    layer = client.app.middleware_stack  # type: ignore[attr-defined]
    while not isinstance(layer, HotTagWrites):
        layer = layer.app
    return layer


def _stored(client: TestClient, tag_id: str) -> set[str]:
    return {c["urn"] for c in client.get(f"{TAGS}/{tag_id}/capsules", params={"limit": 1000}).json()["data"]}


class TestGroupCommit:
    def test_concurrent_applies_share_transactions_and_all_are_stored(
        self, client: TestClient, capsules: list[str]
    ) -> None:
        _warm(client)
        tags = _tags(client, 4)
        assert all(_stored(client, t) == set() for t in tags)  # cached reads, retired by the writes
        batches = _recording(client)
        commits = local_commits()
        pairs = [(urn, tag) for tag in tags for urn in capsules[:10]]
        answers = _at_once(client, [(f"{TAGS}/capsules/{enc(u)}/{t}", {"added_by": "ops"}) for u, t in pairs])
        assert [a.status_code for a in answers] == [201] * len(pairs)
        assert [(a.json()["capsule_urn"], a.json()["tag_id"]) for a in answers] == pairs
        assert {a.json()["added_by"] for a in answers} == {"ops"}
        assert sum(len(b) for b in batches) == len(pairs)
        assert len(batches) < len(pairs)  # coalesced: some transaction held several requests
        assert local_commits() - commits == len(batches)  # one generation bump per batch
        for tag in tags:
            assert _stored(client, tag) == set(capsules[:10])

    def test_a_bad_request_in_a_busy_batch_fails_alone_and_changes_nothing(
        self, client: TestClient, capsules: list[str]
    ) -> None:
        _warm(client)
        tag, other = _tags(client, 2)
        batches = _recording(client)
        answered = _hot(client).answered
        unknown_capsule = "urn:dab:dbt:model:jaffle_shop:nope"
        good: list[Request] = [(f"{TAGS}/capsules/{enc(u)}/{tag}", {}) for u in capsules[:8]]
        bad: list[Request] = [
            (f"{TAGS}/capsules/{enc(ORDERS)}/no-such-tag", {}),
            (f"{TAGS}/capsules/{enc(unknown_capsule)}/{other}", {}),
            (f"{TAGS}/columns/987654/{other}", {}),
            (f"{TAGS}/capsules/{enc(ORDERS)}/{other}", {"added_by": "x" * 300}),
            (f"{TAGS}/columns/{enc(STATUS_COLUMN)}/{other}", {"unexpected": 1}),
        ]
        answers = _at_once(client, [*good[:4], *bad, *good[4:]])
        statuses = [a.status_code for a in answers]
        assert statuses == [201] * 4 + [404, 404, 404, 422, 422] + [201] * 4
        problems = [a.json() for a in answers[4:9]]
        assert all(a.headers["content-type"] == "application/problem+json" for a in answers[4:9])
        assert "no-such-tag" in problems[0]["detail"]
        assert unknown_capsule in problems[1]["detail"] and problems[1]["detail"].startswith("capsule")
        assert "987654" in problems[2]["detail"] and problems[2]["detail"].startswith("column")
        assert problems[3]["errors"][0]["loc"] == ["body", "added_by"]
        assert problems[4]["errors"][0]["loc"] == ["body", "unexpected"]
        assert [p["instance"] for p in problems] == [unquote(path) for path, _ in bad]
        # the bad ones that reached the writer shared a transaction with good ones
        mixed = [b for b in batches if any(x.tag == "no-such-tag" for x in b)]
        assert mixed and any(x.tag == tag for x in mixed[0])
        assert _stored(client, tag) == set(capsules[:8])
        assert _stored(client, other) == set()
        assert client.get(f"{TAGS}/{other}/columns").json()["total"] == 0
        assert _hot(client).answered - answered == 11  # the 422s went down the routed path

    def test_re_applying_is_idempotent_within_and_across_batches(
        self, client: TestClient, capsules: list[str]
    ) -> None:
        (tag,) = _tags(client, 1)
        path = f"{TAGS}/capsules/{enc(capsules[0])}/{tag}"
        answers = _at_once(client, [(path, {"added_by": "first"}), (path, {"added_by": "second"})] * 3)
        assert sorted(a.status_code for a in answers) == [200] * 5 + [201]
        links = {(a.json()["added_by"], a.json()["added_at"], a.json()["origin"]) for a in answers}
        assert len(links) == 1 and next(iter(links))[2] == "api"  # every answer shows the one link
        again = client.post(path, json={"added_by": "later"})
        assert again.status_code == 200
        assert (again.json()["added_by"], again.json()["added_at"]) == next(iter(links))[:2]
        assert client.get(f"{TAGS}/{tag}").json()["capsule_count"] == 1

    def test_columns_and_capsules_by_id_or_urn_in_one_batch(
        self, client: TestClient, capsules: list[str]
    ) -> None:
        (tag,) = _tags(client, 1)
        capsule_id = client.get(f"/api/v1/capsules/{ORDERS}").json()["id"]
        tag_urn = client.get(f"{TAGS}/{tag}").json()["urn"]
        answers = _at_once(
            client,
            [
                (f"{TAGS}/capsules/{capsule_id}/{tag}", None),
                (f"{TAGS}/columns/{enc(STATUS_COLUMN)}/{enc(tag_urn)}", {"added_by": "a"}),
                (f"{TAGS}/capsules/{enc(capsules[1])}/{enc(tag_urn)}", {}),
            ],
        )
        assert [a.status_code for a in answers] == [201, 201, 201], [a.text for a in answers]
        assert answers[0].json()["capsule_urn"] == ORDERS
        assert answers[1].json()["column_urn"] == STATUS_COLUMN
        assert client.get(f"{TAGS}/{tag}").json()["column_count"] == 1

    def test_metrics_count_each_request_under_the_route(
        self, client: TestClient, capsules: list[str]
    ) -> None:
        (tag,) = _tags(client, 1)

        def count(status: str) -> float:
            return counted(client, "POST", status)

        before = (count("201"), count("404"))
        requests: list[Request] = [(f"{TAGS}/capsules/{enc(u)}/{tag}", {}) for u in capsules[:6]]
        _at_once(client, [*requests, (f"{TAGS}/capsules/{enc(ORDERS)}/missing", {})])
        assert (count("201") - before[0], count("404") - before[1]) == (6, 1)


class TestBeforeRouting:
    def test_answers_as_the_route_does(self, client: TestClient, capsules: list[str]) -> None:
        _warm(client)
        (tag,) = _tags(client, 1)
        hot = _hot(client)
        path = f"{TAGS}/capsules/{enc(capsules[2])}/{tag}"
        answered = hot.answered
        created = client.post(path, json={"added_by": "me"})
        routed = client.post(f"{path}?via=router", json={"added_by": "me"})  # a query: routed
        again = client.post(path, json={"added_by": "me"})
        assert hot.answered - answered == 2
        assert (created.status_code, routed.status_code, again.status_code) == (201, 200, 200)
        assert again.content == routed.content
        assert again.headers["content-type"] == routed.headers["content-type"] == "application/json"
        assert created.json() == {**again.json(), "column_urn": None}

    def test_errors_are_the_routes_problems(self, client: TestClient, capsules: list[str]) -> None:
        _warm(client)
        hot = _hot(client)
        path = f"{TAGS}/columns/{enc(STATUS_COLUMN)}/nope"
        answered = hot.answered
        direct, routed = client.post(path, json={}), client.post(f"{path}?q=1", json={})
        assert hot.answered - answered == 1
        assert direct.status_code == routed.status_code == 404
        assert {**direct.json(), "request_id": None} == {**routed.json(), "request_id": None}
        assert direct.headers["content-type"] == "application/problem+json"

    def test_what_it_cannot_read_exactly_goes_to_the_route(
        self, client: TestClient, capsules: list[str]
    ) -> None:
        tag = _warm(client)
        hot = _hot(client)
        path = f"{TAGS}/capsules/{enc(capsules[3])}/{tag}"
        answered = hot.answered
        text_body = client.post(path, content=b'{"added_by": "x"}', headers={"content-type": "text/plain"})
        not_json = client.post(path, content=b"{nope", headers={"content-type": "application/json"})
        no_key = client.post(path, json={}, headers={"X-API-Key": "wrong"})
        assert hot.answered == answered
        assert (not_json.status_code, no_key.status_code) == (422, 401)
        assert text_body.status_code in (201, 422)  # whatever FastAPI makes of it, unchanged
        assert client.post(path, json={"added_by": "y"}).status_code in (200, 201)
        assert hot.answered - answered == 1
