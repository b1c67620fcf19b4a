"""Health, liveness and readiness: no API key needed."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse

from dab import __version__
from dab.errors import ServiceUnavailable
from dab.platform.shared_check import SharedCheck
from dab.storage.db import ping
from dab.storage.migrate import head

router = APIRouter(prefix="/health", tags=["health"])


@dataclass(frozen=True, slots=True)
class Probe:
    database: str
    cache: str

    @property
    def healthy(self) -> bool:
        return self.database == "connected" and self.cache != "unavailable"


def shared_probe(app: FastAPI) -> SharedCheck[Probe]:
    """The app's one probe of the database and the cache, shared by concurrent health requests
    and reused for at most a second while it answers well (see ``SharedCheck``)."""
    state = app.state
    check: SharedCheck[Probe] | None = getattr(state, "health_check", None)
    if check is None:

        async def probe() -> Probe:
            database, cache = await asyncio.gather(_database_state(app), _cache_state(app))
            return Probe(database, cache)

        check = state.health_check = SharedCheck(probe, healthy=lambda p: p.healthy, max_age=1.0)
    return check


async def _database_state(app: FastAPI) -> str:
    """connected, disconnected, or unmigrated (reachable, but not at the schema this code needs)."""
    settings = app.state.settings
    try:
        # Bounded: a frozen database must not hang the probe (the driver's own timeouts are longer).
        async with asyncio.timeout(settings.dab_db_connect_timeout_seconds + 1):
            revision = await ping(app.state.engine)
    except Exception:  # any driver error means "cannot reach it"; the reason goes to the log
        return "disconnected"
    if revision != _schema_head(app):
        return "unmigrated"
    return "connected"


def _schema_head(app: FastAPI) -> str | None:
    state = app.state
    if not hasattr(state, "schema_head"):
        state.schema_head = head()
    return state.schema_head  # type: ignore[no-any-return]


async def _cache_state(app: FastAPI) -> str:
    cache = app.state.cache
    if cache.backend == "disabled":
        return "disabled"
    if cache.backend == "memory":
        return "in-process"
    return "connected" if await cache.ping() else "unavailable"


@router.get("")
async def get_health(request: Request) -> JSONResponse:
    probe = await shared_probe(request.app).get()
    database, cache = probe.database, probe.cache
    if database != "connected":
        status = "unhealthy"
    elif cache == "unavailable":
        status = "degraded"
    else:
        status = "healthy"
    body = {
        "status": status,
        "database": database,
        "database_backend": request.app.state.engine.dialect.name,
        "cache": cache,
        "version": __version__,
        "environment": request.app.state.settings.environment,
        "uptime_seconds": round(time.monotonic() - request.app.state.started_at, 3),
    }
    return JSONResponse(body, status_code=200 if status != "unhealthy" else 503)


@router.get("/live")
async def get_liveness() -> dict[str, str]:
    """No I/O: the process answers, that is all liveness says."""
    return {"status": "alive"}


@router.get("/ready")
async def get_readiness(request: Request) -> dict[str, str]:
    state = (await shared_probe(request.app).get()).database
    if state == "unmigrated":
        raise ServiceUnavailable("database schema is not up to date: run `dab db upgrade`")
    if state != "connected":
        raise ServiceUnavailable("database unreachable: the service cannot answer queries")
    return {"status": "ready"}
