"""OpenLineage events in (``POST /lineage``) and the registered ingestion sources (``GET /sources``).

``/lineage`` is what the ``openlineage-python`` client's HTTP transport posts to (``url`` = the
dab base URL, ``endpoint`` = ``api/v1/lineage``, its api_key auth sends ``Authorization: Bearer``).
"""

from __future__ import annotations

from typing import Any

import anyio
import orjson
from fastapi import APIRouter, Request

from dab.api.schemas.lineage import LineageResult, SourceRead
from dab.api.writes import committed
from dab.errors import InvalidInput
from dab.ingest.dbt import gunzip
from dab.ingest.sources import SOURCES
from dab.services.ingest_openlineage import apply_events, check_events

router = APIRouter(tags=["ingestion"])

_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "description": "One OpenLineage RunEvent, DatasetEvent or JobEvent, or an array of them",
                "oneOf": [{"type": "object"}, {"type": "array", "items": {"type": "object"}}],
            }
        }
    },
}


def _inflated(raw: bytes, encoding: str, limit: int) -> bytes:
    """The body as sent (no encoding) or inflated (gzip, as the openlineage-python client's
    ``compression: gzip`` sends it), refused once it inflates past the upload limit."""
    coding = encoding.strip().lower()
    if coding in ("", "identity"):
        return raw
    if coding in ("gzip", "x-gzip"):
        return gunzip(raw, "request body", limit)
    raise InvalidInput(
        f"Content-Encoding {encoding!r} is not accepted; send gzip or no encoding",
        location="header.Content-Encoding",
    )


def _events(raw: bytes) -> list[Any]:
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidInput(f"request body is not valid JSON ({exc})", location="body") from exc
    return document if isinstance(document, list) else [document]


@router.post("/lineage", response_model=LineageResult, openapi_extra={"requestBody": _BODY})
async def post_lineage(request: Request) -> dict[str, Any]:
    """Apply OpenLineage events (one, or a batch as a JSON array); re-sent events change nothing."""
    raw = await request.body()
    encoding = request.headers.get("content-encoding", "")
    limit: int = request.app.state.settings.max_upload_bytes
    # Inflating, decoding and validation in one worker-thread hop, before the transaction opens.
    checked = await anyio.to_thread.run_sync(lambda: check_events(_events(_inflated(raw, encoding, limit))))
    namespaces = request.app.state.settings.dab_openlineage_namespaces
    out = await committed(request, lambda session: apply_events(session, checked, namespaces))
    if out["applied"]:
        # SQLite: the WAL pages this batch wrote are copied to the database in the background,
        # not by a later batch's commit (``sqlite_checkpoint``).
        request.app.state.checkpointer.after_write()
    return out


@router.get("/sources", response_model=list[SourceRead])
async def list_sources() -> list[dict[str, Any]]:
    """The registered ingestion sources and how their writes behave (snapshot or incremental)."""
    return [
        {
            "name": s.name,
            "semantics": s.semantics.value,
            "summary": s.summary,
            "inputs": s.inputs,
            "api": s.api,
        }
        for s in SOURCES
    ]
