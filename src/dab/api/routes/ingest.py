"""Ingestion: POST dbt artifacts (JSON body or multipart upload), list, get and retry jobs."""

from __future__ import annotations

import contextlib
from typing import Annotated, Any, Literal

import anyio
from fastapi import APIRouter, BackgroundTasks, Query, Request, Response
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException

from dab.api.deps import LimitQuery, OffsetQuery, SessionDep
from dab.api.ingest_body import split_json_body
from dab.api.schemas.common import Page
from dab.api.schemas.ingest import IngestJobRead
from dab.errors import DabError, InvalidArtifact, InvalidInput, PayloadTooLarge
from dab.services.ingest_dbt import (
    ARTIFACT_FILES,
    IngestRequest,
    JobFailed,
    JobPolicy,
    ParsedJob,
    create_job,
    parse_job,
    record_rejected_job,
    retry_request,
    write_job,
)
from dab.services.ingest_offload import JobContext, parse_offloaded, request_child, write_offloaded
from dab.services.jobs import get_job, job_summary, list_jobs

router = APIRouter(prefix="/ingest", tags=["ingestion"])
JOB_STATUSES = Literal["pending", "running", "completed", "failed"]


def job_policy(request: Request) -> JobPolicy:
    settings = request.app.state.settings
    return JobPolicy(
        lease_seconds=settings.dab_job_lease_seconds,
        max_artifact_bytes=settings.max_upload_bytes,
        keep_artifacts=settings.dab_artifacts_keep_per_project,
    )


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
        try:
            return await _multipart_request(request)
        except StarletteHTTPException as exc:
            if exc.status_code != 400:
                raise
            raise InvalidInput(f"malformed multipart body: {exc.detail}", location="body") from exc
    if content_type and not content_type.startswith("application/json"):
        raise InvalidInput(
            f"unsupported Content-Type {content_type!r}: send application/json or multipart/form-data",
            location="header.content-type",
        )
    # The app's body limit (DAB_MAX_UPLOAD_MB) counts the streamed bytes, whatever the transport.
    raw = await request.body()
    if request.app.state.settings.dab_ingest_worker == "process":
        # Decoding 50 MB of JSON holds the GIL for most of a second: not in this process.
        split: IngestRequest = await request_child().run(split_json_body, raw)
        return split
    return await anyio.to_thread.run_sync(split_json_body, raw)


def _as_dab_error(request: Request, exc: DabError | StarletteHTTPException) -> DabError:
    """What the rejected job records: the error, or the body limit the guard enforced."""
    if isinstance(exc, DabError):
        return exc
    if exc.status_code != 413:
        return InvalidInput(str(exc.detail))
    limit = request.app.state.settings.dab_max_upload_mb
    return PayloadTooLarge(f"request body exceeds the limit of {limit} MB (DAB_MAX_UPLOAD_MB)")


def _with_job(failed: JobFailed, job_id: str) -> Exception:
    """The error that failed the job, carrying the job id into the problem response."""
    error: DabError = failed.cause if isinstance(failed.cause, DabError) else failed
    error.job_id = job_id
    return error


def job_context(request: Request) -> JobContext:
    """What a job needs to run in the ingestion child process."""
    state = request.app.state
    settings = state.settings
    return JobContext(
        database_url=settings.effective_database_url,
        engine_options=dict(settings.engine_options),
        layer_rules=state.layer_rules,
        lineage=state.lineage_options,
        policy=job_policy(request),
    )


class _InThread:
    """The job runs in this process, parse and hashing in worker threads (DAB_INGEST_WORKER=thread)."""

    def __init__(self, request: Request, job_id: str) -> None:
        self.state, self.job_id, self.policy = request.app.state, job_id, job_policy(request)
        self.parsed: ParsedJob | None = None

    async def parse(self) -> None:
        state = self.state
        self.parsed = await parse_job(
            state.session_factory,
            self.job_id,
            layer_rules=state.layer_rules,
            policy=self.policy,
            lineage=state.lineage_options,
        )

    async def write(self) -> dict[str, Any]:
        assert self.parsed is not None
        factory, bump = self.state.session_factory, self.state.cache.bump
        return await write_job(factory, self.parsed, on_committed=bump, policy=self.policy)


class _InChild:
    """The job runs in the ingestion child process: this event loop only waits (the default)."""

    def __init__(self, request: Request, job_id: str) -> None:
        self.state, self.job_id, self.context = request.app.state, job_id, job_context(request)

    async def parse(self) -> None:
        await parse_offloaded(self.state.session_factory, self.context, self.job_id)

    async def write(self) -> dict[str, Any]:
        factory, bump = self.state.session_factory, self.state.cache.bump
        return await write_offloaded(factory, self.context, self.job_id, bump)


async def _submit(
    request: Request, ingest: IngestRequest, response: Response, background: BackgroundTasks, wait: bool
) -> dict[str, Any]:
    state = request.app.state
    async with state.session_factory.begin() as session:
        job_id = (await create_job(session, ingest)).id
    runner = (_InChild if state.settings.dab_ingest_worker == "process" else _InThread)(request, job_id)
    try:
        await runner.parse()
    except JobFailed as failed:
        raise _with_job(failed, job_id) from None
    response.headers["Location"] = f"{request.url.path.rsplit('/ingest', 1)[0]}/ingest/jobs/{job_id}"
    if wait:
        try:
            return await runner.write()
        except JobFailed as failed:
            raise _with_job(failed, job_id) from None
    background.add_task(_write_in_background, runner)
    response.status_code = 202
    async with state.session_factory() as session:
        return job_summary(await get_job(session, job_id))


async def _write_in_background(runner: _InThread | _InChild) -> None:
    # The failure is recorded on the job (or, with the database gone, by its lease).
    with contextlib.suppress(DabError):
        await runner.write()


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
    except (DabError, StarletteHTTPException) as exc:
        async with request.app.state.session_factory.begin() as session:
            await record_rejected_job(session, _as_dab_error(request, exc))
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
    async with request.app.state.session_factory.begin() as session:
        ingest = await retry_request(session, job_id, lease_seconds=job_policy(request).lease_seconds)
    return await _submit(request, ingest, response, background, wait)
