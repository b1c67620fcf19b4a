"""Health, liveness and readiness: no API key needed."""

from __future__ import annotations

import time

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from dab import __version__
from dab.errors import ServiceUnavailable
from dab.storage.db import ping

router = APIRouter(prefix="/health", tags=["health"])


async def _database_state(request: Request) -> str:
    try:
        await ping(request.app.state.engine)
    except Exception:  # any driver error means "cannot reach it"; the reason goes to the log
        return "disconnected"
    return "connected"


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
    if await _database_state(request) != "connected":
        raise ServiceUnavailable("database unreachable: the service cannot answer queries")
    return {"status": "ready"}
