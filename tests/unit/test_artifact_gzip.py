"""Artifacts compressed in parallel gzip members read back whole, by gzip and by the parser."""

from __future__ import annotations

import gzip
import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dab.ingest.dbt import artifact_bytes
from dab.services import artifact_gzip
from dab.services.artifact_gzip import compress_artifacts


@pytest.fixture
def small_members(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(artifact_gzip, "MEMBER_BYTES", 7)


def _members(stored: bytes) -> int:
    return stored.count(b"\x1f\x8b\x08")  # gzip header: magic and deflate (the JSON here has none)


@pytest.mark.usefixtures("small_members")
def test_pieces_are_members_of_one_gzip_file() -> None:
    manifest = b'{"metadata": {"dbt_schema_version": "x"}, "nodes": {}}'
    stored, digest = compress_artifacts({"manifest": manifest})["manifest"]
    assert _members(stored) == -(-len(manifest) // 7) > 1
    assert gzip.decompress(stored) == manifest
    assert artifact_bytes(stored, "manifest.json") == manifest
    assert digest == hashlib.sha256(manifest).hexdigest()


def test_gzip_input_is_stored_as_sent() -> None:
    sent = gzip.compress(b'{"a": 1}')
    assert compress_artifacts({"catalog": sent}) == {"catalog": (sent, hashlib.sha256(sent).hexdigest())}


def test_an_empty_artifact_is_one_empty_member() -> None:
    stored, _ = compress_artifacts({"sources": b""})["sources"]
    assert gzip.decompress(stored) == b""


@settings(max_examples=30, deadline=None)
@given(st.dictionaries(st.sampled_from(["manifest", "catalog", "run_results"]), st.binary(max_size=100)))
def test_every_artifact_round_trips(artifacts: dict[str, bytes]) -> None:
    artifact_gzip.MEMBER_BYTES, before = 16, artifact_gzip.MEMBER_BYTES
    try:
        out = compress_artifacts(artifacts)
    finally:
        artifact_gzip.MEMBER_BYTES = before
    assert set(out) == set(artifacts)
    for kind, data in artifacts.items():
        stored, digest = out[kind]
        assert digest == hashlib.sha256(data).hexdigest()
        assert (stored == data) if data[:2] == b"\x1f\x8b" else (gzip.decompress(stored) == data)
