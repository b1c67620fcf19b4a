"""The content digest: blind to the stamps of a new dbt invocation, and to nothing else."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.api.ingest_helpers import artifacts

from dab.ingest.dbt import content_of

Body = dict[str, dict[str, Any]]
KINDS = ("catalog", "manifest", "run_results", "sources")


def _texts(body: Body) -> list[tuple[str, bytes]]:
    return [(kind, orjson.dumps(body[kind])) for kind in KINDS if kind in body]


def _digest(body: Body, settings: str = "s") -> str:
    return content_of(_texts(body), settings).digest


def _restamped(body: Body, kind: str, **stamps: str) -> Body:
    out: Body = orjson.loads(orjson.dumps(body))
    out[kind]["metadata"].update(stamps)
    return out


class TestContentDigest:
    def test_new_invocation_stamps_on_manifest_and_catalog_are_ignored(self) -> None:
        body = artifacts()
        again = _restamped(body, "manifest", generated_at="2031-02-03T04:05:06Z", invocation_id="x")
        again = _restamped(again, "catalog", generated_at="2031-02-03T04:05:07Z", invocation_id="y")
        assert _digest(again) == _digest(body)

    def test_the_manifest_stamps_are_returned(self) -> None:
        body = _restamped(artifacts(), "manifest", generated_at="2031-02-03T04:05:06Z")
        stamps = content_of(_texts(body), "s").stamps
        assert stamps["generated_at"] == "2031-02-03T04:05:06Z"
        assert stamps["invocation_id"] == body["manifest"]["metadata"]["invocation_id"]

    @pytest.mark.parametrize(
        ("kind", "key"),
        [
            ("manifest", "dbt_version"),
            ("manifest", "adapter_type"),
            ("catalog", "dbt_version"),
            ("run_results", "invocation_id"),  # keys the run history
            ("run_results", "generated_at"),
            ("sources", "invocation_id"),
        ],
    )
    def test_any_other_metadata_counts(self, kind: str, key: str) -> None:
        body = artifacts()
        assert _digest(_restamped(body, kind, **{key: "something else"})) != _digest(body)

    def test_a_changed_node_counts(self) -> None:
        body = artifacts()
        changed = orjson.loads(orjson.dumps(body))
        node = changed["manifest"]["nodes"]["model.jaffle_shop.orders"]
        node["description"] = node.get("description", "") + "!"
        assert _digest(changed) != _digest(body)

    def test_settings_count(self) -> None:
        assert _digest(artifacts(), "project=a") != _digest(artifacts(), "project=b")

    def test_an_artifact_added_or_moved_between_kinds_counts(self) -> None:
        body = artifacts()
        without_catalog = {k: v for k, v in body.items() if k != "catalog"}
        assert _digest(without_catalog) != _digest(body)
        text = orjson.dumps(body["manifest"])
        assert content_of([("manifest", text)], "s").digest != content_of([("catalog", text)], "s").digest

    def test_text_without_a_leading_metadata_object_is_hashed_whole(self) -> None:
        first = b'{"nodes": {}, "metadata": {"generated_at": "2024-01-01"}}'
        second = b'{"nodes": {}, "metadata": {"generated_at": "2030-01-01"}}'
        assert content_of([("manifest", first)], "s").digest != content_of([("manifest", second)], "s").digest
        assert content_of([("manifest", first)], "s").stamps == {}

    def test_braces_and_quotes_inside_metadata_strings(self) -> None:
        def text(stamp: str, tail: str) -> bytes:
            metadata = {"env": {"A": 'x}"{\\'}, "generated_at": stamp, "note": "}}"}
            return b'{"metadata": ' + orjson.dumps(metadata) + tail.encode()

        same = content_of([("manifest", text("1", ', "nodes": {}}'))], "s")
        assert same.digest == content_of([("manifest", text("2", ', "nodes": {}}'))], "s").digest
        assert same.digest != content_of([("manifest", text("1", ', "nodes": {"a": 1}}'))], "s").digest

    def test_an_unterminated_metadata_object_is_hashed_whole(self) -> None:
        broken = b'{"metadata": {"generated_at": "1", "x": "'
        assert content_of([("manifest", broken)], "s").stamps == {}

    @given(st.text(max_size=30), st.text(max_size=30), st.text(max_size=30))
    def test_only_the_stamps_are_ignored(self, stamp: str, value: str, other: str) -> None:
        def text(stamp: str, value: str) -> bytes:
            metadata = {"generated_at": stamp, "project_name": value}
            return orjson.dumps({"metadata": metadata, "nodes": {"n": value}})

        base = content_of([("manifest", text(stamp, value))], "s").digest
        assert content_of([("manifest", text(other, value))], "s").digest == base
        if other != value:
            assert content_of([("manifest", text(stamp, other))], "s").digest != base

    def test_whitespace_before_and_inside_the_opening_is_allowed(self) -> None:
        first = b' \n{ "metadata" :\n {"generated_at": "1", "dbt_version": "1.8"}, "nodes": {}}'
        second = b' \n{ "metadata" :\n {"generated_at": "2", "dbt_version": "1.8"}, "nodes": {}}'
        found = content_of([("manifest", first)], "s")
        assert found.stamps == {"generated_at": "1"}
        assert found.digest == content_of([("manifest", second)], "s").digest
