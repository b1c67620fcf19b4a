"""Tag removals under concurrency: their own group commit, each answered after its commit,
and taken before routing once the app has seen the route (as applies are)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from tests.api.governance_helpers import ORDERS, enc
from tests.api.test_tag_group_commit import (
    TAGS,
    _at_once,
    _hot,
    _recording,
    _stored,
    _tags,
    capsules,
    counted,
)

from dab.services.governance_tag_links import remove_tags

__all__ = ["capsules"]  # the fixture, imported for these tests


def _dbt_link(client: TestClient) -> str:
    """The path of a link dbt made (the fixture project tags some models)."""
    tag = client.get(TAGS, params={"origin": "dbt"}).json()["data"][0]["id"]
    urn = client.get(f"{TAGS}/{tag}/capsules").json()["data"][0]["urn"]
    return f"{TAGS}/capsules/{enc(urn)}/{tag}"


class TestRemovals:
    def test_concurrent_removals_share_transactions_and_bad_ones_fail_alone(
        self, client: TestClient, capsules: list[str]
    ) -> None:
        tag, other = _tags(client, 2)
        paths = [f"{TAGS}/capsules/{enc(u)}/{tag}" for u in capsules[:8]]
        assert {a.status_code for a in _at_once(client, [(p, {}) for p in paths])} == {201}
        assert client.delete(paths[7]).status_code == 204  # routed: the app learns the route
        assert _stored(client, tag) == set(capsules[:7])  # a cached read, retired by the removals
        batches, hot = _recording(client, "tag_unlinks", remove_tags), _hot(client)
        answered, removed = hot.answered, counted(client, "DELETE", "204")
        bad = [
            f"{TAGS}/capsules/{enc(ORDERS)}/no-such-tag",
            f"{TAGS}/capsules/987654/{tag}",
            f"{TAGS}/capsules/{enc(capsules[0])}/{other}",
            _dbt_link(client),
            paths[0],  # removed by the first request of the batch: gone for this one
        ]
        answers = _at_once(client, [(p, None) for p in [*paths[:4], *bad, *paths[4:7]]], "DELETE")
        assert [a.status_code for a in answers] == [204] * 4 + [404, 404, 404, 409, 404] + [204] * 3
        assert all(a.content == b"" for a in answers if a.status_code == 204)
        details = [a.json()["detail"] for a in answers[4:9]]
        assert "no-such-tag" in details[0] and details[1].startswith("capsule '987654'")
        assert "is not tagged with" in details[2] and "is not tagged with" in details[4]
        assert "comes from dbt" in details[3]
        assert sum(len(b) for b in batches) == len(answers) and len(batches) < len(answers)
        assert hot.answered - answered == len(answers)
        assert _stored(client, tag) == set()
        assert client.delete(_dbt_link(client)).status_code == 409  # the dbt link is still there
        assert counted(client, "DELETE", "204") - removed == 7

    def test_answers_as_the_route_does(self, client: TestClient, capsules: list[str]) -> None:
        (tag,) = _tags(client, 1)
        paths = [f"{TAGS}/capsules/{enc(u)}/{tag}" for u in capsules[:3]]
        _at_once(client, [(p, {}) for p in paths])
        client.delete(paths[0])  # routed: learnt
        hot = _hot(client)
        answered = hot.answered
        direct, routed = client.delete(paths[1]), client.delete(f"{paths[2]}?via=router")
        assert hot.answered - answered == 1
        assert (direct.status_code, direct.content) == (routed.status_code, routed.content) == (204, b"")
        missing, missing_routed = client.delete(paths[1]), client.delete(f"{paths[1]}?q=1")
        assert missing.status_code == missing_routed.status_code == 404
        assert {**missing.json(), "request_id": None} == {**missing_routed.json(), "request_id": None}
        assert client.delete(paths[2], headers={"X-API-Key": "wrong"}).status_code == 401
