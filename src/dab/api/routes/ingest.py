"""Ingestion: POST dbt artifacts (JSON body or multipart upload), list, get and retry jobs."""

from __future__ import annotations

import contextlib
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, BackgroundTasks, Query, Request, Response
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from dab.api.deps import LimitQuery, OffsetQuery, SessionDep
from dab.api.schemas.common import Page
from dab.api.schemas.ingest import DbtIngestBody, IngestJobRead
from dab.errors import DabError, InvalidArtifact, InvalidInput, PayloadTooLarge
from dab.services.ingest_dbt import (
    ARTIFACT_FILES,
    IngestRequest,
    JobFailed,
    create_job,
    parse_job,
    record_rejected_job,
    retry_request,
    write_job,
)
from dab.services.jobs import get_job, job_summary, list_jobs

router = APIRouter(prefix="/ingest", tags=["ingestion"])
JOB_STATUSES = Literal["pending", "running", "completed", "failed"]


def _refuse_declared_oversize(request: Request) -> int:
    """413 before reading anything when Content-Length already exceeds the limit; the limit."""
    limit: int = request.app.state.settings.max_upload_bytes
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(
            f"request body is {int(declared)} bytes; the limit is {limit} (DAB_MAX_UPLOAD_MB)"
        )
    return limit


async def _read_body(request: Request) -> bytes:
    """The request body, refused with 413 as soon as it passes the configured limit."""
    limit = _refuse_declared_oversize(request)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"request body exceeds the limit of {limit} bytes (DAB_MAX_UPLOAD_MB)")
        chunks.append(chunk)
    return b"".join(chunks)


def _json_request(raw: bytes) -> IngestRequest:
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidArtifact(f"request body is not valid JSON ({exc})", artifact="request body") from exc
    if not isinstance(document, dict):
        raise InvalidArtifact("request body must be a JSON object", artifact="request body")
    for kind in ARTIFACT_FILES:
        value = document.get(kind)
        if isinstance(value, str):
            raise InvalidArtifact(
                f"{kind} must be the artifact's JSON content; file paths on the server are never read",
                artifact=ARTIFACT_FILES[kind],
                json_path=f"$.{kind}",
            )
    try:
        body = DbtIngestBody.model_validate(document)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InvalidInput(f"{where}: {first['msg']}", location=f"body.{where}") from exc
    artifacts = {
        kind: orjson.dumps(getattr(body, kind)) for kind in ARTIFACT_FILES if getattr(body, kind) is not None
    }
    return IngestRequest(artifacts=artifacts, project_name=body.project_name)


async def _multipart_request(request: Request) -> IngestRequest:
    limit: int = request.app.state.settings.max_upload_bytes
    async with request.form(max_part_size=limit) as form:
        artifacts: dict[str, bytes] = {}
        for kind in ARTIFACT_FILES:
            part = form.get(kind)
            if isinstance(part, UploadFile):
                artifacts[kind] = await part.read()
            elif isinstance(part, str):
                raise InvalidArtifact(
                    f"{kind} must be uploaded as a file; file paths on the server are never read",
                    artifact=ARTIFACT_FILES[kind],
                )
        project = form.get("project_name")
        return IngestRequest(artifacts=artifacts, project_name=project if isinstance(project, str) else None)


async def _ingest_request(request: Request) -> IngestRequest:
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        _refuse_declared_oversize(request)
        return await _multipart_request(request)
    if content_type and not content_type.startswith("application/json"):
        raise InvalidInput(
            f"unsupported Content-Type {content_type!r}: send application/json or multipart/form-data",
            location="header.content-type",
        )
    return _json_request(await _read_body(request))


def _with_job(failed: JobFailed, job_id: str) -> Exception:
    """The error that failed the job, carrying the job id into the problem response."""
    error: DabError = failed.cause if isinstance(failed.cause, DabError) else failed
    error.job_id = job_id
    return error


async def _submit(
    request: Request, ingest: IngestRequest, response: Response, background: BackgroundTasks, wait: bool
) -> dict[str, Any]:
    state = request.app.state
    async with state.session_factory.begin() as session:
        job_id = (await create_job(session, ingest)).id
    try:
        parsed = await parse_job(
            state.session_factory, job_id, layer_rules=state.layer_rules, lineage=state.lineage_options
        )
    except JobFailed as failed:
        raise _with_job(failed, job_id) from None
    response.headers["Location"] = f"{request.url.path.rsplit('/ingest', 1)[0]}/ingest/jobs/{job_id}"
    if wait:
        try:
            return await write_job(state.session_factory, parsed, on_committed=state.cache.bump)
        except JobFailed as failed:
            raise _with_job(failed, job_id) from None
    background.add_task(_write_in_background, state, parsed)
    response.status_code = 202
    async with state.session_factory() as session:
        return job_summary(await get_job(session, job_id))


async def _write_in_background(state: Any, parsed: Any) -> None:
    with contextlib.suppress(JobFailed):  # the failure is recorded on the job
        await write_job(state.session_factory, parsed, on_committed=state.cache.bump)


@router.post(
    "/dbt",
    status_code=201,
    response_model=IngestJobRead,
    responses={202: {"model": IngestJobRead, "description": "Accepted; poll the Location"}},
)
async def ingest_dbt(
    request: Request,
    response: Response,
    background: BackgroundTasks,
    wait: Annotated[bool, Query(description="Answer when the job has finished")] = False,
) -> dict[str, Any]:
    """Ingest dbt artifacts: JSON body (runbook) or multipart files (large or gzipped)."""
    try:
        ingest = await _ingest_request(request)
    except DabError as exc:
        async with request.app.state.session_factory.begin() as session:
            await record_rejected_job(session, exc)
        raise
    return await _submit(request, ingest, response, background, wait)


@router.get("/jobs", response_model=Page[IngestJobRead])
async def list_ingestion_jobs(
    session: SessionDep,
    limit: LimitQuery = 50,
    offset: OffsetQuery = 0,
    status: Annotated[JOB_STATUSES | None, Query(description="Only jobs in this status")] = None,
) -> dict[str, Any]:
    jobs, total = await list_jobs(session, limit=limit, offset=offset, status=status)
    return {"data": [job_summary(j) for j in jobs], "total": total, "limit": limit, "offset": offset}


@router.get("/jobs/{job_id}", response_model=IngestJobRead)
async def get_ingestion_job(job_id: str, session: SessionDep) -> dict[str, Any]:
    return job_summary(await get_job(session, job_id))


@router.post(
    "/jobs/{job_id}/retry",
    status_code=201,
    response_model=IngestJobRead,
    responses={202: {"model": IngestJobRead}},
)
async def retry_ingestion_job(
    job_id: str,
    request: Request,
    response: Response,
    background: BackgroundTasks,
    wait: Annotated[bool, Query(description="Answer when the job has finished")] = False,
) -> dict[str, Any]:
    """Run a finished job again from its stored, compressed artifacts."""
    async with request.app.state.session_factory() as session:
        ingest = await retry_request(session, job_id)
    return await _submit(request, ingest, response, background, wait)
