"""Decoding a big artifact's ``nodes`` object a piece at a time.

orjson parses a whole document into its own tree before it builds the Python objects: while a
370 MB manifest is decoded, that tree holds ~870 MB on top of the text and the objects (the
first ingestion's memory peak at 100k models). Cut between two nodes, the document decodes as
pieces of ``PIECE_BYTES``, each tree freed before the next, and the pieces merge into exactly
the object a whole decode gives; whenever a cut is not where it seems, the whole document is
decoded instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import orjson

PIECE_BYTES = 32 * 1024 * 1024

# The end of a node and the start of the next node's key (dbt node ids start with their type).
_NEXT_NODE = re.compile(rb'\}\s*,(\s*"(?:model|seed|snapshot|test|analysis|operation|sql_operation)\.)')
_WRAP = b'{"\\u0000piece":{'
"""Opens every piece after the first: a key no artifact has (NUL is stripped from artifacts)."""
_WRAP_KEY = "\x00piece"


class _Unsure(Exception):
    """A piece is not the run of whole nodes its cut suggested: decode the document whole."""


Unsure = _Unsure


def loads(text: bytes, piece_bytes: int = PIECE_BYTES) -> Any:
    """``orjson.loads(text)``, a piece of ``nodes`` at a time when ``text`` is big."""
    if len(text) < 2 * piece_bytes:
        return orjson.loads(text)
    try:
        return _in_pieces(text, piece_bytes)
    except (_Unsure, orjson.JSONDecodeError):
        return orjson.loads(text)  # also raises the decoder's own error for a broken document


def _cuts(text: bytes, piece_bytes: int) -> list[tuple[int, int]]:
    """(end of a piece, start of the next) about every ``piece_bytes``."""
    cuts: list[tuple[int, int]] = []
    position = piece_bytes
    while position < len(text) - piece_bytes:
        found = _NEXT_NODE.search(text, position)
        if found is None:
            break
        cuts.append((found.start() + 1, found.start(1)))
        position = found.end() + piece_bytes
    return cuts


def _in_pieces(text: bytes, piece_bytes: int) -> Any:
    split = outline_and_nodes(text, piece_bytes)
    if split is None:
        raise _Unsure
    document, pieces = split
    nodes = document["nodes"]
    for piece in pieces:
        nodes.update(piece)
    return document


def outline_and_nodes(
    text: bytes, piece_bytes: int = PIECE_BYTES, *, given_up: bool = False
) -> tuple[dict[str, Any], Iterator[dict[str, Any]]] | None:
    """The document with an empty ``nodes`` at its place (all its other keys, those after
    ``nodes`` included), and its ``nodes`` as the pieces to merge into it, in order, each decoded
    only when asked for. None when ``text`` is not cut (it is small, or no cut was found).

    The first and the last piece are decoded here (they hold the other keys); any other piece
    that is not a run of whole nodes raises ``Unsure`` (or the decoder's error) when it is
    reached: a caller that has used earlier pieces must then start over from a whole decode.
    ``given_up``: the caller drops ``text`` once this returns, so the pieces' texts are copied
    out of it now and each is released once decoded (the whole text, 370 MB at 100k models, is
    not held until the last piece).
    """
    if len(text) < 2 * piece_bytes:
        return None
    cuts = _cuts(text, piece_bytes)
    if not cuts:
        return None
    document = orjson.loads(text[: cuts[0][0]] + b"}}")
    if not isinstance(document, dict) or not document or list(document)[-1] != "nodes":
        raise _Unsure
    first = document["nodes"]
    if not isinstance(first, dict):
        raise _Unsure
    starts = [start for _, start in cuts]
    ends = [end for end, _ in cuts[1:]] + [len(text)]
    spans = list(zip(starts, ends, strict=True))
    after = _piece(_wrapped(text, *spans[-1], last=True), last=True)
    del after[_WRAP_KEY]  # its nodes are decoded again in their turn: one piece held, not two
    if "nodes" in after:
        raise _Unsure  # a second ``nodes``: the whole decode keeps the later one
    document["nodes"] = {}
    document.update(after)
    if given_up:
        texts = [_wrapped(text, start, end, last=end == len(text)) for start, end in spans]
        return document, _nodes_of(first, texts)
    return document, _nodes(text, first, spans)


def _wrapped(text: bytes, start: int, end: int, *, last: bool) -> bytes:
    return _WRAP + text[start:end] + (b"" if last else b"}}")


def _nodes(text: bytes, first: dict[str, Any], spans: list[tuple[int, int]]) -> Iterator[dict[str, Any]]:
    yield first
    del first
    for number, (start, end) in enumerate(spans, start=1):
        last = number == len(spans)
        yield _piece(_wrapped(text, start, end, last=last), last=last).pop(_WRAP_KEY)


def _nodes_of(first: dict[str, Any], texts: list[bytes]) -> Iterator[dict[str, Any]]:
    yield first
    del first
    for number in range(len(texts)):
        wrapped, texts[number] = texts[number], b""  # released once decoded
        yield _piece(wrapped, last=number == len(texts) - 1).pop(_WRAP_KEY)


def _piece(wrapped: bytes, *, last: bool) -> dict[str, Any]:
    """A piece of ``nodes`` under ``_WRAP_KEY``; the last one also holds the keys after ``nodes``."""
    piece = orjson.loads(wrapped)
    if not isinstance(piece, dict) or next(iter(piece), None) != _WRAP_KEY:
        raise _Unsure
    if not last and len(piece) != 1:
        raise _Unsure  # the piece left the nodes object: the cut was not between nodes
    return piece
