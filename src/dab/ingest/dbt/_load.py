"""Reading artifact bytes (plain or gzip-compressed JSON) and checking their schema version."""

from __future__ import annotations

import re
import zlib
from typing import Any

import orjson

from dab.domain.gc_pause import gc_paused
from dab.errors import InvalidArtifact, PayloadTooLarge
from dab.ingest.dbt._pieces import loads as loads_in_pieces

MANIFEST = "manifest.json"
CATALOG = "catalog.json"
RUN_RESULTS = "run_results.json"
SOURCES = "sources.json"

_GZIP_MAGIC = b"\x1f\x8b"
_BOM = b"\xef\xbb\xbf"
_SCHEMA_URL = re.compile(r"/dbt/([A-Za-z_-]+)/v(\d+)\.json\s*$")

# The artifact kind in a schema URL -> (file name, supported versions).
SUPPORTED: dict[str, tuple[str, range]] = {
    "manifest": (MANIFEST, range(7, 13)),
    "catalog": (CATALOG, range(1, 2)),
    "run-results": (RUN_RESULTS, range(4, 7)),
    "sources": (SOURCES, range(3, 4)),
}
_KIND_BY_ARTIFACT = {name: kind for kind, (name, _) in SUPPORTED.items()}


NUL_STRIPPED = "NUL characters were removed from strings (no database can store them)"
_ESCAPED_NUL = b"\\u0000"
DEFAULT_MAX_BYTES = 512 * 1024 * 1024


def load_artifact(
    data: bytes, artifact: str, *, max_bytes: int = DEFAULT_MAX_BYTES, notes: list[str] | None = None
) -> dict[str, Any]:
    """Decode one artifact: JSON, or gzip-compressed JSON (detected by its magic bytes).

    Raises InvalidArtifact naming ``artifact`` and ``$`` when the bytes are not a JSON object,
    PayloadTooLarge as soon as the inflated JSON passes ``max_bytes`` (a gzip bomb never
    inflates whole). NUL characters in strings are removed, and said in ``notes``.
    """
    return decode_artifact(artifact_bytes(data, artifact, max_bytes=max_bytes), artifact, notes=notes)


def decode_artifact(data: bytes, artifact: str, *, notes: list[str] | None = None) -> dict[str, Any]:
    """``load_artifact`` of a text ``artifact_bytes`` already returned (inflated, no BOM)."""
    try:
        # Decoding makes millions of containers: the collections they trigger rescan them all
        # (4x the decode time on a 37 MB manifest). JSON cannot hold reference cycles.
        with gc_paused():
            document = loads_in_pieces(data)
    except orjson.JSONDecodeError as exc:
        raise InvalidArtifact(f"not valid JSON: {exc}", artifact=artifact) from exc
    if not isinstance(document, dict):
        raise InvalidArtifact(f"expected a JSON object, got {type(document).__name__}", artifact=artifact)
    if _ESCAPED_NUL in data:
        document = {key.replace("\x00", ""): _without_nul(v) for key, v in document.items()}
        if notes is not None:
            notes.append(NUL_STRIPPED)
    return document


def artifact_bytes(data: bytes, artifact: str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """The JSON text of an artifact: inflated when gzip-compressed, without a byte-order mark.

    Raises PayloadTooLarge as soon as the text passes ``max_bytes``.
    """
    if data[:2] == _GZIP_MAGIC:
        data = gunzip(data, artifact, max_bytes)
    elif len(data) > max_bytes:
        raise PayloadTooLarge(f"{artifact} is {len(data)} bytes; the limit is {max_bytes}")
    return data[3:] if data[:3] == _BOM else data


_INFLATE_STEP = 16 * 1024 * 1024


def gunzip(data: bytes, artifact: str, max_bytes: int) -> bytes:
    """Inflate (every member of) gzip ``data``, refusing as soon as the output passes ``max_bytes``.

    When the gzip trailer announces more than the limit, a first pass inflates without keeping
    anything: a bomb is refused holding a few MB, never ``max_bytes``.
    """
    if len(data) >= 18 and int.from_bytes(data[-4:], "little") > max_bytes:
        _inflate(data, artifact, max_bytes, keep=False)
    return _inflate(data, artifact, max_bytes, keep=True)


def _inflate(data: bytes, artifact: str, max_bytes: int, *, keep: bool) -> bytes:
    parts: list[bytes] = []
    size = 0
    rest = data
    try:
        while rest[:2] == _GZIP_MAGIC:
            inflater = zlib.decompressobj(wbits=31)
            pending = rest
            while pending and not inflater.eof:
                piece = inflater.decompress(pending, min(_INFLATE_STEP, max_bytes + 1 - size))
                size += len(piece)
                if size > max_bytes:
                    raise PayloadTooLarge(f"{artifact} inflates to more than the limit of {max_bytes} bytes")
                if keep:
                    parts.append(piece)
                pending = inflater.unconsumed_tail
            if not inflater.eof:
                raise InvalidArtifact("corrupt gzip data: the stream is truncated", artifact=artifact)
            rest = inflater.unused_data
    except zlib.error as exc:
        raise InvalidArtifact(f"corrupt gzip data: {exc}", artifact=artifact) from exc
    if rest.strip(b"\x00"):
        raise InvalidArtifact("corrupt gzip data: trailing bytes after the stream", artifact=artifact)
    return b"".join(parts)


def _without_nul(value: Any) -> Any:
    """``value`` with NUL characters removed from every string, keys included."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {k.replace("\x00", ""): _without_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_nul(v) for v in value]
    return value


def schema_version(document: dict[str, Any], artifact: str) -> tuple[str, int]:
    """The (kind, version) of an artifact from ``metadata.dbt_schema_version``."""
    metadata = document.get("metadata")
    if not isinstance(metadata, dict):
        raise InvalidArtifact("missing required object 'metadata'", artifact=artifact, json_path="$.metadata")
    path = "$.metadata.dbt_schema_version"
    url = metadata.get("dbt_schema_version")
    if not isinstance(url, str):
        raise InvalidArtifact("missing dbt schema version", artifact=artifact, json_path=path)
    match = _SCHEMA_URL.search(url)
    if match is None:
        raise InvalidArtifact(f"unrecognised dbt schema version {url!r}", artifact=artifact, json_path=path)
    return match.group(1), int(match.group(2))


def check_version(document: dict[str, Any], artifact: str) -> int:
    """Check that ``document`` is the ``artifact`` it claims to be, in a supported version."""
    kind, version = schema_version(document, artifact)
    path = "$.metadata.dbt_schema_version"
    expected = _KIND_BY_ARTIFACT[artifact]
    if kind != expected:
        sent = SUPPORTED[kind][0] if kind in SUPPORTED else f"a dbt '{kind}' artifact"
        raise InvalidArtifact(
            f"this is {sent} (schema {kind} v{version}), not {artifact}", artifact=artifact, json_path=path
        )
    supported = SUPPORTED[kind][1]
    if version not in supported:
        raise InvalidArtifact(
            f"unsupported {kind} schema v{version} (supported: v{supported[0]}-v{supported[-1]})",
            artifact=artifact,
            json_path=path,
        )
    return version


def require_object(document: dict[str, Any], key: str, artifact: str) -> dict[str, Any]:
    value = document.get(key)
    if not isinstance(value, dict):
        raise InvalidArtifact(f"missing required object {key!r}", artifact=artifact, json_path=f"$.{key}")
    return value


def require_list(document: dict[str, Any], key: str, artifact: str) -> list[Any]:
    value = document.get(key)
    if not isinstance(value, list):
        raise InvalidArtifact(f"missing required array {key!r}", artifact=artifact, json_path=f"$.{key}")
    return value
