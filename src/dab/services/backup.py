"""Use cases: `dab backup` and `dab restore` for the embedded SQLite database.

A restore ends with the schema brought up to date and a cache flush (a new cache generation in
the database and Redis), so every running worker serves the restored state, not its cache.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio

from dab.platform.cache import PREFIX
from dab.services.cache_admin import clear_caches
from dab.storage import migrate, sqlite_backup
from dab.storage.db import create_engine, make_session_factory


async def backup_database(url: str, target: Path) -> dict[str, Any]:
    size = await anyio.to_thread.run_sync(sqlite_backup.backup, url, target)
    return {"backup": str(target), "bytes": size}


async def restore_database(
    url: str,
    source: Path,
    *,
    dab_home: Path,
    redis_url: str | None,
    generation_file: Path | None,
    prefix: str = PREFIX,
) -> dict[str, Any]:
    """Restore ``source`` over the database at ``url``; the previous state is kept in ``dab_home``."""
    revision = await anyio.to_thread.run_sync(sqlite_backup.backup_revision, source)
    safety: Path | None = None
    if sqlite_backup.database_file(url).is_file():
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        safety = dab_home / f"pre-restore-{stamp}.sqlite3"
        await anyio.to_thread.run_sync(sqlite_backup.backup, url, safety)
    await anyio.to_thread.run_sync(sqlite_backup.restore, url, source)
    await anyio.to_thread.run_sync(migrate.upgrade, url)
    engine = create_engine(url)
    try:
        async with make_session_factory(engine).begin() as session:
            flushed = await clear_caches(
                session, redis_url=redis_url, generation_file=generation_file, prefix=prefix
            )
    finally:
        await engine.dispose()
    return {
        "restored": str(source),
        "backup_revision": revision,
        "previous_state_saved_to": str(safety) if safety else None,
        **flushed,
    }
