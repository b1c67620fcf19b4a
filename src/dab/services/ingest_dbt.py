"""Use case: ingest dbt artifacts as a job (parse -> diff-persist in one transaction).

A job stores its artifacts compressed before anything else happens, so a failed or
interrupted job can be retried from exactly the same input.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import anyio
from sqlalchemy import select
from sqlalchemy.exc import DataError, DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dab.columnlineage.graph import Packed, assemble_lineage
from dab.domain.gc_pause import gc_frozen, rare_full_collections
from dab.domain.graph import Graph, IngestIssue
from dab.errors import Conflict, DabError, InvalidArtifact, InvalidInput, ServiceUnavailable, clip
from dab.ingest.dbt import LayerRules, artifact_bytes, content_of, parse_dbt_texts
from dab.platform.logging import get_logger
from dab.services.artifact_gzip import compress_artifacts
from dab.services.column_lineage import (
    ChunkAssembly,
    LineageOptions,
    LineageWork,
    finish_column_lineage,
    plan_column_lineage,
    predicted_edges,
    store_lineage_state,
)
from dab.services.graph_persistence import (
    WriteMemo,
    insert_column_edges,
    lock_project,
    persist_graph,
    set_last_job,
    store_refreshed_findings,
    touch_project,
    write_column_edges,
)
from dab.services.ingest_shortcut import (
    LastWrite,
    identical_write,
    input_fingerprint,
    last_writes,
    parse_settings,
    unchanged_stats,
    writes_by_content,
)
from dab.services.jobs import (
    get_job,
    job_lease,
    job_summary,
    mark_interrupted_jobs,
    prune_artifacts,
    this_worker,
)
from dab.services.lineage_early import EarlyLineage, begin_early, drop_early, early_alongside, take_early
from dab.services.lineage_workers import derivation_alongside, derive_spread, lanes_for
from dab.services.pii_scan import apply_pii_findings, refresh_pii_findings
from dab.services.sql_facts_stored import save_facts
from dab.storage.graph_writer import DiffStats, StoredEdges, stored_column_edges
from dab.storage.provenance import adopt_datasets
from dab.storage.records import IngestionArtifactRecord, IngestionJobRecord, utcnow

ARTIFACT_FILES = {
    "manifest": "manifest.json",
    "catalog": "catalog.json",
    "run_results": "run_results.json",
    "sources": "sources.json",
}
OnCommitted = Callable[[], Awaitable[None]]
log = get_logger("dab.ingest")

_project_locks: dict[str, asyncio.Lock] = {}


@dataclass(frozen=True)
class JobPolicy:
    """The limits a job runs under (entry points build it from the settings)."""

    lease_seconds: float = 60.0
    """A running job renews its lease every quarter of this; unrenewed for this long, it was abandoned."""
    max_artifact_bytes: int = 512 * 1024 * 1024
    """An artifact may not inflate beyond this (DAB_MAX_UPLOAD_MB)."""
    keep_artifacts: int = 20
    """Stored artifacts are kept for the newest this-many finished jobs of a project."""
    fork_rows: bool = False
    """The process runs this one job (the CLI, the server's ingestion child): a big first write
    on SQLite may encode its rows in a forked child (``services/first_write.py``). Never in a
    process serving requests: forking it is not safe."""


@dataclass(frozen=True)
class IngestRequest:
    """Raw artifact bytes (JSON or gzip) by kind, as the user sent them."""

    artifacts: Mapping[str, bytes]
    project_name: str | None = None
    source: str = "dbt"
    retry_of: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)


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
        heartbeat_at=utcnow(),
        stats={},
        warnings=[],
    )
    session.add(job)
    await session.flush()
    compressed = await anyio.to_thread.run_sync(compress_artifacts, request.artifacts)
    for kind, data in request.artifacts.items():
        stored, digest = compressed[kind]
        session.add(
            IngestionArtifactRecord(
                job_id=job.id, kind=kind, content_gzip=stored, size_bytes=len(data), sha256=digest
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
    artifacts: Mapping[str, bytes],
    project_name: str | None,
    layer_rules: LayerRules | None,
    max_bytes: int = JobPolicy.max_artifact_bytes,
    *,
    texts: dict[str, bytes] | None = None,
) -> tuple[Graph, str | None]:
    """Decode and parse (CPU-bound: run in a worker thread). Returns the graph and the
    invocation id of the run results, which keys the run history. ``texts``: ``artifacts``
    already through ``artifact_bytes`` (inflated); the dict is emptied as they are decoded.

    Any failure is a DabError: a shape the parser did not expect is the artifacts' fault.
    """
    notes: dict[str, list[str]] = {}

    def inflated() -> dict[str, bytes]:
        return {
            kind: artifact_bytes(data, ARTIFACT_FILES[kind], max_bytes=max_bytes)
            for kind, data in artifacts.items()
        }

    try:
        # One document decoded at a time, each released before the next (the memory peak);
        # a big manifest a piece at a time, starting over from ``artifacts`` if that stops half-way.
        graph, invocation = parse_dbt_texts(
            inflated() if texts is None else texts,
            project_name=project_name,
            layer_rules=layer_rules,
            notes=notes,
            again=inflated,
        )
    except DabError:
        raise
    except RecursionError as exc:
        raise InvalidArtifact("JSON nested too deeply to process", artifact="dbt artifacts") from exc
    except Exception as exc:  # the parser met a shape it does not handle
        log.warning("ingestion_unexpected_shape", error_type=type(exc).__name__, error=clip(str(exc)))
        raise InvalidArtifact(
            f"unexpected structure ({type(exc).__name__}: {clip(str(exc), 200)})", artifact="dbt artifacts"
        ) from exc
    graph.issues.extend(IngestIssue(name, "$", note) for name, found in notes.items() for note in found)
    return graph, invocation


def _error_body(exc: Exception) -> dict[str, Any]:
    if isinstance(exc, InvalidArtifact):
        return {"message": exc.detail, "artifact": exc.artifact, "json_path": exc.json_path}
    if isinstance(exc, DabError):
        return {"message": exc.detail, "artifact": None, "json_path": None}
    return {"message": f"database error: {type(exc).__name__}", "artifact": None, "json_path": None}


async def fail_job(factory: async_sessionmaker[AsyncSession], job_id: str, exc: Exception) -> dict[str, Any]:
    """Record the failure on the job; when even that fails (the database is gone), the job is
    left to its lease: any process recovers it as interrupted once the lease expires."""
    try:
        async with factory.begin() as session:
            job = await get_job(session, job_id)
            job.status = "failed"
            job.finished_at = utcnow()
            job.error = _error_body(exc)
            summary = job_summary(job)
    except Exception as recording:
        log.error("ingestion_failure_not_recorded", job_id=job_id, error=type(recording).__name__)
        unavailable = ServiceUnavailable(
            "the database is unavailable; the job will be marked failed once its lease expires, "
            "then it can be retried"
        )
        unavailable.job_id = job_id
        raise unavailable from exc
    log.warning("ingestion_failed", job_id=job_id, error=summary["error"]["message"])
    return summary


@dataclass(frozen=True)
class _Started:
    artifacts: dict[str, bytes]
    project_name: str | None
    fingerprint: str
    identical: LastWrite | None
    by_content: dict[str, LastWrite] = field(default_factory=dict)
    settings: str = ""


async def _start(
    factory: async_sessionmaker[AsyncSession],
    job_id: str,
    layer_rules: LayerRules | None,
    lineage: LineageOptions | None = None,
) -> _Started:
    async with factory.begin() as session:
        job = await get_job(session, job_id)
        job.status = "running"
        job.started_at = utcnow()
        job.worker = this_worker()
        masking = lineage.masking_functions if lineage else ()
        fingerprint = await input_fingerprint(session, job_id, job.project, layer_rules, masking)
        writes = await last_writes(session)
        identical = identical_write(writes, fingerprint)
        artifacts = {} if identical else await load_job_artifacts(session, job_id)
        settings = parse_settings(job.project, layer_rules, masking)
        return _Started(artifacts, job.project, fingerprint, identical, writes_by_content(writes), settings)


@dataclass(frozen=True)
class ParsedJob:
    """A job whose artifacts parsed cleanly, ready to be written."""

    job_id: str
    project: str
    graph: Graph | None
    """None when the input equals the project's last write (nothing to do)."""
    invocation_id: str | None
    fingerprint: str
    identical_to: tuple[str, dict[str, Any]] | None = None
    layer_rules: LayerRules | None = None
    lineage: LineageOptions | None = None
    content_fingerprint: str | None = None
    stamps: dict[str, Any] | None = None
    """Set when the input equals the last write but for the manifest's invocation stamps (these)."""


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
    factory: async_sessionmaker[AsyncSession],
    job_id: str,
    *,
    layer_rules: LayerRules | None = None,
    policy: JobPolicy = JobPolicy(),
    lineage: LineageOptions | None = None,
) -> ParsedJob:
    """Mark the job running and parse its stored artifacts; any failure fails the job."""
    async with job_lease(factory, job_id, policy.lease_seconds):
        try:
            started = await _start(factory, job_id, layer_rules, lineage)
            if started.identical is not None:
                project, previous_job, stats = started.identical
                identical = (previous_job, stats)
                return ParsedJob(
                    job_id,
                    project,
                    None,
                    None,
                    started.fingerprint,
                    identical,
                    layer_rules,
                    lineage,
                    content_fingerprint=stats.get("content_fingerprint"),
                )
            return await anyio.to_thread.run_sync(
                _parse_unless_equal, job_id, started, layer_rules, lineage, policy.max_artifact_bytes
            )
        except Exception as exc:
            drop_early(job_id)
            raise JobFailed(await fail_job(factory, job_id, exc), exc) from exc


def _parse_unless_equal(
    job_id: str,
    started: _Started,
    layer_rules: LayerRules | None,
    lineage: LineageOptions | None,
    max_bytes: int,
) -> ParsedJob:
    """Parse the artifacts, unless their content digest equals that of a project's last write."""
    # Inflated once: the digest and, unless the content equals a last write, the parse read them.
    texts = {
        kind: artifact_bytes(started.artifacts[kind], ARTIFACT_FILES[kind], max_bytes=max_bytes)
        for kind in sorted(started.artifacts)
    }
    content = content_of(texts.items(), started.settings)
    fingerprint = started.fingerprint
    equal = started.by_content.get(content.digest)
    if equal is not None:
        project, previous_job, stats = equal
        return ParsedJob(
            job_id,
            project,
            None,
            None,
            fingerprint,
            (previous_job, stats),
            layer_rules,
            lineage,
            content_fingerprint=content.digest,
            stamps=content.stamps,
        )
    begin_early(job_id, started.artifacts, lineage, max_bytes)  # the helpers derive meanwhile
    graph, invocation = parse_artifacts(
        started.artifacts, started.project_name, layer_rules, max_bytes, texts=texts
    )
    project = graph.project.name if graph.project else (started.project_name or "default")
    return ParsedJob(
        job_id,
        project,
        graph,
        invocation,
        fingerprint,
        layer_rules=layer_rules,
        lineage=lineage,
        content_fingerprint=content.digest,
    )


async def _persist(session: AsyncSession, parsed: ParsedJob, graph: Graph, **options: Any) -> dict[str, Any]:
    return await persist_graph(
        session, graph, project=parsed.project, run_invocation_id=parsed.invocation_id, **options
    )


async def _write_graph(
    session: AsyncSession, parsed: ParsedJob, graph: Graph, *, fork_rows: bool = False
) -> tuple[dict[str, Any], list[Any]]:
    stored_edges = await stored_column_edges(session, parsed.project)
    options = parsed.lineage or LineageOptions()
    # Outside the GC pause: sqlglot's trees are cyclic (parent links), 10k of them must be collected.
    work = await plan_column_lineage(session, graph, project=parsed.project, options=options)
    early = take_early(parsed.job_id)
    if lanes_for(options.workers, len(work.plan.tasks), options.parallel_min) > 1:
        stats, pii, lineage_states = await _write_while_deriving(
            session, parsed, graph, work, stored_edges, early
        )
    else:
        if early is not None:
            early.stop(kill=True)
        with rare_full_collections():
            results = await derive_spread(
                work.plan.tasks, options.workers, options.parallel_min, on_tree=work.on_tree
            )
            derived = await anyio.to_thread.run_sync(assemble_lineage, work.plan, results)
        work.note_facts(0, results)
        lineage_states = await finish_column_lineage(graph, work, derived, stored_edges)
        pii = await apply_pii_findings(session, graph)
        stats = await _persist(session, parsed, graph, stored_column_edges=stored_edges, fork_rows=fork_rows)
    await store_lineage_state(session, lineage_states)
    await save_facts(session, work.sql_facts)  # in a savepoint: a failure costs only the facts
    stats["column_lineage"] = graph.column_lineage_coverage
    stats["pii"] = pii
    warnings = [
        {"artifact": i.artifact, "json_path": i.json_path, "message": i.message} for i in graph.issues[:1000]
    ]
    return stats, warnings


async def _write_while_deriving(
    session: AsyncSession,
    parsed: ParsedJob,
    graph: Graph,
    work: LineageWork,
    stored_edges: StoredEdges,
    early: EarlyLineage | None = None,
) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]:
    """A big derivation runs in the helpers while this process writes the graph; then this
    process joins it for the chunks left, and the column edges are written last.

    The columns are written with PII found along the stored (previous) lineage; once the
    derived lineage is known, the findings that differ are rewritten with their digests and
    their capsules' PII counts, so the stored rows equal a serial write's.
    """
    options = parsed.lineage or LineageOptions()
    masked_as_parsed = {urn for urn, column in graph.columns.items() if column.is_masked}
    memo = WriteMemo()  # what persist_graph overwrote and hashed, for the fix-up
    alongside = (
        derivation_alongside(work.plan.tasks, options.workers, options.parallel_min, work.on_tree)
        if early is None  # else the helpers have been deriving since the job started
        else early_alongside(early, work.plan, work.on_tree)
    )
    async with alongside as join:
        await apply_pii_findings(session, graph, predicted_edges(stored_edges, graph))
        stats = await _persist(session, parsed, graph, with_column_edges=False, memo=memo)
        assembly = ChunkAssembly(work)
        inserted = [0]

        async def take(start: int, results: list[Packed]) -> None:
            # While the helpers derive the rest: this part's edges, and the new ones written.
            part = await assembly.add(start, results)
            inserted[0] += await insert_column_edges(session, part.edges, parsed.project, stored_edges)

        with rare_full_collections():
            await join(take)
    lineage_states = await finish_column_lineage(graph, work, assembly.whole(), stored_edges)
    pii, changed = await refresh_pii_findings(session, graph, masked_as_parsed)
    await store_refreshed_findings(session, graph, parsed.project, changed, memo, stats)
    if stored_edges:
        edges = await write_column_edges(session, graph, parsed.project, stored_edges, new_inserted=True)
    else:  # nothing was stored (a first ingestion): no deletes, no updates, every pair inserted above
        edges = DiffStats(created=inserted[0])
    stats["column_lineage_edges"] = edges.as_dict()
    stats["totals"]["column_lineage_edges"] = len(graph.column_edges)
    return stats, pii, lineage_states


async def _graph_now(
    session: AsyncSession, parsed: ParsedJob, project_name: str | None, max_bytes: int
) -> Graph:
    """Another job wrote the project since this one was found identical: parse after all."""
    artifacts = await load_job_artifacts(session, parsed.job_id)
    graph, _ = await anyio.to_thread.run_sync(
        parse_artifacts, artifacts, project_name, parsed.layer_rules, max_bytes
    )
    return graph


async def write_job(
    factory: async_sessionmaker[AsyncSession],
    parsed: ParsedJob,
    *,
    on_committed: OnCommitted | None = None,
    policy: JobPolicy = JobPolicy(),
) -> dict[str, Any]:
    """Persist a parsed job's graph and complete the job, in one transaction."""
    try:
        async with job_lease(factory, parsed.job_id, policy.lease_seconds):
            # The parsed graph out of the GC's scans, and full collections rare while the write
            # allocates (column edges and rows): each rescans everything allocated so far.
            with gc_frozen(), rare_full_collections():
                summary, stats = await _write(factory, parsed, policy)
            drop_early(parsed.job_id)  # still there when the input equalled the last write
    except Exception as exc:
        drop_early(parsed.job_id)
        if not isinstance(exc, DabError):
            log.error("ingestion_write_error", job_id=parsed.job_id, error=clip(str(exc)))
        cause = _refused_value(exc) or exc
        raise JobFailed(await fail_job(factory, parsed.job_id, cause), cause) from exc
    log.info("ingestion_completed", job_id=parsed.job_id, project=parsed.project, stats=stats)
    if on_committed is not None:
        await on_committed()
    return summary


def _refused_value(exc: Exception) -> InvalidArtifact | None:
    """A value the database refuses to store (SQLSTATE class 22, "data exception") is the
    artifacts' fault (422), not an outage: a retry could never succeed."""
    driver_error = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    sqlstate = str(getattr(driver_error, "sqlstate", "") or getattr(driver_error, "pgcode", "") or "")
    if not (isinstance(exc, DataError) or sqlstate.startswith("22")):
        return None
    reason = (str(driver_error).splitlines() or [type(driver_error).__name__])[0]
    return InvalidArtifact(f"a value cannot be stored: {clip(reason, 200)}", artifact="dbt artifacts")


async def _write(
    factory: async_sessionmaker[AsyncSession], parsed: ParsedJob, policy: JobPolicy
) -> tuple[dict[str, Any], dict[str, Any]]:
    project = parsed.project
    lock = _project_locks.setdefault(project, asyncio.Lock())
    async with lock, factory.begin() as session:
        previous_job = await lock_project(session, project)
        job = await get_job(session, parsed.job_id)
        graph = parsed.graph
        if graph is None and (parsed.identical_to is None or parsed.identical_to[0] != previous_job):
            graph = await _graph_now(session, parsed, job.project, policy.max_artifact_bytes)
        if graph is None:
            assert parsed.identical_to is not None
            stats = unchanged_stats(parsed.identical_to[1])
            if parsed.stamps is None:
                stats["identical_to_job"] = previous_job
            else:
                stats["equal_to_job"] = previous_job
                await touch_project(session, project, parsed.stamps.get("generated_at"))
            warnings: list[Any] = []
        else:
            stats, warnings = await _write_graph(session, parsed, graph, fork_rows=policy.fork_rows)
        # Also after an equal input: datasets may have arrived since the last write.
        namespaces = dict(parsed.lineage.openlineage_namespaces) if parsed.lineage else {}
        provenance = stats.setdefault("provenance", {"handed_over": [], "reclaimed": []})
        provenance["adopted"] = await adopt_datasets(session, project, namespaces)
        await set_last_job(session, project, parsed.job_id)
        stats["input_fingerprint"] = parsed.fingerprint
        stats["content_fingerprint"] = parsed.content_fingerprint
        job.project, job.status, job.finished_at = project, "completed", utcnow()
        job.stats, job.warnings = stats, warnings
        await prune_artifacts(session, project, keep=policy.keep_artifacts)
        return job_summary(job), stats


async def run_job(
    factory: async_sessionmaker[AsyncSession],
    job_id: str,
    *,
    layer_rules: LayerRules | None = None,
    on_committed: OnCommitted | None = None,
    policy: JobPolicy = JobPolicy(),
    lineage: LineageOptions | None = None,
) -> dict[str, Any]:
    """Parse and write a pending job; returns the finished job (completed or failed)."""
    try:
        parsed = await parse_job(factory, job_id, layer_rules=layer_rules, policy=policy, lineage=lineage)
        return await write_job(factory, parsed, on_committed=on_committed, policy=policy)
    except JobFailed as failed:
        return failed.summary


async def retry_request(
    session: AsyncSession, job_id: str, *, lease_seconds: float = JobPolicy.lease_seconds
) -> IngestRequest:
    """The request that runs finished job ``job_id`` again over its stored artifacts.

    A job still marked running whose lease expired is recovered (failed) first.
    """
    original = await get_job(session, job_id)
    if original.status in ("pending", "running"):
        await mark_interrupted_jobs(session, lease_seconds=lease_seconds)
        await session.refresh(original)
    if original.status in ("pending", "running"):
        raise Conflict(f"job {job_id} is {original.status}; only finished jobs can be retried")
    artifacts = await load_job_artifacts(session, job_id)
    if not artifacts:
        raise Conflict(
            f"job {job_id} can no longer be retried: its artifacts were pruned "
            "(DAB_ARTIFACTS_KEEP_PER_PROJECT keeps those of the newest jobs)"
        )
    return IngestRequest(
        artifacts=artifacts, project_name=original.project, source=original.source, retry_of=job_id
    )
