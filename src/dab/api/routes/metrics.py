"""Prometheus exposition; system-wide metrics are read from the database at scrape time
(at most every DAB_METRICS_CACHE_SECONDS per process) so every replica reports the same numbers."""

from __future__ import annotations

import time

from fastapi import Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST

from dab.platform.metrics import SystemSnapshot, exposition
from dab.services.system_metrics import system_snapshot


async def _snapshot(request: Request) -> SystemSnapshot:
    state = request.app.state
    cached: tuple[float, SystemSnapshot] | None = getattr(state, "metrics_snapshot", None)
    if cached is not None and time.monotonic() - cached[0] < state.settings.dab_metrics_cache_seconds:
        return cached[1]
    async with state.session_factory() as session:
        snapshot = await system_snapshot(session)
    state.metrics_snapshot = (time.monotonic(), snapshot)
    return snapshot


async def get_metrics(request: Request) -> Response:
    return Response(exposition(await _snapshot(request)), media_type=CONTENT_TYPE_LATEST)
