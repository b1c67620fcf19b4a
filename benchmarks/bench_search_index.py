"""What the substring-search index costs a first write of N column rows, alone.

Minimal ``capsule`` / ``capsule_column`` tables (id, name, URN, description: the searched fields)
get the search objects of whichever tree's ``dab.storage.search_index`` is imported (run with
``PYTHONPATH=<main's src>`` for main's), then N rows shaped like a dbt project's columns are
written as ingestion writes them: on SQLite inside ``search_index.sqlite_bulk_insert`` (the
trigger dropped, the rows indexed in one pass), on PostgreSQL by ``COPY``. The same write into
tables without the search objects is the baseline; the difference is the index's cost.

    python benchmarks/bench_search_index.py --rows 220000 --repeat 3
    python benchmarks/bench_search_index.py --database-url postgresql+asyncpg://dab:dab@127.0.0.1:5432/dab_x

CPU: this process (SQLite runs in its thread) or the PostgreSQL backend (``/proc/<pid>/stat``,
the server must be on this machine). ``--namespace`` lengthens the URNs (real projects: ~100
characters, e.g. ``analytics_warehouse.jaffle_shop``).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import text

from dab.domain.urns import capsule_urn, column_urn
from dab.storage import search_index
from dab.storage.db import create_engine

TABLES = (
    "CREATE TABLE capsule (id INTEGER PRIMARY KEY, urn VARCHAR(512) UNIQUE NOT NULL, "
    "name VARCHAR(512) NOT NULL, description TEXT)",
    "CREATE TABLE capsule_column (id INTEGER PRIMARY KEY, urn VARCHAR(512) UNIQUE NOT NULL, "
    "name VARCHAR(512) NOT NULL, description TEXT)",
)
COLUMNS = 20


def rows(count: int, namespace: str) -> list[tuple[int, str, str, str]]:
    """Columns of staging/intermediate/mart models, 20 each, as the generator names them."""
    out = []
    for i in range(count):
        model, col = divmod(i, COLUMNS)
        layer = ("stg", "int", "fct")[model % 3]
        name = "id" if col == 0 else f"col_{col}"
        urn = column_urn("dbt", namespace, (f"{layer}_{model}",), name)
        out.append((i + 1, name, urn, f"Column {name}."))
    return out


def capsules(count: int, namespace: str) -> list[tuple[int, str, str, str]]:
    models = count // COLUMNS
    return [
        (m + 1, f"m_{m}", capsule_urn("dbt", "model", namespace, (f"m_{m}",)), f"Model m_{m}.")
        for m in range(models)
    ]


def _backend_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def _prepare(url: str, *, indexed: bool) -> None:
    engine = create_engine(url)
    postgresql = engine.dialect.name == "postgresql"
    async with engine.begin() as conn:
        if postgresql:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
        for statement in TABLES:
            await conn.execute(text(statement))
        if indexed:
            upgrade = search_index.postgresql_upgrade() if postgresql else search_index.sqlite_upgrade()
            for statement in upgrade:
                await conn.execute(text(statement))
    await engine.dispose()


async def _write(
    url: str, data: list[tuple[int, str, str, str]], caps: list[Any], *, indexed: bool
) -> tuple[float, float]:
    """(wall, CPU) seconds of writing ``data`` in one transaction, commit included (FTS5 writes
    its pending terms then); the capsules go in first, untimed."""
    engine = create_engine(url)
    names = ["id", "name", "urn", "description"]
    sql = "INSERT INTO {} (id, name, urn, description) VALUES (?, ?, ?, ?)"
    try:
        async with engine.begin() as conn:
            raw = (await conn.get_raw_connection()).driver_connection
            if engine.dialect.name == "postgresql":
                await raw.copy_records_to_table("capsule", records=caps, columns=names)
                pid = await raw.fetchval("SELECT pg_backend_pid()")
                cpu: Any = lambda: _backend_cpu(pid)  # noqa: E731
            else:
                await conn.exec_driver_sql(sql.format("capsule"), caps)
                cpu = _own_cpu  # SQLite works in this process's aiosqlite thread
        before, started = cpu(), time.perf_counter()
        async with engine.begin() as conn:
            if engine.dialect.name == "postgresql":
                raw = (await conn.get_raw_connection()).driver_connection
                await raw.copy_records_to_table("capsule_column", records=data, columns=names)
            else:
                # Explicit ids, as ingestion's: above the old maximum. No search objects: no switch.
                switch = len(data) if indexed else 0
                async with search_index.sqlite_bulk_insert(conn, "capsule_column", switch):
                    await conn.exec_driver_sql(sql.format("capsule_column"), data)
        return time.perf_counter() - started, cpu() - before
    finally:
        await engine.dispose()


async def bench(url: str | None, count: int, namespace: str, repeat: int) -> None:
    data, caps = rows(count, namespace), capsules(count, namespace)
    results: dict[str, list[tuple[float, float]]] = {"without": [], "with": []}
    for _ in range(repeat):
        for label in ("without", "with"):  # interleaved, so both see the same load
            with tempfile.TemporaryDirectory() as folder:
                db_url = url or f"sqlite+aiosqlite:///{folder}/bench.sqlite3"
                await _prepare(db_url, indexed=label == "with")
                results[label].append(await _write(db_url, data, caps, indexed=label == "with"))
    engine = "postgresql" if url else "sqlite"
    urn_length = statistics.mean(len(r[2]) for r in data)
    load = os.getloadavg()[0]
    print(f"{engine}: {count:,} column rows, mean URN {urn_length:.0f} characters, load {load:.2f}")
    for label, runs in results.items():
        wall, cpu = statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)
        shown = [(round(w, 2), round(c, 2)) for w, c in runs]
        print(f"  {label:<8} index  wall median {wall:.2f} s  CPU median {cpu:.2f} s  (wall, CPU) {shown}")
    index_cpu = statistics.median(r[1] for r in results["with"]) - statistics.median(
        r[1] for r in results["without"]
    )
    print(f"  the index's CPU: {index_cpu:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=220_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--namespace", default="bench")
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file per run")
    args = parser.parse_args()
    asyncio.run(bench(args.database_url, args.rows, args.namespace, args.repeat))


if __name__ == "__main__":
    main()
