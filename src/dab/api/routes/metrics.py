"""Prometheus exposition; system-wide gauges are read from the database at scrape time
so every replica reports the same numbers (DESIGN.md §7)."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from dab.platform.metrics import REGISTRY
from dab.services.system_metrics import refresh_system_gauges


async def get_metrics(request: Request) -> Response:
    async with request.app.state.session_factory() as session:
        await refresh_system_gauges(session)
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
