"""Ingestion jobs of the API server, run in a child process so its event loop only does I/O.

Decoding a 50 MB artifact, parsing it, hashing every row and building the write hold the GIL
for long stretches; in a worker thread of the server they stalled health checks and reads for
up to seconds. Here the whole job (parse, then the diff-write in its own transaction) runs in
one spawned child with its own engine, and only small values cross back: the project name
after parsing, the job summary after writing. The parent keeps the job's lease while the job
waits for or runs in the child, and kills the child if the request is cancelled (the
transaction rolls back; the job is recovered as interrupted).

Parse and write are two calls so that bad input is answered (422) before a 202: the child keeps
the parsed graph between them, and parses again if it was restarted in between.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dab.errors import DabError, ServiceUnavailable
from dab.ingest.dbt import LayerRules
from dab.platform.child_process import ChildDied, ChildProcess
from dab.platform.logging import configure_logging
from dab.services.column_lineage import LineageOptions
from dab.services.ingest_dbt import JobFailed, JobPolicy, ParsedJob, fail_job, parse_job, write_job
from dab.services.jobs import act_for, job_lease, this_worker
from dab.storage.db import create_engine, make_session_factory

T = TypeVar("T")
Factory = async_sessionmaker[AsyncSession]


@dataclass(frozen=True)
class JobContext:
    """Everything the child needs to run a job, all of it picklable."""

    database_url: str
    engine_options: dict[str, Any] = field(default_factory=dict)
    layer_rules: LayerRules | None = None
    lineage: LineageOptions | None = None
    policy: JobPolicy = field(default_factory=JobPolicy)


# ---- in the child -------------------------------------------------------------------------

_KEEP_PARSED = 4
_parsed: OrderedDict[str, ParsedJob] = OrderedDict()


def _child_started(worker: str, log_level: str) -> None:
    act_for(worker)
    configure_logging(log_level)


def _with_database(context: JobContext, work: Callable[[Factory], Awaitable[T]]) -> T:
    async def run() -> T:
        engine = create_engine(context.database_url, **context.engine_options)
        try:
            return await work(make_session_factory(engine))
        finally:
            await engine.dispose()

    try:
        return asyncio.run(run())
    except JobFailed as failed:
        raise _portable_failure(failed) from None


def _portable_failure(failed: JobFailed) -> JobFailed:
    """The failure as it can cross to the parent: a driver's exception may not pickle (the
    parent answers with the JobFailed itself then, whose message the summary holds)."""
    if isinstance(failed.cause, DabError):
        return failed
    return JobFailed(failed.summary, RuntimeError(f"{type(failed.cause).__name__}: {failed.cause}"))


async def _parse(factory: Factory, context: JobContext, job_id: str) -> ParsedJob:
    return await parse_job(
        factory, job_id, layer_rules=context.layer_rules, policy=context.policy, lineage=context.lineage
    )


def parse_in_child(context: JobContext, job_id: str) -> str:
    """Parse the job and keep the result for the write; returns the project name."""
    parsed = _with_database(context, lambda factory: _parse(factory, context, job_id))
    _parsed[job_id] = parsed
    while len(_parsed) > _KEEP_PARSED:  # a parse whose write never came (its request went away)
        _parsed.popitem(last=False)
    return parsed.project


def write_in_child(context: JobContext, job_id: str) -> dict[str, Any]:
    """Write the job parsed before (or parse it now) and complete it; the job's summary."""
    kept = _parsed.pop(job_id, None)

    async def work(factory: Factory) -> dict[str, Any]:
        parsed = kept if kept is not None else await _parse(factory, context, job_id)
        # This child runs one job at a time and serves no requests: it may fork (``fork_rows``).
        return await write_job(factory, parsed, policy=replace(context.policy, fork_rows=True))

    return _with_database(context, work)


# ---- in the server ------------------------------------------------------------------------

_child: ChildProcess | None = None
_request_child: ChildProcess | None = None


def ingestion_child(log_level: str = "INFO", nice: int = 0) -> ChildProcess:
    """The process's one ingestion child (shared by every app in the process: tests build many;
    the first call's arguments decide). ``nice``: how far below the server's CPU priority it runs."""
    global _child
    if _child is None:
        _child = ChildProcess(_child_started, (this_worker(), log_level), nice=nice)
    return _child


def request_child(nice: int = 0) -> ChildProcess:
    """A second child for the CPU work of reading requests (a JSON body to split): it must not
    queue behind a running ingestion."""
    global _request_child
    if _request_child is None:
        _request_child = ChildProcess(nice=nice)
    return _request_child


async def _in_child(
    factory: Factory, context: JobContext, job_id: str, call: Callable[[JobContext, str], T]
) -> T:
    # The parent renews the lease too: the job may queue behind another one for a long time.
    async with job_lease(factory, job_id, context.policy.lease_seconds):
        try:
            result: T = await ingestion_child().run(call, context, job_id)
            return result
        except ChildDied as died:  # its transaction died with it: nothing was written
            error = ServiceUnavailable(f"{died}; nothing was changed, retry the job")
            raise JobFailed(await fail_job(factory, job_id, error), error) from died


async def parse_offloaded(factory: Factory, context: JobContext, job_id: str) -> str:
    """Mark the job running and parse it in the child; raises JobFailed like ``parse_job``."""
    return await _in_child(factory, context, job_id, parse_in_child)


async def write_offloaded(
    factory: Factory, context: JobContext, job_id: str, on_committed: Callable[[], Awaitable[None]] | None
) -> dict[str, Any]:
    """Write the parsed job in the child (one transaction there), then ``on_committed`` here."""
    summary = await _in_child(factory, context, job_id, write_in_child)
    if on_committed is not None:
        await on_committed()
    return summary
