"""`dab backup`, `dab restore` (embedded SQLite) and `dab cache clear|stats` (every backend)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from dab.cli._render import print_json
from dab.cli._runtime import load_settings, run, unit_of_work
from dab.services.backup import backup_database, restore_database
from dab.services.cache_admin import cache_stats, clear_caches
from dab.settings import Settings

cache_app = typer.Typer(no_args_is_help=True, help="The read cache: clear it or show its state.")
PathArg = Annotated[Path, typer.Argument(dir_okay=False, help="SQLite backup file")]


def _redis(settings: Settings) -> str | None:
    return settings.effective_cache_url if settings.cache_enabled else None


def backup(path: PathArg) -> None:
    """Copy the embedded SQLite database to PATH while the server keeps running."""
    settings = load_settings()
    out = run(lambda: backup_database(settings.effective_database_url, path))
    typer.echo(f"backed up {out['bytes']} bytes to {out['backup']}")


def restore(path: PathArg) -> None:
    """Replace the embedded database with backup PATH; running servers serve it at once."""
    settings = load_settings()
    out = run(
        lambda: restore_database(
            settings.effective_database_url,
            path,
            dab_home=settings.dab_home,
            redis_url=_redis(settings),
            generation_file=settings.cache_generation_file,
            prefix=settings.cache_key_prefix,
        )
    )
    typer.echo(f"restored {out['restored']} (schema revision {out['backup_revision']}, upgraded to head)")
    if out["previous_state_saved_to"]:
        typer.echo(f"the previous database was saved to {out['previous_state_saved_to']}")
    typer.echo("caches flushed: every running worker serves the restored data")


@cache_app.command("clear")
def clear_cache() -> None:
    """Retire every cached read (Redis and every server's in-process cache)."""
    settings = load_settings()

    async def work() -> dict[str, Any]:
        async with unit_of_work(settings) as session:
            return await clear_caches(
                session,
                redis_url=_redis(settings),
                generation_file=settings.cache_generation_file,
                prefix=settings.cache_key_prefix,
            )

    out = run(work)
    deleted = out["redis_entries_deleted"]
    typer.echo(f"cache cleared: new generation {out['generation']}")
    if deleted is not None:
        typer.echo(f"redis entries deleted: {deleted}")
    typer.echo("in-process caches of running servers drop their entries within a second")


@cache_app.command("stats")
def show_cache_stats() -> None:
    """The cache generation and, with Redis, its entries, hits, misses and memory (JSON)."""
    settings = load_settings()

    async def work() -> dict[str, Any]:
        async with unit_of_work(settings) as session:
            stats = await cache_stats(session, redis_url=_redis(settings), prefix=settings.cache_key_prefix)
        backend = "disabled" if not settings.cache_enabled else ("redis" if _redis(settings) else "memory")
        return {"backend": backend, "ttl_seconds": settings.cache_ttl_seconds, **stats}

    print_json(run(work))
