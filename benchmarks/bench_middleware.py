"""Per-request cost of each piece of dab's request path, measured alone, in process.

Every layer is driven through ASGI directly (no socket, no server): a prepared ``GET`` scope, a
``receive`` that returns an empty body and a ``send`` that drops the messages. Each row is the
median CPU time (of the thread) per request over ``--repeat`` runs of ``--requests`` requests;
"cost" is the row minus the bare answer it wraps.

    python benchmarks/bench_middleware.py [--requests 20000] [--repeat 7]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dab.api.auth import require_api_key
from dab.api.deps import check_page_limit
from dab.api.guards import RequestGuard
from dab.api.main import create_app
from dab.api.middleware import RequestContextMiddleware
from dab.api.ratelimit import RateLimitMiddleware
from dab.platform.logging import configure_logging
from dab.settings import Settings

KEY = "bench-key-0123456789"
BODY = b'{"status":"alive"}'


async def bare(_scope: Scope, _receive: Receive, send: Send) -> None:
    """The smallest ASGI answer: what every layer below is compared with."""
    headers = [(b"content-type", b"application/json"), (b"content-length", b"18")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": BODY})


def _scope(path: str, app: Any = None) -> Scope:
    headers = [(b"host", b"127.0.0.1:8000"), (b"x-api-key", KEY.encode()), (b"user-agent", b"wrk")]
    scope: Scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    if app is not None:
        scope["app"] = app
    return scope


async def _receive() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


async def _run(app: ASGIApp, path: str, requests: int, state_app: Any = None) -> float:
    """Seconds per request over ``requests`` sequential requests."""
    statuses: list[int] = []

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    # CPU time of this thread, not wall time: on a shared machine the wall clock mostly
    # measures the other processes; the loop does no I/O, so its CPU time is its cost.
    started = time.thread_time()
    for _ in range(requests):
        await app(_scope(path, state_app), _receive, send)
    elapsed = time.thread_time() - started
    if set(statuses) != {200}:
        raise SystemExit(f"{path}: unexpected statuses {sorted(set(statuses))}")
    return elapsed / requests


def _fastapi(*, auth: bool, settings: Settings) -> FastAPI:
    """A one-route FastAPI app, with or without dab's route-wide dependencies (auth, paging)."""
    deps = [Depends(require_api_key), Depends(check_page_limit)] if auth else []
    app = FastAPI(dependencies=deps)
    app.state.settings = settings
    app.state.api_keys = [KEY]

    @app.get("/api/v1/x")
    async def route() -> dict[str, str]:
        return {"status": "alive"}

    return app


class _StateApp:
    """What the middlewares read from ``scope["app"]``: the app's state."""

    def __init__(self, app: FastAPI) -> None:
        self.state = app.state
        self.routes: list[Any] = []


def cases(settings: Settings, full_app: FastAPI) -> list[tuple[str, str, Callable[[], ASGIApp], Any]]:
    """(row, path, app factory, scope app) in the order the table prints them."""
    state_app = _StateApp(full_app)
    return [
        ("bare ASGI answer (baseline)", "/x", lambda: bare, None),
        ("request id (metrics off, log level WARNING)", "/x", lambda: _context(False), state_app),
        ("request id + metrics", "/x", lambda: _context(True), state_app),
        ("request id + metrics + log line (INFO)", "/x", lambda: _context(True), state_app),
        ("NUL/body guard", "/x", lambda: RequestGuard(bare, max_body=512 << 20), None),
        (
            "rate limit (memory storage)",
            "/api/v1/x",
            lambda: RateLimitMiddleware(bare, limit="100000000/minute", storage_uri=None),
            state_app,
        ),
        ("FastAPI app, one route", "/api/v1/x", lambda: _fastapi(auth=False, settings=settings), None),
        (
            "FastAPI app, one route + auth and paging dependencies",
            "/api/v1/x",
            lambda: _fastapi(auth=True, settings=settings),
            None,
        ),
        ("dab app, /api/v1/health/live (everything)", "/api/v1/health/live", lambda: full_app, None),
    ]


def _context(metrics: bool) -> ASGIApp:
    return RequestContextMiddleware(bare, metrics_enabled=metrics)


async def measure(requests: int, repeat: int) -> list[tuple[str, float]]:
    home = Path(tempfile.mkdtemp())
    settings = Settings(
        environment="test",
        database_url=f"sqlite+aiosqlite:///{home / 'bench.sqlite3'}",
        api_keys=[KEY],
        dab_home=home,
        log_level="INFO",
    )
    full_app = create_app(settings)
    sink = io.StringIO()
    results: list[tuple[str, float]] = []
    async with full_app.router.lifespan_context(full_app):
        for row, path, factory, state_app in cases(settings, full_app):
            # Log lines go to a string buffer (cleared each run): what JSON rendering costs,
            # without a terminal's write speed in the figure.
            level = "INFO" if "INFO" in row or row.startswith("dab app") else "WARNING"
            configure_logging(level, stream=sink)
            app = factory()
            await _run(app, path, min(requests, 2000), state_app)  # warm-up
            runs = []
            for _ in range(repeat):
                sink.seek(0)
                sink.truncate()
                runs.append(await _run(app, path, requests, state_app))
            results.append((row, statistics.median(runs)))
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    results = asyncio.run(measure(args.requests, args.repeat))
    baseline = results[0][1]
    print(f"load average {os.getloadavg()[0]:.2f}; median of {args.repeat} x {args.requests} requests")
    print("| layer | CPU µs per request | cost over the bare answer (µs) |")
    print("|---|---|---|")
    for row, seconds in results:
        print(f"| {row} | {seconds * 1e6:.1f} | {(seconds - baseline) * 1e6:.1f} |")


if __name__ == "__main__":
    main()
