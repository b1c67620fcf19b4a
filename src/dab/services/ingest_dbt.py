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

from dab.domain.gc_pause import gc_paused
from dab.domain.graph import Graph
from dab.errors import DabError, InvalidArtifact, InvalidInput, ServiceUnavailable
from dab.ingest.dbt import LayerRules, load_artifact, parse_dbt
from dab.platform.logging import get_logger
from dab.services.graph_persistence import lock_project, persist_graph, set_last_job
from dab.services.ingest_shortcut import input_fingerprint, last_identical_write, unchanged_stats
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
    log.warning("ingestion_failed", job_id=job_id, error=summary["error"]["message"])
    return summary


@dataclass(frozen=True)
class _Started:
    artifacts: dict[str, bytes]
    project_name: str | None
    fingerprint: str
    identical: tuple[str, str, dict[str, Any]] | None


async def _start(
    factory: async_sessionmaker[AsyncSession], job_id: str, layer_rules: LayerRules | None
) -> _Started:
    async with factory.begin() as session:
        job = await get_job(session, job_id)
        job.status = "running"
        job.started_at = utcnow()
        job.worker = this_worker()
        fingerprint = await input_fingerprint(session, job_id, job.project, layer_rules)
        identical = await last_identical_write(session, fingerprint)
        artifacts = {} if identical else await load_job_artifacts(session, job_id)
        return _Started(artifacts, job.project, fingerprint, identical)


@dataclass(frozen=True)
class ParsedJob:
    """A job whose artifacts parsed cleanly, ready to be written."""

    job_id: str
    project: str
    graph: Graph | None
    """None when the input is byte-identical to the project's last write (nothing to do)."""
    invocation_id: str | None
    fingerprint: str
    identical_to: tuple[str, dict[str, Any]] | None = None
    layer_rules: LayerRules | None = None


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
    started = await _start(factory, job_id, layer_rules)
    if started.identical is not None:
        project, previous_job, stats = started.identical
        return ParsedJob(job_id, project, None, None, started.fingerprint, (previous_job, stats), layer_rules)
    try:
        graph, invocation = await anyio.to_thread.run_sync(
            parse_artifacts, started.artifacts, started.project_name, layer_rules
        )
    except DabError as exc:
        raise JobFailed(await _fail(factory, job_id, exc), exc) from exc
    project = graph.project.name if graph.project else (started.project_name or "default")
    return ParsedJob(job_id, project, graph, invocation, started.fingerprint, layer_rules=layer_rules)


async def _write_graph(
    session: AsyncSession, parsed: ParsedJob, graph: Graph
) -> tuple[dict[str, Any], list[Any]]:
    with gc_paused():
        stats = await persist_graph(
            session, graph, project=parsed.project, run_invocation_id=parsed.invocation_id
        )
    warnings = [
        {"artifact": i.artifact, "json_path": i.json_path, "message": i.message} for i in graph.issues[:1000]
    ]
    return stats, warnings


async def _graph_now(session: AsyncSession, parsed: ParsedJob, project_name: str | None) -> Graph:
    """Another job wrote the project since this one was found identical: parse after all."""
    artifacts = await load_job_artifacts(session, parsed.job_id)
    graph, _ = await anyio.to_thread.run_sync(parse_artifacts, artifacts, project_name, parsed.layer_rules)
    return graph


async def write_job(
    factory: async_sessionmaker[AsyncSession], parsed: ParsedJob, *, on_committed: OnCommitted | None = None
) -> dict[str, Any]:
    """Persist a parsed job's graph and complete the job, in one transaction."""
    project = parsed.project
    try:
        lock = _project_locks.setdefault(project, asyncio.Lock())
        async with lock, factory.begin() as session:
            previous_job = await lock_project(session, project)
            job = await get_job(session, parsed.job_id)
            graph = parsed.graph
            if graph is None and (parsed.identical_to is None or parsed.identical_to[0] != previous_job):
                graph = await _graph_now(session, parsed, job.project)
            if graph is None:
                assert parsed.identical_to is not None
                stats = unchanged_stats({**parsed.identical_to[1], "identical_to_job": previous_job})
                warnings: list[Any] = []
            else:
                stats, warnings = await _write_graph(session, parsed, graph)
            await set_last_job(session, project, parsed.job_id)
            stats["input_fingerprint"] = parsed.fingerprint
            job.project, job.status, job.finished_at = project, "completed", utcnow()
            job.stats, job.warnings = stats, warnings
            summary = job_summary(job)
    except (DabError, SQLAlchemyError, OSError) as exc:
        if not isinstance(exc, DabError):
            log.error("ingestion_database_error", job_id=parsed.job_id, error=str(exc)[:500])
        raise JobFailed(await _fail(factory, parsed.job_id, exc), exc) from exc
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
