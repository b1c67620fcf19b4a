"""problem+json (RFC 9457) for every 4xx/5xx, with the request id; never a stack trace."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from dab.api.auth import Unauthorized
from dab.errors import (
    Conflict,
    DabError,
    InvalidArtifact,
    InvalidInput,
    InvalidRule,
    NotFound,
    PayloadTooLarge,
    ServiceUnavailable,
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


def problem_response(request: Request, status: int, code: str, detail: str, **extra: Any) -> Response:
    body: dict[str, Any] = {
        "type": f"{PROBLEM_BASE}/{code}",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        "request_id": getattr(request.state, "request_id", None),
    }
    body.update({k: v for k, v in extra.items() if v is not None})
    headers = {"WWW-Authenticate": "ApiKey"} if status == 401 else None
    return Response(orjson.dumps(body), status_code=status, media_type=PROBLEM_JSON, headers=headers)


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
    return problem_response(request, exc.status_code, code, detail)


def _unexpected(request: Request, exc: Exception) -> Response:
    log.error("unhandled_exception", error_type=type(exc).__name__, path=request.url.path)
    return problem_response(
        request, 500, "internal_error", "internal error; see the server log for the request id"
    )


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DabError, _dab_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
