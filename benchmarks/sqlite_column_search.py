"""The SQLite column search index in migration 0013's form (three fields) against 0027's (one
joined document, ``columnsize=0``): the CPU of building it in one statement, as a first
ingestion does, and the SQL time of column ``?q=`` reads (a page of 20 and the capped count) for
bench_api's terms, with the answers compared.

    python benchmarks/sqlite_column_search.py --models 10000 [--repeat 3]

One first ingestion (without column lineage) fills a SQLite file; each form is then built
from its ``capsule_column`` rows into a fresh file, alternately, ``--repeat`` times (CPU
seconds of this process, median). Every database is deleted afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from bench_ingest import _no_column_lineage
from sqlite_split import _first_ingestion

from dab.services import ingest_dbt
from dab.storage import search_index

FORMS = {"0013 (three fields)": False, "0027 (one document)": True}


def _statements(joined: bool) -> list[str]:
    """The column FTS table of one form, created and filled from the attached source's rows."""
    create, fill = search_index.sqlite_documents(joined=joined)[4:6]
    return [create, fill.replace("FROM capsule_column", "FROM src.capsule_column")]


def _build(source: Path, folder: Path, joined: bool) -> float:
    target = folder / "build.sqlite3"
    conn = sqlite3.connect(target, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute(f"ATTACH DATABASE '{source}' AS src")
        create, fill = _statements(joined)
        conn.execute(create)
        conn.execute("BEGIN")
        started = time.process_time()
        conn.execute(fill)
        conn.execute("COMMIT")
        return time.process_time() - started
    finally:
        conn.close()
        for leftover in folder.glob("build.sqlite3*"):
            leftover.unlink()


def _terms(source: Path, count: int) -> list[str]:
    """bench_api's terms: a random prefix (3 characters or more) of random capsule names."""
    rng = random.Random(7)
    with sqlite3.connect(source) as conn:
        urns = [urn for (urn,) in conn.execute("SELECT urn FROM capsule")]
    words = [urn.rsplit(":", 1)[1] for urn in rng.sample(urns, count)]
    return [word[: rng.randint(3, len(word))] for word in words]


PAGE = "SELECT rowid FROM column_search WHERE column_search MATCH ? ORDER BY rowid LIMIT 20"
COUNT = f"SELECT count(*) FROM ({PAGE.replace('LIMIT 20', f'LIMIT {search_index.TEXT_TOTAL_CAP + 1}')})"


def _read_once(conn: sqlite3.Connection, phrase: str | None) -> tuple[float, tuple[object, ...]]:
    """ms of one page and capped count, and what they answered."""
    started = time.perf_counter()
    rows = conn.execute(PAGE, (phrase,)).fetchall()
    total = conn.execute(COUNT, (phrase,)).fetchone()
    return (time.perf_counter() - started) * 1000, (tuple(rows), total)


def _reads(source: Path, folder: Path, terms: list[str]) -> dict[str, list[float]]:
    """Per form, the median ms (of 5) of each term's page and capped count, answers compared."""
    databases = {}
    for label, joined in FORMS.items():
        path = folder / f"read{int(joined)}.sqlite3"
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute(f"ATTACH DATABASE '{source}' AS src")
        for statement in _statements(joined):
            conn.execute(statement)
        databases[label] = conn
    timings: dict[str, list[float]] = {label: [] for label in FORMS}
    for term in terms:
        phrase = search_index.fts_phrase(term)
        answers = set()
        for label, conn in databases.items():
            runs = [_read_once(conn, phrase) for _ in range(5)]
            answers.update(answer for _, answer in runs)
            timings[label].append(statistics.median(ms for ms, _ in runs))
        assert len(answers) == 1, term  # both forms answer alike
    for conn in databases.values():
        conn.close()
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=10000)
    parser.add_argument("--columns", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--terms", type=int, default=200)
    args = parser.parse_args()
    ingest_dbt.plan_column_lineage = _no_column_lineage  # type: ignore[assignment,attr-defined]
    folder = Path(tempfile.mkdtemp())  # removed below
    try:
        source = asyncio.run(_first_ingestion(folder, args.models, args.columns))
        builds: dict[str, list[float]] = {label: [] for label in FORMS}
        for _ in range(args.repeat):
            for label, joined in FORMS.items():
                builds[label].append(_build(source, folder, joined))
        print(f"\nbuilding the column search index (CPU s, median of {args.repeat})")
        for label, runs in builds.items():
            print(f"  {label:<22} {statistics.median(runs):5.2f}  runs {[round(r, 2) for r in runs]}")
        timings = _reads(source, folder, _terms(source, args.terms))
        print(f"\ncolumn ?q= reads, page of 20 + capped count, {args.terms} terms (SQL ms)")
        for label, values in timings.items():
            p95 = statistics.quantiles(values, n=20)[-1]
            print(
                f"  {label:<22} p50 {statistics.median(values):5.2f}  p95 {p95:5.2f}  max {max(values):5.2f}"
            )
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
