"""`dab ingest --source dbt --manifest PATH ...` (and `dab ingest dbt|jobs|retry`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from typer._click import Command, Context
from typer.core import TyperGroup

from dab.cli._remote import RemoteClient
from dab.cli._render import console, job_stats_table, print_json, print_rows
from dab.cli._runtime import announce_write, fail, guarded, load_settings, run, unit_of_work
from dab.cli.ingest_events import ingest_openlineage
from dab.errors import InvalidInput
from dab.ingest.sources import get_source
from dab.services.column_lineage import LineageOptions
from dab.services.ingest_dbt import (
    ARTIFACT_FILES,
    IngestRequest,
    JobFailed,
    JobPolicy,
    create_job,
    parse_job,
    retry_request,
    write_job,
)
from dab.services.jobs import job_summary, list_jobs
from dab.services.layer_config import load_layer_rules
from dab.services.startup import recover_interrupted_jobs
from dab.settings import Settings
from dab.storage.db import create_engine, make_session_factory


class _IngestGroup(TyperGroup):
    """``dab ingest --source openlineage FILE``: a file after ``--source openlineage`` is the
    ``openlineage`` command's argument, not a command name."""

    def resolve_command(self, ctx: Context, args: list[str]) -> tuple[str | None, Command | None, list[str]]:
        if args and args[0] not in self.commands and ctx.params.get("source") == "openlineage":
            return "openlineage", self.commands["openlineage"], args
        return super().resolve_command(ctx, args)


app = typer.Typer(
    help="Ingest metadata (dbt artifacts, OpenLineage events) into the graph.",
    no_args_is_help=False,
    cls=_IngestGroup,
)
app.command("openlineage")(ingest_openlineage)

ApiUrl = Annotated[
    str | None, typer.Option("--api-url", envvar="DAB_API_URL", help="Send to this dab server")
]
ApiKey = Annotated[str | None, typer.Option("--api-key", envvar="DAB_API_KEY", help="API key for --api-url")]
FileOpt = Annotated[Path | None, typer.Option(exists=False, dir_okay=False)]


def _read(paths: dict[str, Path | None]) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    for kind, path in paths.items():
        if path is None:
            continue
        if not path.is_file():
            raise InvalidInput(f"--{kind.replace('_', '-')}: no such file: {path}", location=kind)
        out[kind] = path.read_bytes()
    return out


Step = Callable[[str], None]


def _lineage(settings: Settings) -> LineageOptions:
    return LineageOptions(
        tuple(settings.dab_pii_masking_functions),
        settings.dab_column_lineage_workers,
        tuple(sorted(settings.dab_openlineage_namespaces.items())),
    )


async def _ingest_locally(request: IngestRequest, step: Step = lambda _: None) -> dict[str, Any]:
    """Store, parse, write: one job on the configured database, reporting each stage."""
    settings = load_settings()
    step("storing artifacts")
    async with unit_of_work(settings) as session:
        job_id = (await create_job(session, request)).id
    # Stored (compressed) with the job: the raw bytes (600 MB at 100k models) go now, not after
    # the write. The caller handed the request over and holds no reference.
    del request
    engine = create_engine(settings.effective_database_url, **settings.engine_options)
    factory = make_session_factory(engine)
    policy = JobPolicy(
        lease_seconds=settings.dab_job_lease_seconds,
        max_artifact_bytes=settings.max_upload_bytes,
        keep_artifacts=settings.dab_artifacts_keep_per_project,
        fork_rows=True,  # this process runs this one job
    )
    try:
        # Jobs of processes that died (a killed CLI, a lost container) are recovered by anyone.
        await recover_interrupted_jobs(factory, lease_seconds=policy.lease_seconds)
        step("parsing")
        rules = load_layer_rules(settings.dab_layer_rules_file)
        parsed = await parse_job(
            factory, job_id, layer_rules=rules, policy=policy, lineage=_lineage(settings)
        )
        step("writing the graph")
        return await write_job(factory, parsed, on_committed=lambda: announce_write(settings), policy=policy)
    except JobFailed as failed:
        return failed.summary
    finally:
        await engine.dispose()


def _ingest_remotely(request: IngestRequest, api_url: str, api_key: str | None) -> dict[str, Any]:
    files = {kind: (ARTIFACT_FILES[kind], data) for kind, data in request.artifacts.items()}
    form = {"project_name": request.project_name} if request.project_name else {}
    result: dict[str, Any] = _remote_call(
        api_url, api_key, "POST", "/ingest/dbt", params={"wait": "true"}, files=files, data=form
    )
    return result


def _remote_call(api_url: str, api_key: str | None, method: str, path: str, **kwargs: Any) -> Any:
    client = RemoteClient(api_url, api_key)
    try:
        return client.request(method, path, **kwargs)
    finally:
        client.close()


def _report(job: dict[str, Any], output: str) -> None:
    if output == "json":
        print_json(job)
    elif job["status"] == "completed":
        console.print(job_stats_table(job))
    if job["status"] != "completed":
        error = job.get("error") or {}
        fail(f"ingestion failed: {error.get('message', 'unknown error')}", 3)


def ingest_dbt_files(
    paths: dict[str, Path | None],
    project_name: str | None,
    api_url: str | None,
    api_key: str | None,
    output: str,
) -> None:
    if paths.get("manifest") is None:
        fail("--manifest is required", 2)
    artifacts = guarded(lambda: _read(paths))
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=output == "json",
    ) as progress:
        if api_url:
            request = IngestRequest(artifacts=artifacts, project_name=project_name)
            progress.add_task(f"sending {len(request.artifacts)} artifact(s) to {api_url}", total=None)
            job = guarded(lambda: _ingest_remotely(request, api_url, api_key))
        else:
            task = progress.add_task("ingesting", total=3)

            def step(stage: str) -> None:
                done = {"storing artifacts": 0, "parsing": 1, "writing the graph": 2}[stage]
                progress.update(task, description=stage, completed=done)

            # Handed over in a list and no name kept here: _ingest_locally drops the bytes once stored.
            handed = [IngestRequest(artifacts=artifacts, project_name=project_name)]
            del artifacts
            job = run(lambda: _ingest_locally(handed.pop(), step))
    _report(job, output)


Output = Annotated[str, typer.Option("--format", help="table or json")]


@app.callback(invoke_without_command=True)
def ingest(
    ctx: typer.Context,
    source: Annotated[
        str | None, typer.Option(help="Metadata source: dbt or openlineage (`dab sources`)")
    ] = None,
    manifest: FileOpt = None,
    catalog: FileOpt = None,
    run_results: Annotated[Path | None, typer.Option("--run-results", dir_okay=False)] = None,
    sources: FileOpt = None,
    project_name: Annotated[str | None, typer.Option("--project-name")] = None,
    api_url: ApiUrl = None,
    api_key: ApiKey = None,
    output: Output = "table",
) -> None:
    """Ingest artifacts: `dab ingest --source dbt --manifest PATH [--catalog PATH] ...`,
    or events: `dab ingest --source openlineage FILE.jsonl`."""
    if ctx.invoked_subcommand is not None:
        return
    if source is None:
        fail("--source is required: dbt or openlineage (see `dab sources`)", 2)
    spec = guarded(lambda: get_source(source))
    if spec.name == "openlineage":
        fail("--source openlineage needs the events file: dab ingest --source openlineage FILE.jsonl", 2)
    paths = {"manifest": manifest, "catalog": catalog, "run_results": run_results, "sources": sources}
    ingest_dbt_files(paths, project_name, api_url, api_key, output)


@app.command("dbt")
def ingest_dbt(
    manifest: Annotated[Path, typer.Option(dir_okay=False, help="manifest.json (or .json.gz)")],
    catalog: FileOpt = None,
    run_results: Annotated[Path | None, typer.Option("--run-results", dir_okay=False)] = None,
    sources: FileOpt = None,
    project_name: Annotated[str | None, typer.Option("--project-name")] = None,
    api_url: ApiUrl = None,
    api_key: ApiKey = None,
    output: Output = "table",
) -> None:
    """Ingest dbt artifacts (same as `dab ingest --source dbt`)."""
    paths = {"manifest": manifest, "catalog": catalog, "run_results": run_results, "sources": sources}
    ingest_dbt_files(paths, project_name, api_url, api_key, output)


@app.command("jobs")
def jobs(
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 20,
    status: Annotated[str | None, typer.Option(help="pending, running, completed or failed")] = None,
    api_url: ApiUrl = None,
    api_key: ApiKey = None,
    output: Annotated[str, typer.Option("--format", help="table, json or csv")] = "table",
) -> None:
    """List recent ingestion jobs, newest first."""
    if api_url:
        params: dict[str, Any] = {"limit": limit, **({"status": status} if status else {})}
        rows = guarded(lambda: _remote_call(api_url, api_key, "GET", "/ingest/jobs", params=params))["data"]
    else:
        rows = run(lambda: _list_local(limit, status))
    for row in rows:
        row["error"] = (row.get("error") or {}).get("message")
    print_rows(
        rows,
        ["job_id", "project_name", "status", "created_at", "duration_seconds", "error"],
        output=output,
        title="ingestion jobs",
    )


async def _list_local(limit: int, status: str | None) -> list[dict[str, Any]]:
    async with unit_of_work(load_settings()) as session:
        found, _ = await list_jobs(session, limit=limit, offset=0, status=status)
        return [job_summary(j) for j in found]


@app.command("retry")
def retry(
    job_id: Annotated[str, typer.Argument(help="The job to run again")],
    api_url: ApiUrl = None,
    api_key: ApiKey = None,
    output: Output = "table",
) -> None:
    """Run a finished job again from its stored artifacts."""
    if api_url:
        path = f"/ingest/jobs/{job_id}/retry"
        job = guarded(lambda: _remote_call(api_url, api_key, "POST", path, params={"wait": "true"}))
    else:
        job = run(lambda: _retry_local(job_id))
    _report(job, output)


async def _retry_local(job_id: str) -> dict[str, Any]:
    settings = load_settings()
    async with unit_of_work(settings) as session:
        request = await retry_request(session, job_id, lease_seconds=settings.dab_job_lease_seconds)
    return await _ingest_locally(request)
