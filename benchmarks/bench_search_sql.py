"""The statements behind columns ``?q=`` on SQLite, timed alone: the scan against the FTS5 table.

Runs on a database a ``bench_api.py --keep DIR`` run left (10k models x 20 columns), with the
sqlite3 module directly, best of ``--repeat`` per statement (a shared machine's noise mostly
adds time, so the best run is the statement's cost).

    python benchmarks/bench_search_sql.py DIR/bench.sqlite3 [--queries stg stg_1 col_1 int_45]
"""

from __future__ import annotations

import argparse
import sqlite3
import time

FIELDS = "(lower(name) LIKE ? OR lower(urn) LIKE ? OR lower(description) LIKE ?)"
MATCH = "(SELECT rowid FROM column_search WHERE column_search MATCH ?)"
ORDER = "ORDER BY capsule_urn, ordinal, id LIMIT 20"
STATEMENTS = {
    "scan: count": (f"SELECT count(*) FROM capsule_column WHERE {FIELDS}", "like"),
    "scan: first page": (f"SELECT id FROM capsule_column WHERE {FIELDS} {ORDER}", "like"),
    "fts: count": ("SELECT count(*) FROM column_search WHERE column_search MATCH ?", "phrase"),
    "fts: count through id IN": (f"SELECT count(id) FROM capsule_column WHERE id IN {MATCH}", "phrase"),
    "fts: first page": (f"SELECT id FROM capsule_column WHERE id IN {MATCH} {ORDER}", "phrase"),
}


def best(db: sqlite3.Connection, sql: str, params: tuple[str, ...], repeat: int) -> tuple[float, int]:
    times, rows = [], 0
    for _ in range(repeat):
        started = time.perf_counter()
        result = db.execute(sql, params).fetchall()
        times.append(time.perf_counter() - started)
        rows = result[0][0] if "count" in sql else len(result)
    return min(times) * 1000, rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("database")
    parser.add_argument("--queries", nargs="+", default=["stg", "stg_1", "stg_12", "int_45", "col_1"])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    db = sqlite3.connect(args.database)
    print("| q | statement | best ms | rows |")
    print("|---|---|---|---|")
    for q in args.queries:
        like = f"%{q.lower()}%"
        for label, (sql, kind) in STATEMENTS.items():
            params = (like, like, like) if kind == "like" else (f'"{q.lower()}"',)
            ms, rows = best(db, sql, params, args.repeat)
            print(f"| {q} | {label} | {ms:.1f} | {rows:,} |")


if __name__ == "__main__":
    main()
