"""Artifact decoding never inflates past its limit, even when the gzip trailer lies."""

from __future__ import annotations

import gzip

import pytest

from dab.errors import InvalidArtifact, PayloadTooLarge
from dab.ingest.dbt import load_artifact


def test_a_lying_gzip_trailer_is_still_stopped_at_the_limit() -> None:
    bomb = bytearray(gzip.compress(b'{"a": "' + b"0" * 4_000_000 + b'"}'))
    bomb[-4:] = (100).to_bytes(4, "little")  # claims 100 bytes inflated
    with pytest.raises(PayloadTooLarge, match="inflates to more than the limit of 1000000"):
        load_artifact(bytes(bomb), "manifest.json", max_bytes=1_000_000)


def test_within_the_limit_multi_member_gzip_decodes() -> None:
    data = gzip.compress(b'{"a": ') + gzip.compress(b"[1, 2]}")
    assert load_artifact(data, "manifest.json", max_bytes=1000) == {"a": [1, 2]}


@pytest.mark.parametrize(
    "data",
    [
        gzip.compress(b'{"a": 1}')[:-6],
        gzip.compress(b'{"a": 1}') + b"junk",
        b"\x1f\x8b\x08\x00garbage",
        gzip.compress(b'{"a": 1}' * 1000)[:-3] + b"\xff\xff\xff",  # truncated, trailer-like tail
    ],
    ids=["truncated", "trailing-bytes", "corrupt", "truncated-huge-tail"],
)
def test_bad_gzip_names_the_artifact(data: bytes) -> None:
    with pytest.raises(InvalidArtifact, match=r"catalog\.json: \$: corrupt gzip data"):
        load_artifact(data, "catalog.json")


def test_nul_characters_are_removed_and_said() -> None:
    notes: list[str] = []
    document = load_artifact(b'{"na\\u0000me": ["a\\u0000b", {"k": "\\u0000"}]}', "m.json", notes=notes)
    assert document == {"name": ["ab", {"k": ""}]}
    assert notes and "NUL" in notes[0]
