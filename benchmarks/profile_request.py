"""cProfile of one read through the whole dab app, in process (no socket, no server).

Builds the app on a kept 10k-model SQLite database (``bench_api.py --keep DIR``), warms each of
200 capsules once, then profiles ``--requests`` reads through ASGI and prints the CPU per
request (this thread; aiosqlite's thread is not included) and the top of the profile.

    python benchmarks/profile_request.py DIR/bench.sqlite3 [--requests 5000] [--read cached|uncached|lineage]

``cached`` is a get by URN with the cache on (every profiled read a hit); ``uncached`` the same
with the cache off; ``lineage`` lineage depth 5 both ways, cache off.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import pstats
import sqlite3
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

from bench_middleware import KEY, _receive, _scope
from starlette.types import Message, Scope

from dab.api.main import create_app
from dab.platform.logging import configure_logging
from dab.settings import Settings


async def profile(database: Path, requests: int, read: str, top: int) -> None:
    settings = Settings(
        environment="test",
        database_url=f"sqlite+aiosqlite:///{database}",
        api_keys=[KEY],
        dab_home=Path(tempfile.mkdtemp()),
        log_level="WARNING",
        rate_limit_enabled=False,
        cache_enabled=read == "cached",
    )
    app = create_app(settings)
    configure_logging("WARNING", stream=io.StringIO())
    with sqlite3.connect(database) as conn:
        urns = [row[0] for row in conn.execute("SELECT urn FROM capsule ORDER BY id LIMIT 200")]
    paths = [f"/api/v1/capsules/{quote(urn, safe=':')}" for urn in urns]
    if read == "lineage":
        paths = [f"{path}/lineage" for path in paths]
    statuses: set[int] = set()

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            statuses.add(message["status"])

    def scope(path: str) -> Scope:
        built = _scope(path)
        built["query_string"] = b"direction=both&depth=5" if read == "lineage" else b""
        return built

    async with app.router.lifespan_context(app):
        for path in paths:  # warm: connections, statement caches, cache entries
            await app(scope(path), _receive, send)
        profiler = cProfile.Profile()
        cpu, wall = time.thread_time(), time.perf_counter()
        profiler.enable()
        for n in range(requests):
            await app(scope(paths[n % len(paths)]), _receive, send)
        profiler.disable()
        cpu, wall = time.thread_time() - cpu, time.perf_counter() - wall
    if statuses != {200}:
        raise SystemExit(f"unexpected statuses {sorted(statuses)}")
    per = 1000 / requests
    print(f"{read}: CPU {cpu * per:.3f} ms/request, wall {wall * per:.3f} ms (under cProfile)")
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(top)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("database", type=Path)
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--read", choices=["cached", "uncached", "lineage"], default="cached")
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args()
    asyncio.run(profile(args.database, args.requests, args.read, args.top))


if __name__ == "__main__":
    main()
