"""Rate limits with slowapi: RATE_LIMIT_DEFAULT per API key (or client address), shared via Redis."""

from __future__ import annotations

import hashlib

from fastapi import FastAPI, Request
from fastapi.responses import Response
from slowapi import Limiter
from slowapi.errors import RateLimitExceeded
from slowapi.middleware import SlowAPIASGIMiddleware
from slowapi.util import get_remote_address

from dab.api.problems import problem_response
from dab.settings import Settings

EXEMPT_PREFIXES = ("/api/v1/health", "/metrics", "/docs", "/redoc", "/openapi.json")


def _client_key(request: Request) -> str:
    api_key = request.headers.get("x-api-key")
    if not api_key:
        return f"ip:{get_remote_address(request)}"
    # A digest, so the key itself never sits in the limiter's storage (Redis).
    return "key:" + hashlib.sha256(api_key.encode()).hexdigest()[:32]


def _rate_limited(request: Request, exc: Exception) -> Response:
    limit = getattr(exc, "detail", "rate limit")
    return problem_response(request, 429, "rate_limited", f"rate limit exceeded: {limit}")


def install_rate_limits(app: FastAPI, settings: Settings) -> None:
    if not settings.rate_limit_enabled:
        return
    storage = settings.rate_limit_storage_uri or "memory://"
    limiter = Limiter(
        key_func=_client_key,
        default_limits=[settings.rate_limit_default],
        storage_uri=storage,
        in_memory_fallback_enabled=True,
        swallow_errors=True,
    )
    app.state.limiter = limiter
    app.add_exception_handler(RateLimitExceeded, _rate_limited)
    for route in app.routes:
        path = getattr(route, "path", "")
        endpoint = getattr(route, "endpoint", None)
        if endpoint is not None and path.startswith(EXEMPT_PREFIXES):
            limiter.exempt(endpoint)  # type: ignore[no-untyped-call]
    app.add_middleware(SlowAPIASGIMiddleware)
