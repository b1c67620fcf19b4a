"""Request guards in front of every route: what no route can ever accept.

- A NUL byte in a path or query parameter cannot be stored or compared by PostgreSQL (driver
  error) and matches everything in SQLite's LIKE: one 422 for all routes.
- A body over DAB_MAX_UPLOAD_MB: 413 before reading when Content-Length says so, otherwise as
  soon as the streamed bytes cross the limit, whatever the transport (chunked, multipart).
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dab.api.problems import problem_response


def _nul_parameter(scope: Scope) -> list[str] | None:
    """The location of the first parameter holding a NUL byte, as a problem ``loc``."""
    if "\x00" in scope["path"]:
        return ["path"]
    query: bytes = scope.get("query_string", b"")
    if b"\x00" not in query and b"%00" not in query.lower():
        return None
    for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
        if "\x00" in name or "\x00" in value:
            return ["query", name.replace("\x00", "")]
    return ["query"]


class BodyTooLarge(StarletteHTTPException):
    """Raised from ``receive`` when the body crosses the limit. An HTTPException, because
    FastAPI re-raises those from its body parsing (anything else would become a 400)."""

    def __init__(self) -> None:
        super().__init__(status_code=413)


def _declared_length(scope: Scope) -> int | None:
    declared = dict(scope["headers"]).get(b"content-length", b"")
    return int(declared) if declared.isdigit() else None


def _counting(receive: Receive, limit: int) -> Receive:
    received = 0

    async def receive_counted() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise BodyTooLarge
        return message

    return receive_counted


class RequestGuard:
    """422 problem+json for a NUL byte in the path or the query; 413 for a body over ``max_body``."""

    def __init__(self, app: ASGIApp, *, max_body: int) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _declared_length(scope)
        if declared is not None and declared > self.max_body:
            response = problem_response(
                Request(scope),
                413,
                "payload_too_large",
                f"request body is {declared} bytes; the limit is {self.max_body} (DAB_MAX_UPLOAD_MB)",
            )
            await response(scope, receive, send)
            return
        location = _nul_parameter(scope)
        if location is None:
            await self.app(scope, _counting(receive, self.max_body), send)
            return
        where = ".".join(location)
        response = problem_response(
            Request(scope),
            422,
            "validation_error",
            f"invalid request: {where}: NUL bytes are not allowed in parameters",
            errors=[{"loc": location, "msg": "NUL bytes are not allowed", "type": "value_error"}],
        )
        await response(scope, receive, send)
