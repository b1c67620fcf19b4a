"""Use case: ingest dbt artifacts as a job (parse -> diff-persist in one transaction).

A job stores its artifacts compressed before anything else happens, so a failed or
interrupted job can be retried from exactly the same input.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import anyio
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dab.domain.graph import Graph
from dab.errors import DabError, InvalidArtifact, InvalidInput, ServiceUnavailable
from dab.ingest.dbt import LayerRules, load_artifact, parse_dbt
from dab.platform.gc_pause import gc_paused
from dab.platform.logging import get_logger
from dab.platform.metrics import INGESTIONS
from dab.services.graph_persistence import lock_project, persist_graph
from dab.services.jobs import get_job, job_summary, this_worker
from dab.storage.records import IngestionArtifactRecord, IngestionJobRecord, utcnow

ARTIFACT_FILES = {
    "manifest": "manifest.json",
    "catalog": "catalog.json",
    "run_results": "run_results.json",
    "sources": "sources.json",
}
GZIP_MAGIC = b"\x1f\x8b"
OnCommitted = Callable[[], Awaitable[None]]
log = get_logger("dab.ingest")

_project_locks: dict[str, asyncio.Lock] = {}


@dataclass(frozen=True)
class IngestRequest:
    """Raw artifact bytes (JSON or gzip) by kind, as the user sent them."""

    artifacts: Mapping[str, bytes]
    project_name: str | None = None
    source: str = "dbt"
    retry_of: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)


def _compress(data: bytes) -> bytes:
    return (
        data if data[:2] == GZIP_MAGIC else gzip.compress(data, compresslevel=1)
    )  # speed over ratio: JSON still shrinks ~10x


def _decompress(data: bytes) -> bytes:
    return gzip.decompress(data) if data[:2] == GZIP_MAGIC else data


async def create_job(session: AsyncSession, request: IngestRequest) -> IngestionJobRecord:
    if "manifest" not in request.artifacts:
        raise InvalidInput("manifest is required", location="body.manifest")
    unknown = set(request.artifacts) - set(ARTIFACT_FILES)
    if unknown:
        raise InvalidInput(f"unknown artifact(s): {', '.join(sorted(unknown))}", location="body")
    job = IngestionJobRecord(
        source=request.source,
        project=request.project_name,
        status="pending",
        retry_of=request.retry_of,
        worker=this_worker(),
        stats={},
        warnings=[],
    )
    session.add(job)
    await session.flush()
    for kind, data in request.artifacts.items():
        stored = await anyio.to_thread.run_sync(_compress, data)
        session.add(
            IngestionArtifactRecord(
                job_id=job.id,
                kind=kind,
                content_gzip=stored,
                size_bytes=len(data),
                sha256=hashlib.sha256(data).hexdigest(),
            )
        )
    return job


async def record_rejected_job(
    session: AsyncSession, error: DabError, *, source: str = "dbt", project_name: str | None = None
) -> str:
    """A request refused before any artifact could be stored still leaves a failed job behind."""
    now = utcnow()
    job = IngestionJobRecord(
        source=source,
        project=project_name,
        status="failed",
        started_at=now,
        finished_at=now,
        worker=this_worker(),
        stats={},
        warnings=[],
        error=_error_body(error),
    )
    session.add(job)
    await session.flush()
    INGESTIONS.labels(source, "failed").inc()
    return job.id


async def load_job_artifacts(session: AsyncSession, job_id: str) -> dict[str, bytes]:
    rows = await session.execute(
        select(IngestionArtifactRecord.kind, IngestionArtifactRecord.content_gzip).where(
            IngestionArtifactRecord.job_id == job_id
        )
    )
    return {kind: content for kind, content in rows.all()}  # noqa: C416 - Row -> tuple


def parse_artifacts(
    artifacts: Mapping[str, bytes], project_name: str | None, layer_rules: LayerRules | None
) -> tuple[Graph, str | None]:
    """Decode and parse (CPU-bound: run in a worker thread). Returns the graph and the
    invocation id of the run results, which keys the run history."""
    with gc_paused():
        docs = {
            kind: load_artifact(_decompress(data), ARTIFACT_FILES[kind]) for kind, data in artifacts.items()
        }
        graph = parse_dbt(
            docs["manifest"],
            docs.get("catalog"),
            docs.get("run_results"),
            docs.get("sources"),
            project_name=project_name,
            layer_rules=layer_rules,
        )
    run_results = docs.get("run_results") or {}
    invocation = (run_results.get("metadata") or {}).get("invocation_id")
    return graph, invocation if isinstance(invocation, str) else None


def _error_body(exc: Exception) -> dict[str, Any]:
    if isinstance(exc, InvalidArtifact):
        return {"message": exc.detail, "artifact": exc.artifact, "json_path": exc.json_path}
    if isinstance(exc, DabError):
        return {"message": exc.detail, "artifact": None, "json_path": None}
    return {"message": f"database error: {type(exc).__name__}", "artifact": None, "json_path": None}


async def _fail(factory: async_sessionmaker[AsyncSession], job_id: str, exc: Exception) -> dict[str, Any]:
    async with factory.begin() as session:
        job = await get_job(session, job_id)
        job.status = "failed"
        job.finished_at = utcnow()
        job.error = _error_body(exc)
        summary = job_summary(job)
    INGESTIONS.labels(summary["source"], "failed").inc()
    log.warning("ingestion_failed", job_id=job_id, error=summary["error"]["message"])
    return summary


async def _start(
    factory: async_sessionmaker[AsyncSession], job_id: str
) -> tuple[dict[str, bytes], str | None]:
    async with factory.begin() as session:
        job = await get_job(session, job_id)
        job.status = "running"
        job.started_at = utcnow()
        job.worker = this_worker()
        return await load_job_artifacts(session, job_id), job.project


@dataclass(frozen=True)
class ParsedJob:
    """A job whose artifacts parsed cleanly, ready to be written."""

    job_id: str
    project: str
    graph: Graph
    invocation_id: str | None


class JobFailed(ServiceUnavailable):
    """The job failed; ``summary`` is the stored failed job, ``cause`` what made it fail.

    Raised as such only for storage failures (nothing was changed; the job can be retried).
    """

    code = "ingestion_failed"

    def __init__(self, summary: dict[str, Any], cause: Exception) -> None:
        super().__init__(f"{summary['error']['message']}; nothing was changed, retry the job")
        self.summary = summary
        self.cause = cause


async def parse_job(
    factory: async_sessionmaker[AsyncSession], job_id: str, *, layer_rules: LayerRules | None = None
) -> ParsedJob:
    """Mark the job running and parse its stored artifacts; bad input fails the job."""
    artifacts, project_name = await _start(factory, job_id)
    try:
        graph, invocation = await anyio.to_thread.run_sync(
            parse_artifacts, artifacts, project_name, layer_rules
        )
    except DabError as exc:
        raise JobFailed(await _fail(factory, job_id, exc), exc) from exc
    project = graph.project.name if graph.project else (project_name or "default")
    return ParsedJob(job_id, project, graph, invocation)


async def write_job(
    factory: async_sessionmaker[AsyncSession], parsed: ParsedJob, *, on_committed: OnCommitted | None = None
) -> dict[str, Any]:
    """Persist a parsed job's graph and complete the job, in one transaction."""
    graph, project = parsed.graph, parsed.project
    try:
        lock = _project_locks.setdefault(project, asyncio.Lock())
        async with lock, factory.begin() as session:
            await lock_project(session, project, parsed.job_id)
            with gc_paused():
                stats = await persist_graph(
                    session, graph, project=project, run_invocation_id=parsed.invocation_id
                )
            job = await get_job(session, parsed.job_id)
            job.project = project
            job.status = "completed"
            job.finished_at = utcnow()
            job.stats = stats
            job.warnings = [
                {"artifact": i.artifact, "json_path": i.json_path, "message": i.message}
                for i in graph.issues[:1000]
            ]
            summary = job_summary(job)
    except (DabError, SQLAlchemyError, OSError) as exc:
        if not isinstance(exc, DabError):
            log.error("ingestion_database_error", job_id=parsed.job_id, error=str(exc)[:500])
        raise JobFailed(await _fail(factory, parsed.job_id, exc), exc) from exc
    INGESTIONS.labels(summary["source"], "completed").inc()
    log.info("ingestion_completed", job_id=parsed.job_id, project=project, stats=stats)
    if on_committed is not None:
        await on_committed()
    return summary


async def run_job(
    factory: async_sessionmaker[AsyncSession],
    job_id: str,
    *,
    layer_rules: LayerRules | None = None,
    on_committed: OnCommitted | None = None,
) -> dict[str, Any]:
    """Parse and write a pending job; returns the finished job (completed or failed)."""
    try:
        parsed = await parse_job(factory, job_id, layer_rules=layer_rules)
        return await write_job(factory, parsed, on_committed=on_committed)
    except JobFailed as failed:
        return failed.summary


async def retry_request(session: AsyncSession, job_id: str) -> IngestRequest:
    """The request that runs finished job ``job_id`` again over its stored artifacts."""
    original = await get_job(session, job_id)
    if original.status in ("pending", "running"):
        raise InvalidInput(
            f"job {job_id} is {original.status}; only finished jobs can be retried", location="path.job_id"
        )
    artifacts = await load_job_artifacts(session, job_id)
    return IngestRequest(
        artifacts=artifacts, project_name=original.project, source=original.source, retry_of=job_id
    )
