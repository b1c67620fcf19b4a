"""`dab serve`: run the API with uvicorn."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Annotated

import typer
import uvicorn

from dab.cli._runtime import load_settings
from dab.storage import migrate


def _metrics_dir(workers: int) -> None:
    """Several workers share their counters through files (prometheus-client multiprocess mode),
    which must start empty on every start."""
    chosen = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not chosen:
        if workers == 1:
            return
        chosen = os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="dab-metrics-")
    folder = Path(chosen)
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):
        stale.unlink()


def serve(
    host: Annotated[str, typer.Option(help="Interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes")] = 1,
    reload: Annotated[bool, typer.Option(help="Restart on code changes (development)")] = False,
) -> None:
    """Serve the REST API (the app is dab.api.main:app)."""
    settings = load_settings()  # fail fast with one line on bad configuration
    if workers > 1 and settings.database_url is None:
        typer.echo("note: several workers on the embedded SQLite serialise writes; use PostgreSQL", err=True)
    if settings.database_url is None:
        migrate.upgrade(settings.effective_database_url)  # once, before the workers start
    _metrics_dir(workers)
    uvicorn.run(
        "dab.api.main:app",
        host=host,
        port=port,
        workers=workers,
        reload=reload,
        log_level=settings.log_level.lower(),
        access_log=False,
        timeout_graceful_shutdown=settings.dab_shutdown_grace_seconds,
    )
