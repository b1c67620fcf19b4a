"""Request id, one JSON log line per request, and HTTP metrics: one pure-ASGI middleware."""

from __future__ import annotations

import os
import re
import time
from typing import Any

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dab.platform.logging import get_logger
from dab.platform.metrics import HTTP_DURATION, HTTP_REQUESTS

API_PREFIX = "/api/v1"
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._\-]{1,128}$")
log = get_logger("dab.http")


def _route_template(scope: Scope) -> str:
    """The matched route's full path template (``/api/v1/capsules/{urn}``): a bounded label.

    Routes of included routers keep their router-relative template, and all of them are
    included under the API prefix; the app's own top-level routes (metrics, docs) are not.
    """
    route = scope.get("route")
    template = getattr(route, "path_format", None) or getattr(route, "path", None)
    app = scope.get("app")
    if not isinstance(template, str) or app is None:
        return "unmatched"
    top_level: set[int] | None = getattr(app.state, "top_level_routes", None)
    if top_level is None:
        top_level = {id(r) for r in app.routes}
        app.state.top_level_routes = top_level
    return template if id(route) in top_level else API_PREFIX + template


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return ""


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, *, metrics_enabled: bool = True) -> None:
        self.app = app
        self.metrics_enabled = metrics_enabled
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def _observe(self, method: str, route: str, status: int, seconds: float) -> None:
        # Label look-ups cost more than the increments; method x route x status is bounded.
        key = (method, route, status)
        children = self._children.get(key)
        if children is None:
            children = HTTP_REQUESTS.labels(method, route, str(status)), HTTP_DURATION.labels(method, route)
            self._children[key] = children
        children[0].inc()
        children[1].observe(seconds)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = _header(scope, b"x-request-id")
        # 128 random bits as 32 hex digits, as uuid4().hex gave, at a sixth of its cost.
        request_id = incoming if _VALID_REQUEST_ID.match(incoming) else os.urandom(16).hex()
        scope.setdefault("state", {})["request_id"] = request_id
        status_code = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status_code
            if message["type"] == "http.response.start":
                status_code = message["status"]
                message.setdefault("headers", []).append((b"x-request-id", request_id.encode()))
            await send(message)

        structlog.contextvars.bind_contextvars(request_id=request_id)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            duration = time.perf_counter() - started
            route = _route_template(scope)
            if self.metrics_enabled:
                self._observe(scope["method"], route, status_code, duration)
            log.info(
                "request_completed",
                method=scope["method"],
                path=scope["path"],
                status_code=status_code,
                duration_ms=round(duration * 1000, 2),
            )
            structlog.contextvars.unbind_contextvars("request_id")
