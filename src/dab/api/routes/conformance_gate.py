"""`POST /conformance/check`: the PR gate over two manifests sent in the request (nothing stored)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Query, Request, Response
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException

from dab.api.deps import SessionDep, SettingsDep
from dab.api.ingest_body import json_object
from dab.api.json_body import json_bytes
from dab.errors import InvalidArtifact, InvalidInput
from dab.services.conformance_check import Artifacts, gate_read, render_check
from dab.services.conformance_gate import check_change

router = APIRouter(prefix="/conformance", tags=["conformance"])
PARTS: dict[str, str] = {
    "manifest": "manifest.json",
    "baseline": "baseline manifest.json",
    "catalog": "catalog.json",
    "dbt_project": "dbt_project.yml",
}
MEDIA_TYPES = {
    "markdown": "text/markdown; charset=utf-8",
    "sarif": "application/sarif+json",
    "junit": "application/xml",
}


def _json_part(document: dict[str, Any], name: str) -> bytes | None:
    value = document.get(name)
    if value is None:
        return None
    if name == "dbt_project":
        if not isinstance(value, str):
            raise InvalidInput(
                "dbt_project must be the YAML text of dbt_project.yml", location="body.dbt_project"
            )
        return value.encode("utf-8")
    if not isinstance(value, dict):
        raise InvalidArtifact(
            f"{name} must be the artifact's JSON object; file paths on the server are never read",
            artifact=PARTS[name],
            json_path=f"$.{name}",
        )
    return orjson.dumps(value)


def _from_json(raw: bytes) -> dict[str, bytes | None]:
    document = json_object(raw)
    unknown = sorted(set(document) - set(PARTS))
    if unknown:
        raise InvalidInput(
            f"unknown field '{unknown[0]}' (allowed: {', '.join(PARTS)})", location=f"body.{unknown[0]}"
        )
    return {name: _json_part(document, name) for name in PARTS}


async def _from_multipart(request: Request) -> dict[str, bytes | None]:
    limit: int = request.app.state.settings.max_upload_bytes
    parts: dict[str, bytes | None] = dict.fromkeys(PARTS)
    async with request.form(max_part_size=limit) as form:
        for name in PARTS:
            part = form.get(name)
            if isinstance(part, UploadFile):
                parts[name] = await part.read()
            elif isinstance(part, str):
                raise InvalidInput(f"{name} must be uploaded as a file", location=f"body.{name}")
    return parts


async def _artifacts(request: Request) -> Artifacts:
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        # The app's RequestGuard refuses bodies over DAB_MAX_UPLOAD_MB, whatever the transport.
        try:
            parts = await _from_multipart(request)
        except StarletteHTTPException as exc:
            if exc.status_code != 400:
                raise
            raise InvalidInput(f"malformed multipart body: {exc.detail}", location="body") from exc
    elif not content_type or content_type.startswith("application/json"):
        parts = _from_json(await request.body())
    else:
        raise InvalidInput(
            f"unsupported Content-Type {content_type!r}: send application/json or multipart/form-data",
            location="header.content-type",
        )
    manifest = parts.pop("manifest")
    if manifest is None:
        raise InvalidInput("manifest is required", location="body.manifest")
    return Artifacts(manifest=manifest, **parts)


@router.post("/check")
async def check_change_request(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    output: Annotated[Literal["json", "markdown", "sarif", "junit"], Query(alias="format")] = "json",
    fail_on: Annotated[Literal["critical", "error", "warning", "info"], Query()] = "error",
) -> Response:
    """Evaluate ``manifest``; with ``baseline``, only what the change introduced fails the gate.

    JSON body (``{"manifest": {...}, "baseline": {...}}``) or multipart files of the same names;
    ``catalog`` and ``dbt_project`` (evaluator vars) are optional. Nothing is stored.
    """
    artifacts = await _artifacts(request)
    outcome = await check_change(
        session, artifacts, rules_dir=settings.dab_rules_dir, config_file=settings.dab_rules_config_file
    )
    if output == "json":
        body = gate_read(outcome, fail_on)
        body["passed"] = body["failing"] == 0
        return Response(json_bytes(body), media_type="application/json")
    return Response(render_check(outcome, output, fail_on), media_type=MEDIA_TYPES[output])
