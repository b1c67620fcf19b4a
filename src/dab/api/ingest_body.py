"""The runbook's JSON ingestion body, split into artifact bytes (CPU-bound: the server runs it
in a child process or a worker thread, never on its event loop)."""

from __future__ import annotations

from typing import Any

import orjson
from pydantic import ValidationError

from dab.api.schemas.ingest import DbtIngestBody
from dab.domain.gc_pause import gc_paused
from dab.errors import InvalidArtifact, InvalidInput
from dab.services.ingest_dbt import ARTIFACT_FILES, IngestRequest


def json_object(raw: bytes) -> dict[str, Any]:
    """A request body that must be one JSON object (422 problem naming the body otherwise)."""
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidArtifact(f"request body is not valid JSON ({exc})", artifact="request body") from exc
    if not isinstance(document, dict):
        raise InvalidArtifact("request body must be a JSON object", artifact="request body")
    return document


def _json_request(raw: bytes) -> IngestRequest:
    """Split the runbook's JSON body into artifact bytes (CPU-bound: run in a worker thread)."""
    document = json_object(raw)
    for kind in ARTIFACT_FILES:
        if isinstance(document.get(kind), str):
            raise InvalidArtifact(
                f"{kind} must be the artifact's JSON content; file paths on the server are never read",
                artifact=ARTIFACT_FILES[kind],
                json_path=f"$.{kind}",
            )
    # Validate the envelope only: the artifacts stand in as empty objects (no deep copy).
    envelope = {k: ({} if k in ARTIFACT_FILES and isinstance(v, dict) else v) for k, v in document.items()}
    try:
        body = DbtIngestBody.model_validate(envelope)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InvalidInput(f"{where}: {first['msg']}", location=f"body.{where}") from exc
    artifacts = {
        kind: _encode(document[kind], kind) for kind in ARTIFACT_FILES if document.get(kind) is not None
    }
    return IngestRequest(artifacts=artifacts, project_name=body.project_name)


def _encode(artifact: Any, kind: str) -> bytes:
    try:
        return orjson.dumps(artifact)
    except orjson.JSONEncodeError as exc:
        raise InvalidArtifact(
            f"cannot be stored: {exc}", artifact=ARTIFACT_FILES[kind], json_path=f"$.{kind}"
        ) from exc


def split_json_body(raw: bytes) -> IngestRequest:
    # Decoding allocates a million cycle-free objects: collections would only rescan them.
    with gc_paused():
        return _json_request(raw)
