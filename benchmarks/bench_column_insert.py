"""New column rows into a migrated SQLite database (search trigger and indexes as in production):
one executemany of single-row INSERTs against multi-row INSERT ... VALUES statements, the two
ways an OpenLineage batch's new columns can be written. Prints CPU and wall ms per batch
(medians), alternating the two so a loaded machine treats both alike.

    python benchmarks/bench_column_insert.py --rows 300 --batches 30 --rounds 3
"""

from __future__ import annotations

import argparse
import itertools
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from dab.storage import migrate

COLUMNS = (
    "urn, project, capsule_urn, name, description, data_type, ordinal, content_hash, "
    "created_at, updated_at, meta, dbt_tags, constraints, stats, is_masked"
)
WIDTH = len(COLUMNS.split(", "))
GROUP = "(" + ", ".join("?" * WIDTH) + ")"
NS = "postgres%3A%2F%2Fwarehouse%2Eexample%2Ecom%3A5432"


def _rows(counter: Iterator[int], count: int) -> list[tuple[Any, ...]]:
    out = []
    for i in (next(counter) for _ in range(count)):
        table = f"urn:dab:openlineage:dataset:{NS}:analytics.raw.table_{i // 10:06d}"
        urn = table.replace(":dataset:", ":column:") + f".col_{i % 10}"
        now = "2026-11-30 00:00:00.000000"
        out.append((urn, "openlineage", table, f"col_{i % 10}", None, "integer", i % 10, "", now, now,
                    "{}", "[]", "[]", "{}", 0))  # fmt: skip
    return out


def _executemany(conn: sqlite3.Connection, rows: list[tuple[Any, ...]]) -> None:
    sql = f"INSERT INTO capsule_column ({COLUMNS}) VALUES {GROUP} ON CONFLICT (urn) DO NOTHING"
    conn.executemany(sql, rows)


def _multi_row(conn: sqlite3.Connection, rows: list[tuple[Any, ...]]) -> None:
    groups = ", ".join([GROUP] * len(rows))
    sql = f"INSERT INTO capsule_column ({COLUMNS}) VALUES {groups} ON CONFLICT (urn) DO NOTHING"
    conn.execute(sql, [value for row in rows for value in row])


def _measure(
    conn: sqlite3.Connection, write: Callable[..., None], counter: Iterator[int], rows: int, batches: int
) -> tuple[float, float]:
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(batches):
        batch = _rows(counter, rows)
        conn.execute("BEGIN")
        write(conn, batch)
        conn.execute("COMMIT")
    return (time.process_time() - cpu) * 1000 / batches, (time.perf_counter() - wall) * 1000 / batches


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=300, help="new columns per batch")
    parser.add_argument("--batches", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.sqlite3"
        migrate.upgrade(f"sqlite+aiosqlite:///{path}")
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        counter = itertools.count()
        results: dict[str, list[tuple[float, float]]] = {"executemany": [], "multi-row": []}
        for _ in range(args.rounds):
            for label, write in (("executemany", _executemany), ("multi-row", _multi_row)):
                results[label].append(_measure(conn, write, counter, args.rows, args.batches))
        for label, runs in results.items():
            cpu = statistics.median(r[0] for r in runs)
            wall = statistics.median(r[1] for r in runs)
            print(
                f"{label}: {args.rows} new columns per batch: CPU {cpu:.1f} ms, "
                f"wall {wall:.1f} ms (median of {len(runs)})"
            )


if __name__ == "__main__":
    main()
