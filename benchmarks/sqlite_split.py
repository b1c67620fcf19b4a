"""How SQLite's own time in a first ingestion splits: per table, per index, foreign keys,
the FTS5 search triggers and the commit.

    python benchmarks/sqlite_split.py --models 10000 [--repeat 3]

One first ingestion (without column lineage) fills a SQLite file; then, for every table the
ingestion writes, its rows are copied into a freshly migrated database with
``INSERT INTO main.t SELECT * FROM src.t ORDER BY rowid`` (the order the ingestion inserted
them; the ``ORDER BY`` keeps SQLite from copying b-tree pages wholesale), once as migrated and
once per variant: without one index, without foreign-key checks, without the table's search
triggers. Parameter binding and Python are not in these figures: this is the engine's work.
CPU seconds of this process (the copy runs in this thread), median of ``--repeat``. Every
database is deleted afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from bench_ingest import _ingest, _no_column_lineage, _reader, _reset

from dab.services import ingest_dbt
from dab.storage import search_index

TABLES = ("capsule", "capsule_column", "data_test", "capsule_lineage", "capsule_tag")
"""In the order the ingestion writes them (foreign keys point backwards)."""


def _cpu() -> float:
    return time.process_time()


def _fresh(template: Path, folder: Path, name: str) -> sqlite3.Connection:
    target = folder / name
    shutil.copy(template, target)
    conn = sqlite3.connect(target, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")
    return conn


def _copy(
    template: Path, source: Path, folder: Path, table: str, prepare: Callable[[sqlite3.Connection], None]
) -> tuple[float, float]:
    """CPU seconds of the insert and of the commit into a fresh migrated copy."""
    conn = _fresh(template, folder, "copy.sqlite3")
    try:
        prepare(conn)
        conn.execute(f"ATTACH DATABASE '{source}' AS src")
        for earlier in TABLES[: TABLES.index(table)]:  # what the foreign keys point at
            conn.execute(f"INSERT INTO main.{earlier} SELECT * FROM src.{earlier} ORDER BY rowid")
        conn.execute("INSERT INTO main.tag SELECT * FROM src.tag")
        conn.execute("BEGIN")
        started = _cpu()
        conn.execute(f"INSERT INTO main.{table} SELECT * FROM src.{table} ORDER BY rowid")
        inserted = _cpu()
        conn.execute("COMMIT")
        return inserted - started, _cpu() - inserted
    finally:
        conn.close()
        for leftover in folder.glob("copy.sqlite3*"):
            leftover.unlink()


def _variants(template: Path, table: str) -> dict[str, Callable[[sqlite3.Connection], None]]:
    conn = sqlite3.connect(template)
    indexes = [
        name
        for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
            (table,),
        )
    ]
    triggers = [
        name
        for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?", (table,)
        )
    ]
    conn.close()

    def drop(statements: list[str]) -> Callable[[sqlite3.Connection], None]:
        def prepare(conn: sqlite3.Connection) -> None:
            for statement in statements:
                conn.execute(statement)

        return prepare

    variants: dict[str, Callable[[sqlite3.Connection], None]] = {"as migrated": drop([])}
    for index in indexes:
        variants[f"without {index}"] = drop([f"DROP INDEX {index}"])
    if indexes:
        variants["without all secondary indexes"] = drop([f"DROP INDEX {i}" for i in indexes])
    variants["foreign keys off"] = drop(["PRAGMA foreign_keys=OFF"])
    if triggers:
        variants["without the search triggers"] = drop([f"DROP TRIGGER {t}" for t in triggers])
    variants["page cache 64 MiB"] = drop(["PRAGMA cache_size=-65536"])
    variants["no checkpoint at the commit"] = drop(["PRAGMA wal_autocheckpoint=0"])
    return variants


def _whole_write(template: Path, source: Path, folder: Path, checkpoint: bool) -> dict[str, float]:
    """Every table in one transaction as the ingestion writes them: the column search index
    filled in one statement after the column rows (``search_index.sqlite_bulk_insert``)."""
    conn = _fresh(template, folder, "whole.sqlite3")
    parts: dict[str, float] = {}
    try:
        if not checkpoint:
            conn.execute("PRAGMA wal_autocheckpoint=0")
        conn.execute(f"ATTACH DATABASE '{source}' AS src")
        conn.execute("INSERT INTO main.tag SELECT * FROM src.tag")
        conn.execute("BEGIN")
        for table in TABLES:
            started = _cpu()
            if table == "capsule_column":
                conn.execute("DROP TRIGGER column_search_insert")
            conn.execute(f"INSERT INTO main.{table} SELECT * FROM src.{table} ORDER BY rowid")
            parts[table] = _cpu() - started
            if table == "capsule_column":
                started = _cpu()
                conn.execute(search_index.sqlite_index_rows(table), (0,))
                parts["column_search (bulk)"] = _cpu() - started
        started, wall = _cpu(), time.perf_counter()
        conn.execute("COMMIT")
        parts["commit"], parts["commit, wall"] = _cpu() - started, time.perf_counter() - wall
        return parts
    finally:
        conn.close()
        for leftover in folder.glob("whole.sqlite3*"):
            leftover.unlink()


async def _first_ingestion(folder: Path, models: int, columns: int) -> Path:
    source = folder / "source.sqlite3"
    url = f"sqlite+aiosqlite:///{source}"
    await _reset(url)
    seconds, _ = await _ingest(url, _reader(models, columns))
    print(f"first ingestion: {seconds:.2f} s wall")
    return source


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=10000)
    parser.add_argument("--columns", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    ingest_dbt.plan_column_lineage = _no_column_lineage  # type: ignore[assignment,attr-defined]
    folder = Path(tempfile.mkdtemp())  # removed below: the databases are ~300 MB
    try:
        source = asyncio.run(_first_ingestion(folder, args.models, args.columns))
        template = folder / "template.sqlite3"
        asyncio.run(_reset(f"sqlite+aiosqlite:///{template}"))
        counts = sqlite3.connect(source)
        for table in TABLES:
            (rows,) = counts.execute(f"SELECT count(*) FROM {table}").fetchone()
            print(f"\n{table}: {rows} rows (CPU s, median of {args.repeat}: insert / commit)")
            for label, prepare in _variants(template, table).items():
                runs = [_copy(template, source, folder, table, prepare) for _ in range(args.repeat)]
                insert = statistics.median(r[0] for r in runs)
                commit = statistics.median(r[1] for r in runs)
                print(f"  {label:<45} {insert:6.2f} / {commit:5.2f}")
        counts.close()
        for checkpoint in (True, False):
            whole = [_whole_write(template, source, folder, checkpoint) for _ in range(args.repeat)]
            label = "with" if checkpoint else "without"
            print(f"\nthe whole write, one transaction, {label} the checkpoint at the commit (CPU s, median)")
            for part in whole[0]:
                print(f"  {part:<45} {statistics.median(r[part] for r in whole):6.2f}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
