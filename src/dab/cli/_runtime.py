"""What every command shares: settings, one-line errors, exit codes, the unit of work."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, NoReturn, TypeVar

import click
import typer
from rich.console import Console
from rich.markup import escape

from dab.errors import DabError, InvalidArtifact, InvalidInput, NotFound, clip

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from dab.settings import Settings

# Settings, the storage layer, SQLAlchemy and the cache client are imported where a command uses them:
# `dab conformance check` (CI, no database) must not pay for them at start-up.

T = TypeVar("T")
err_console = Console(stderr=True)

EXIT_CODES: dict[type[DabError], int] = {NotFound: 4, InvalidInput: 2, InvalidArtifact: 3}
EXIT_UNAVAILABLE = 5


def fail(message: str, code: int = 1) -> NoReturn:
    line = clip(" ".join(message.split()))  # one line, whatever the message held
    err_console.print(f"[bold red]error:[/] {escape(line)}", highlight=False, markup=True, soft_wrap=True)
    raise typer.Exit(code)


def load_settings() -> Settings:
    from pydantic import ValidationError

    from dab.settings import get_settings

    try:
        return get_settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        fail(str(first.get("ctx", {}).get("error", first["msg"])))


def guarded(func: Callable[[], T]) -> T:
    """Call a command body; any failure becomes one line on stderr and an exit code, never a
    traceback (the database being unreachable included)."""
    try:
        return func()
    except DabError as exc:
        code = next((c for t, c in EXIT_CODES.items() if isinstance(exc, t)), 1)
        fail(exc.detail, code)
    except (typer.Exit, typer.Abort, click.ClickException):
        raise
    except Exception as exc:
        if not isinstance(exc, (OSError, TimeoutError)) and not _database_error(exc):
            fail(f"internal error: {type(exc).__name__}: {exc}")  # a bug: still one line, never a traceback
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0] if str(exc) else type(exc).__name__
        fail(f"database unavailable: {reason}", EXIT_UNAVAILABLE)


def _database_error(exc: Exception) -> bool:
    """A SQLAlchemy error (only possible once SQLAlchemy has been imported)."""
    errors = sys.modules.get("sqlalchemy.exc")
    return errors is not None and isinstance(exc, errors.SQLAlchemyError)


def run(coro_factory: Callable[[], Awaitable[T]]) -> T:
    """``guarded`` for an async command body."""

    async def _main() -> T:
        return await coro_factory()

    return guarded(lambda: asyncio.run(_main()))


async def announce_write(settings: Settings) -> None:
    """Tell running servers' caches that the database changed under them."""
    if settings.cache_enabled:
        from dab.platform import cache

        await cache.announce_write(
            redis_url=settings.effective_cache_url,
            generation_file=settings.cache_generation_file,
            prefix=settings.cache_key_prefix,
        )


@asynccontextmanager
async def unit_of_work(settings: Settings) -> AsyncIterator[AsyncSession]:
    """One transaction on the configured database (embedded SQLite is migrated first)."""
    from dab.storage import migrate
    from dab.storage.db import create_engine, make_session_factory

    url = settings.effective_database_url
    if settings.database_url is None:
        await asyncio.to_thread(migrate.upgrade, url)
    engine = create_engine(url, **settings.engine_options)
    try:
        async with make_session_factory(engine).begin() as session:
            yield session
    finally:
        await engine.dispose()
