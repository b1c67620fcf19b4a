"""problem+json (RFC 9457) for every 4xx/5xx, with the request id; never a stack trace."""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from sqlalchemy.exc import DataError, DBAPIError, DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

from dab.api.auth import Unauthorized
from dab.api.json_body import json_bytes
from dab.errors import (
    Conflict,
    DabError,
    InvalidArtifact,
    InvalidInput,
    InvalidRule,
    NotFound,
    PayloadTooLarge,
    ServiceUnavailable,
    clip,
)
from dab.platform.logging import get_logger

PROBLEM_BASE = "https://dab.dev/problems"
PROBLEM_JSON = "application/problem+json"

STATUS: dict[type[DabError], int] = {
    NotFound: 404,
    Conflict: 409,
    InvalidInput: 422,
    InvalidArtifact: 422,
    InvalidRule: 422,
    PayloadTooLarge: 413,
    Unauthorized: 401,
    ServiceUnavailable: 503,
}

log = get_logger("dab.api")


# Declared on every operation of the OpenAPI (with application/problem+json).
PROBLEM_STATUSES = (401, 404, 409, 413, 422, 429, 503)
# The database cannot be reached, answered too slowly, or dropped the connection: 503, retry later.
PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "type": "object",
    "description": "RFC 9457 problem details",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "request_id": {"type": ["string", "null"]},
        "job_id": {"type": "string"},
        "artifact": {"type": "string"},
        "json_path": {"type": "string"},
        "errors": {"type": "array", "items": {"type": "object"}},
    },
}
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {
        "description": HTTPStatus(status).phrase,
        "content": {PROBLEM_JSON: {"schema": PROBLEM_SCHEMA}},
    }
    for status in PROBLEM_STATUSES
}
OUTAGE_ERRORS = (
    OperationalError,
    InterfaceError,
    DisconnectionError,
    PoolTimeoutError,
    OSError,
    TimeoutError,
)


def problem_response(
    request: Request,
    status: int,
    code: str,
    detail: str,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> Response:
    body: dict[str, Any] = {
        "type": f"{PROBLEM_BASE}/{code}",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": clip(detail, 2000),
        "instance": request.url.path,
        "request_id": getattr(request.state, "request_id", None),
    }
    body.update({k: v for k, v in extra.items() if v is not None})
    headers = dict(headers or {})
    if status == 401:
        headers["WWW-Authenticate"] = "ApiKey"
    return Response(json_bytes(body), status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _dab_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DabError)
    status = next((s for t, s in STATUS.items() if isinstance(exc, t)), 400)
    extra: dict[str, Any] = {}
    if isinstance(exc, InvalidArtifact):
        extra = {"artifact": exc.artifact, "json_path": exc.json_path}
    elif isinstance(exc, InvalidInput) and exc.location:
        extra = {"errors": [{"loc": exc.location.split("."), "msg": exc.detail}]}
    return problem_response(request, status, exc.code, exc.detail, job_id=exc.job_id, **extra)


def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"loc": [str(p) for p in err.get("loc", ())], "msg": err.get("msg", ""), "type": err.get("type")}
        for err in exc.errors()
    ]
    where = "; ".join(f"{'.'.join(e['loc'])}: {e['msg']}" for e in errors)
    return problem_response(request, 422, "validation_error", f"invalid request: {where}", errors=errors)


def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code = HTTPStatus(exc.status_code).phrase.lower().replace(" ", "_")
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"no route matches {request.method} {request.url.path}"
    elif exc.status_code == 413:
        limit = request.app.state.settings.dab_max_upload_mb
        detail = f"request body exceeds the limit of {limit} MB (DAB_MAX_UPLOAD_MB)"
    elif exc.status_code == 405:
        detail = f"{request.method} is not allowed on {request.url.path}"
    return problem_response(request, exc.status_code, code, detail, headers=exc.headers)


def _database_error(request: Request, exc: Exception) -> Response:
    """Outages are 503 (retry later); a value the database refuses is the client's 422."""
    if isinstance(exc, DataError):
        reason = str(exc.orig).splitlines()[0] if exc.orig is not None else type(exc).__name__
        return problem_response(
            request, 422, "invalid_input", f"a value cannot be stored: {clip(reason, 200)}"
        )
    if isinstance(exc, OUTAGE_ERRORS) or (isinstance(exc, DBAPIError) and exc.connection_invalidated):
        log.warning("database_unavailable", error_type=type(exc).__name__, path=request.url.path)
        health_check = getattr(request.app.state, "health_check", None)
        if health_check is not None:  # health must not keep answering a cached OK
            health_check.invalidate()
        response = problem_response(
            request,
            503,
            "service_unavailable",
            "the database (or another dependency) is unavailable; retry later",
        )
        response.headers["Retry-After"] = "5"
        return response
    return _unexpected(request, exc)


def _unexpected(request: Request, exc: Exception) -> Response:
    log.error("unhandled_exception", error_type=type(exc).__name__, path=request.url.path)
    return problem_response(
        request, 500, "internal_error", "internal error; see the server log for the request id"
    )


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DabError, _dab_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    for error in (DBAPIError, DisconnectionError, PoolTimeoutError, OSError, TimeoutError):
        app.add_exception_handler(error, _database_error)
    app.add_exception_handler(Exception, _unexpected)


def answer_for(request: Request, exc: Exception) -> Response:
    """The response the app's installed handlers give ``exc``, for a path that answers before
    routing (outside Starlette's exception middleware); ``Exception`` is always handled."""
    handlers = request.app.exception_handlers
    handler = next(handlers[cls] for cls in type(exc).__mro__ if cls in handlers)
    response: Response = handler(request, exc)
    return response
