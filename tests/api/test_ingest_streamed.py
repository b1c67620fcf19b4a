"""An ingestion whose manifest is parsed a piece of ``nodes`` at a time (a big manifest's path,
taken here with tiny pieces) stores exactly the rows of one whose manifest is decoded whole."""

from __future__ import annotations

from typing import Any

import pytest
from tests.api.ingest_helpers import artifacts
from tests.api.test_ingest_equal_content import _reset, ingest, state

from dab.ingest.dbt import _pieces, staged


@pytest.mark.parametrize("version", ["v11", "v12"])
def test_the_same_rows_as_a_whole_decode(
    clean_database: str, version: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = clean_database
    body = artifacts(version)
    ingest(url, body)
    whole = state(url)
    _reset(url)

    streamed: list[int] = []
    parse = staged.parse_manifest_streamed

    def counted(outline: dict[str, Any], pieces: Any, *args: Any, **kwargs: Any) -> Any:
        def each() -> Any:
            for piece in pieces:
                streamed.append(len(piece))
                yield piece

        return parse(outline, each(), *args, **kwargs)

    monkeypatch.setattr(_pieces, "PIECE_BYTES", 1024)
    monkeypatch.setattr(staged, "parse_manifest_streamed", counted)
    ingest(url, body)
    assert len(streamed) > 3  # the manifest really came in pieces
    assert state(url) == whole
    assert whole["capsule"] and whole["capsule_column"] and whole["data_test"]
