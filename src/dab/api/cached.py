"""Serve read endpoints through the generation-keyed cache (platform/cache.py).

The key is the route path plus the sorted query parameters; the value is the response's JSON
bytes, so a hit costs no database round trip and no serialisation. Writes change the cache
generation, so a stale entry is never read. Only successful answers are stored.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import Request, Response

from dab.api.json_body import json_bytes

JSON = "application/json"
# Scope entry where ``cached_json`` tells the shortcut (api/cached_shortcut.py) which key it
# served and by which route.
SEEN = "dab.cached"


def cache_key(request: Request) -> str:
    query = urlencode(sorted(request.query_params.multi_items()))
    return f"{request.scope['path']}?{query}"  # the path as routed (``url.path`` re-parses a URL)


def minute_of(now: datetime) -> str:
    return now.strftime("%Y%m%dT%H%M")


async def cached_json(
    request: Request, produce: Callable[[], Awaitable[Any]], *, minute: datetime | None = None
) -> Response:
    """``minute``: the answer depends on the clock too (the request's ``now``), so the key
    holds its minute and a cached answer serves that minute only."""
    cache = request.app.state.cache
    base = cache_key(request)
    key = f"{base}#{minute_of(minute)}" if minute else base
    # Captured before the database is read: an answer is only ever filed under a generation
    # at least as old as the data it was computed from.
    generation = await cache.generation()
    if generation is not None:
        body = await cache.get(generation, key)
        if body is not None:
            _tell_shortcut(request, base, clocked=minute is not None)
            return Response(body, media_type=JSON, headers={"X-Cache": "hit"})
    body = json_bytes(await produce())
    if generation is not None:
        await cache.set(generation, key, body)
        _tell_shortcut(request, base, clocked=minute is not None)
    return Response(body, media_type=JSON, headers={"X-Cache": "miss"})


def _tell_shortcut(request: Request, base: str, *, clocked: bool) -> None:
    served = request.scope.get(SEEN)
    if served is not None:
        served["key"], served["route"], served["clocked"] = base, request.scope.get("route"), clocked
