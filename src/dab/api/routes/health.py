"""Health, liveness and readiness: no API key needed."""

from __future__ import annotations

import asyncio
import time

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from dab import __version__
from dab.errors import ServiceUnavailable
from dab.storage.db import ping
from dab.storage.migrate import head

router = APIRouter(prefix="/health", tags=["health"])


async def _database_state(request: Request) -> str:
    """connected, disconnected, or unmigrated (reachable, but not at the schema this code needs)."""
    settings = request.app.state.settings
    try:
        # Bounded: a frozen database must not hang the probe (the driver's own timeouts are longer).
        async with asyncio.timeout(settings.dab_db_connect_timeout_seconds + 1):
            revision = await ping(request.app.state.engine)
    except Exception:  # any driver error means "cannot reach it"; the reason goes to the log
        return "disconnected"
    if revision != _schema_head(request):
        return "unmigrated"
    return "connected"


def _schema_head(request: Request) -> str | None:
    state = request.app.state
    if not hasattr(state, "schema_head"):
        state.schema_head = head()
    return state.schema_head  # type: ignore[no-any-return]


async def _cache_state(request: Request) -> str:
    cache = request.app.state.cache
    if cache.backend == "disabled":
        return "disabled"
    if cache.backend == "memory":
        return "in-process"
    return "connected" if await cache.ping() else "unavailable"


@router.get("")
async def get_health(request: Request) -> JSONResponse:
    database = await _database_state(request)
    cache = await _cache_state(request)
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
    return {"status": "alive"}


@router.get("/ready")
async def get_readiness(request: Request) -> dict[str, str]:
    state = await _database_state(request)
    if state == "unmigrated":
        raise ServiceUnavailable("database schema is not up to date: run `dab db upgrade`")
    if state != "connected":
        raise ServiceUnavailable("database unreachable: the service cannot answer queries")
    return {"status": "ready"}
