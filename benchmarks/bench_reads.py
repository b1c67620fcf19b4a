"""In-process cost of the uncached read services on a kept 10k-model database, per driver.

Runs get-by-URN and lineage depth 5 (both directions) through the service functions on a read
session, ``--calls`` distinct capsules per pass, and reports per call the process CPU (user +
system of every thread, so aiosqlite's thread counts) and the wall p50. ``--driver stock``
builds the engine as before this change: SQLAlchemy's own aiosqlite adapter on SQLite,
``pool_pre_ping`` on PostgreSQL; passes of the two alternate when ``--driver both``.

    python benchmarks/bench_reads.py DIR/bench.sqlite3 [--calls 300] [--passes 3] [--driver both]
    python benchmarks/bench_reads.py postgresql+asyncpg://USER:PASSWORD@HOST/DB_bench

DIR is what ``bench_api.py --keep DIR`` left (a database URL: its kept PostgreSQL database).
The machine's load is printed with each pass.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from dab.services.catalog_capsules import get_capsule
from dab.services.catalog_lineage import capsule_lineage
from dab.storage.db import POOL_SIZE, create_engine, is_sqlite, make_read_session_factory


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _engine(url: str, driver: str) -> AsyncEngine:
    if driver == "stock":
        return create_async_engine(url, pool_size=POOL_SIZE, pool_pre_ping=not is_sqlite(url))
    return create_engine(url)


async def _pass(
    engine: AsyncEngine, urns: list[str], call: Callable[[Any, str], Awaitable[Any]]
) -> tuple[float, float]:
    """(CPU ms per call, wall p50 ms)."""
    factory = make_read_session_factory(engine)
    walls = []
    started = _cpu()
    for urn in urns:
        began = time.perf_counter()
        async with factory() as session:
            await call(session, urn)
        walls.append((time.perf_counter() - began) * 1000)
    return (_cpu() - started) * 1000 / len(urns), statistics.median(walls)


CALLS: dict[str, Callable[[Any, str], Awaitable[Any]]] = {
    "get by URN": get_capsule,
    "lineage depth 5, both": lambda session, urn: capsule_lineage(
        session, urn, direction="both", depth=5, max_depth=10
    ),
}


async def _urns(url: str, calls: int) -> list[str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            statement = text("SELECT urn FROM capsule ORDER BY id LIMIT :n")
            return list((await conn.execute(statement, {"n": calls})).scalars())
    finally:
        await engine.dispose()


async def run(database: str, calls: int, passes: int, drivers: list[str]) -> None:
    url = database if "://" in database else f"sqlite+aiosqlite:///{database}"
    urns = await _urns(url, calls)
    results: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for number in range(passes):
        for driver in drivers:
            engine = _engine(url, driver)
            try:
                for name, call in CALLS.items():
                    await _pass(engine, urns[:20], call)  # warm: connections, statement cache
                    results.setdefault((name, driver), []).append(await _pass(engine, urns, call))
            finally:
                await engine.dispose()
            print(f"pass {number + 1} {driver}: load {os.getloadavg()[0]:.2f}")
    print("| call | driver | CPU ms/call (median; passes) | wall p50 ms (median) |")
    print("|---|---|---|---|")
    for (name, driver), runs in results.items():
        cpus = ", ".join(f"{cpu:.2f}" for cpu, _ in runs)
        cpu = statistics.median(c for c, _ in runs)
        wall = statistics.median(w for _, w in runs)
        print(f"| {name} | {driver} | {cpu:.2f} ({cpus}) | {wall:.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("database", help="a SQLite file or a PostgreSQL URL")
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--driver", choices=["dab", "stock", "both"], default="both")
    args = parser.parse_args()
    drivers = ["stock", "dab"] if args.driver == "both" else [args.driver]
    asyncio.run(run(args.database, args.calls, args.passes, drivers))


if __name__ == "__main__":
    main()
