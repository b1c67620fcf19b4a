"""Where an OpenLineage batch's database time goes: every statement timed, in process.

Applies ``bench_openlineage``'s events in batches (validation, then ``apply_events`` in one
transaction per batch, as the route does) on a fresh database, timing each statement around the
cursor (SQLAlchemy's cursor events: round trip and server time, not the Python around it). Prints
events/s, the process's CPU per event and the statements by total time per batch. With
``--explain N`` it also prints ``EXPLAIN (ANALYZE, BUFFERS)`` of batch N's statements, each run
in a savepoint that is rolled back before the real statement; ``--generic`` makes those the
generic plans (``plan_cache_mode = force_generic_plan``), the plans asyncpg's prepared
statements switch to after five executions. For PostgreSQL without ``pg_stat_statements``.

    python benchmarks/profile_openlineage_statements.py --database-url postgresql+asyncpg://dab:dab@127.0.0.1:5432/dab
    python benchmarks/profile_openlineage_statements.py --database-url ... --explain 60 --generic
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from bench_api import prepare_database
from bench_openlineage import events
from sqlalchemy import event

from dab.services.ingest_openlineage import apply_events, check_events
from dab.storage.db import create_engine, make_session_factory

_SKIP_EXPLAIN = ("SELECT project", "INSERT INTO cache_generation", "SAVEPOINT", "ROLLBACK", "SET ", "EXPLAIN")


def _label(statement: str) -> str:
    return " ".join(statement.split())[:110]


async def profile(url: str, count: int, batch: int, explain_at: int, generic: bool, analyze_at: int) -> None:
    engine = create_engine(url)
    totals: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])
    started: dict[int, float] = {}
    done: list[float] = []

    def explain(cursor: Any, statement: str, parameters: Any) -> None:
        cursor.execute("SAVEPOINT profile")
        if generic:
            cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
        print(f"===== {_label(statement)}\n" + "\n".join(row[0] for row in cursor.fetchall()))
        cursor.execute("ROLLBACK TO SAVEPOINT profile")

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def before(conn: Any, cursor: Any, statement: str, parameters: Any, _context: Any, many: bool) -> None:
        if len(done) == explain_at and not many and not statement.startswith(_SKIP_EXPLAIN):
            explain(conn.connection.cursor(), statement, parameters)
        started[id(cursor)] = time.perf_counter()

    @event.listens_for(engine.sync_engine, "after_cursor_execute")
    def after(_conn: Any, cursor: Any, statement: str, *_args: Any) -> None:
        entry = totals[_label(statement)]
        entry[0] += 1
        entry[1] += time.perf_counter() - started.pop(id(cursor))

    factory = make_session_factory(engine)
    load = events(count, random.Random(16))
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        for start in range(0, len(load), batch):
            t0 = time.perf_counter()
            checked = check_events(load[start : start + batch])
            async with factory.begin() as session:
                await apply_events(session, checked)
            done.append(time.perf_counter() - t0)
            if len(done) == analyze_at:  # statistics as autovacuum would give them after its nap
                async with engine.begin() as conn:
                    await conn.exec_driver_sql("ANALYZE")
    finally:
        await engine.dispose()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    statements = sum(n for n, _ in totals.values())
    print(
        f"{count / wall:,.0f} events/s, process CPU {cpu * 1000 / count:.3f} ms/event, "
        f"{statements / len(done):.1f} statements per batch, "
        f"statements {sum(t for _, t in totals.values()):.2f} s of {wall:.2f} s"
    )
    for label, (n, seconds) in sorted(totals.items(), key=lambda kv: -kv[1][1]):
        print(f"{seconds * 1000 / len(done):7.2f} ms/batch {int(n):5d}x  {label}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None, help="PostgreSQL base URL (default: SQLite file)")
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--explain", type=int, default=-1, metavar="N", help="EXPLAIN batch N's statements")
    parser.add_argument("--generic", action="store_true", help="the generic plans (with --explain)")
    parser.add_argument("--analyze", type=int, default=-1, metavar="N", help="ANALYZE after batch N")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = prepare_database(args.database_url, Path(folder))
        asyncio.run(profile(url, args.events, args.batch, args.explain, args.generic, args.analyze))


if __name__ == "__main__":
    main()
