"""A digest of artifact text, blind to the stamps every dbt invocation rewrites.

Each ``dbt compile`` or ``docs generate`` writes a new ``generated_at`` and ``invocation_id``
into the top-level ``metadata`` of the manifest and the catalog, so a pipeline re-uploading an
unchanged project sends new bytes. The digest covers every byte except those values, so two
inputs with the same digest (and the same parse settings) parse to the same graph but for the
stamps, which only the project row keeps. Nothing is decoded but ``metadata`` itself: hashing
60 MB costs a tenth of decoding them. Run results and source freshness keep their stamps, as
their invocation id keys the run history.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson

VOLATILE_METADATA = frozenset({"generated_at", "invocation_id", "invocation_started_at"})
"""Metadata keys a new dbt invocation changes without changing the project."""

STAMPED = frozenset({"manifest", "catalog"})
"""Artifact kinds whose volatile metadata is left out of the digest."""

_METADATA_START = re.compile(rb'\s*\{\s*"metadata"\s*:\s*(?=\{)')
_TOKEN = re.compile(rb'"(?:[^"\\]|\\.)*"|[{}]', re.DOTALL)
_METADATA_LIMIT = 1 << 20
"""A ``metadata`` object longer than this is hashed whole (dbt's are well under 10 KB)."""


@dataclass(frozen=True)
class Content:
    digest: str
    stamps: dict[str, Any] = field(default_factory=dict)
    """The manifest's volatile metadata values, which the digest leaves out."""


def _metadata_span(text: bytes) -> tuple[int, int] | None:
    """Byte span of the top-level ``metadata`` object when it opens the document, else None."""
    start = _METADATA_START.match(text)  # no lstrip(): it would copy the whole text
    if start is None:
        return None
    depth = 0
    for token in _TOKEN.finditer(text, start.end(), min(len(text), start.end() + _METADATA_LIMIT)):
        symbol = token.group()
        if symbol == b"{":
            depth += 1
        elif symbol == b"}":
            depth -= 1
            if depth == 0:
                return start.end(), token.end()
    return None


def _hash_stamped(digest: Any, text: bytes) -> dict[str, Any]:
    """Feed ``text`` to ``digest`` with its metadata canonical and unstamped; returns the stamps.

    The whole text is fed when ``metadata`` cannot be isolated (no stamps then).
    """
    span = _metadata_span(text)
    metadata = None
    if span is not None:
        try:
            metadata = orjson.loads(text[span[0] : span[1]])
        except orjson.JSONDecodeError:
            metadata = None
    if not isinstance(metadata, dict) or span is None:
        digest.update(text)
        return {}
    stamps = {key: metadata.pop(key) for key in sorted(VOLATILE_METADATA) if key in metadata}
    view = memoryview(text)  # slices of a view copy nothing
    digest.update(b"%d\x00" % span[0])
    digest.update(view[: span[0]])
    digest.update(b"\x00" + orjson.dumps(metadata, option=orjson.OPT_SORT_KEYS) + b"\x00")
    digest.update(view[span[1] :])
    return stamps


def content_of(texts: Iterable[tuple[str, bytes]], settings: str) -> Content:
    """Digest of ``(kind, JSON text)`` pairs in kind order, without the volatile metadata, and ``settings``.

    Pairs are taken one at a time, so a caller inflating them lazily holds one text at once.

    ``settings`` names everything else the parse depends on (project name, layer rules, mapping
    version). Formatting counts: re-indented JSON is a different input, which only costs a
    full parse.

    Example:
        >>> a = b'{"metadata": {"generated_at": "2024-01-01"}, "nodes": {}}'
        >>> b = b'{"metadata": {"generated_at": "2030-01-01"}, "nodes": {}}'
        >>> content_of([("manifest", a)], "s").digest == content_of([("manifest", b)], "s").digest
        True
        >>> content_of([("manifest", b)], "s").stamps
        {'generated_at': '2030-01-01'}
        >>> content_of([("manifest", a)], "s").digest == content_of([("manifest", a)], "t").digest
        False
    """
    digest = hashlib.blake2b(settings.encode(), digest_size=16)
    stamps: dict[str, Any] = {}
    for kind, text in texts:
        digest.update(b"\x00%s\x00" % kind.encode())
        if kind in STAMPED:
            found = _hash_stamped(digest, text)
            stamps = found if kind == "manifest" else stamps
        else:
            digest.update(text)
    return Content(digest.hexdigest(), stamps)
