"""Rate limits: RATE_LIMIT_DEFAULT per valid API key (else per client address), shared through Redis.

A pure-ASGI middleware on the `limits` library (the engine under SlowAPI). SlowAPI's own
middleware finds the route by walking ``app.routes``, which no longer lists the routes of
included routers in current FastAPI, so it silently limited nothing.
"""

from __future__ import annotations

import asyncio
import hashlib

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


def _storage(uri: str | None) -> object:
    uri = uri or "memory://"
    options: dict[str, float | str | bool] = {}
    if uri.startswith(("redis://", "rediss://")):
        options = {
            "implementation": "redispy",
            "socket_timeout": STORAGE_TIMEOUT_SECONDS,
            "socket_connect_timeout": STORAGE_TIMEOUT_SECONDS,
        }
    return storage_from_string(f"async+{uri}", **options)


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp, *, limit: str, storage_uri: str | None) -> None:
        self.app = app
        self.item: RateLimitItem = parse(limit)
        self.limiter = MovingWindowRateLimiter(_storage(storage_uri))  # type: ignore[arg-type]

    async def _allowed(self, key: str) -> bool:
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
