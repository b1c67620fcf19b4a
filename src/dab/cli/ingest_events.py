"""`dab ingest --source openlineage FILE.jsonl` (also `dab ingest openlineage FILE.jsonl`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from dab.cli._remote import RemoteClient
from dab.cli._render import console, print_json
from dab.cli._runtime import announce_write, guarded, load_settings, run, unit_of_work
from dab.errors import InvalidInput
from dab.ingest.openlineage.jsonl import read_events
from dab.services.ingest_openlineage import ingest_lineage_batches
from dab.storage.db import create_engine, make_session_factory

BATCH = 1_000
"""Events per transaction (local) or request (--api-url)."""


def _events(path: Path) -> list[Any]:
    if not path.is_file():
        raise InvalidInput(f"no such file: {path}", location="FILE")
    return read_events(path.read_bytes(), path.name)


async def _locally(events: list[Any]) -> dict[str, Any]:
    settings = load_settings()
    async with unit_of_work(settings):  # migrates the embedded database before the first batch
        pass
    engine = create_engine(settings.effective_database_url, **settings.engine_options)
    try:
        out = await ingest_lineage_batches(
            make_session_factory(engine),
            events,
            batch_size=BATCH,
            namespaces=settings.dab_openlineage_namespaces,
        )
    finally:
        await engine.dispose()
    await announce_write(settings)
    return out


def _remotely(events: list[Any], api_url: str, api_key: str | None) -> dict[str, Any]:
    totals = {"received": 0, "applied": 0, "duplicates": 0, "batches": 0}
    client = RemoteClient(api_url, api_key)
    try:
        for start in range(0, len(events), BATCH):
            out = client.request("POST", "/lineage", json=events[start : start + BATCH])
            totals["batches"] += 1
            for key in ("received", "applied", "duplicates"):
                totals[key] += out[key]
    finally:
        client.close()
    return totals


def ingest_openlineage(
    ctx: typer.Context,
    file: Annotated[
        Path, typer.Argument(dir_okay=False, help="OpenLineage events, one JSON object per line")
    ],
    api_url: Annotated[str | None, typer.Option("--api-url", envvar="DAB_API_URL")] = None,
    api_key: Annotated[str | None, typer.Option("--api-key", envvar="DAB_API_KEY")] = None,
    output: Annotated[str, typer.Option("--format", help="table or json")] = "table",
) -> None:
    """Ingest OpenLineage events from a JSON Lines file (an incremental source: nothing is removed)."""
    group = ctx.parent.params if ctx.parent is not None else {}
    api_url = api_url or group.get("api_url")
    api_key = api_key or group.get("api_key")
    output = str(group.get("output") or output) if output == "table" else output
    events = guarded(lambda: _events(file))
    if api_url:
        result = guarded(lambda: _remotely(events, api_url, api_key))
    else:
        result = run(lambda: _locally(events))
    if output == "json":
        print_json(result)
    else:
        console.print(
            f"{result['applied']} event(s) applied, {result['duplicates']} already known, "
            f"{result['batches']} batch(es) from {file}"
        )
