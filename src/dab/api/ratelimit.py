"""Rate limits: RATE_LIMIT_DEFAULT per valid API key (else per client address), shared through Redis.

A pure-ASGI middleware. With Redis (shared between workers) the `limits` library's moving
window does the counting; in process a deque of hit times per key does the same exactly, with
no lock, task or thread per request (the library's memory storage schedules an expiry task and
a thread hop on most hits, ~100 µs per request). SlowAPI's own middleware finds the route by
walking ``app.routes``, which no longer lists the routes of included routers in current
FastAPI, so it silently limited nothing.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections import deque

from limits import RateLimitItem, parse
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from dab.api.auth import bearer_key, key_matches
from dab.api.problems import problem_response
from dab.platform.logging import get_logger

# The console's shell and assets (/ui/) are static and hold no data; its API calls are limited.
EXEMPT_PREFIXES = ("/api/v1/health", "/metrics", "/docs", "/redoc", "/openapi.json", "/ui")
log = get_logger("dab.ratelimit")


STORAGE_TIMEOUT_SECONDS = 0.25
"""The limiter's storage gets this long per request; a stalled Redis then fails open, fast."""


def _client_key(scope: Scope) -> str:
    """A valid API key has its own budget; anything else (no key, a wrong key) is counted per
    client address, so sending a different wrong key each time is throttled all the same."""
    headers = dict(scope["headers"])
    bearer = bearer_key(headers.get(b"authorization"))
    api_key = headers.get(b"x-api-key") or (bearer.encode("latin-1") if bearer else None)
    app = scope.get("app")
    keys: list[str] = getattr(getattr(app, "state", None), "api_keys", [])
    if api_key and key_matches(api_key.decode("latin-1"), keys):
        # A digest, so the key itself never sits in the limiter's storage (Redis).
        return "key:" + hashlib.sha256(api_key).hexdigest()[:32]
    client = scope.get("client")
    return f"ip:{client[0] if client else 'unknown'}"


def _storage(uri: str) -> object:
    options: dict[str, float | str | bool] = {}
    if uri.startswith(("redis://", "rediss://")):
        options = {
            "implementation": "redispy",
            "socket_timeout": STORAGE_TIMEOUT_SECONDS,
            "socket_connect_timeout": STORAGE_TIMEOUT_SECONDS,
        }
    return storage_from_string(f"async+{uri}", **options)


class MovingWindow:
    """At most ``amount`` hits per key in any ``seconds``-long window, in this process.

    Each key keeps the times of its hits inside the window (at most ``amount``), oldest first;
    keys whose window has emptied are dropped as they are met, and all of them once the table
    grows past ``sweep_at`` keys, so a stream of one-off client addresses cannot grow it forever.
    """

    def __init__(self, amount: int, seconds: float, *, sweep_at: int = 10_000) -> None:
        self.amount = amount
        self.seconds = seconds
        self.sweep_at = sweep_at
        self.hits: dict[str, deque[float]] = {}

    def hit(self, key: str, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        start = now - self.seconds
        times = self.hits.get(key)
        if times is None:
            if len(self.hits) >= self.sweep_at:
                self._sweep(start)
            times = self.hits[key] = deque()
        while times and times[0] <= start:
            times.popleft()
        if len(times) >= self.amount:
            return False
        times.append(now)
        return True

    def _sweep(self, start: float) -> None:
        self.hits = {k: t for k, t in self.hits.items() if t and t[-1] > start}


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp, *, limit: str, storage_uri: str | None) -> None:
        self.app = app
        self.item: RateLimitItem = parse(limit)
        self.local: MovingWindow | None = None
        if storage_uri is None or storage_uri.startswith("memory://"):
            self.local = MovingWindow(self.item.amount, self.item.get_expiry())
        else:
            self.limiter = MovingWindowRateLimiter(_storage(storage_uri))  # type: ignore[arg-type]

    async def _allowed(self, key: str) -> bool:
        if self.local is not None:
            return self.local.hit(key)
        try:
            async with asyncio.timeout(2 * STORAGE_TIMEOUT_SECONDS):
                return bool(await self.limiter.hit(self.item, "dab", key))
        except Exception as exc:  # storage down (Redis): serve rather than refuse everyone
            log.warning("rate_limit_storage_unavailable", error=type(exc).__name__)
            return True

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(EXEMPT_PREFIXES):
            await self.app(scope, receive, send)
            return
        if await self._allowed(_client_key(scope)):
            await self.app(scope, receive, send)
            return
        response = problem_response(
            Request(scope), 429, "rate_limited", f"rate limit exceeded: {self.item} (RATE_LIMIT_DEFAULT)"
        )
        response.headers["Retry-After"] = str(self.item.get_expiry())
        await response(scope, receive, send)
