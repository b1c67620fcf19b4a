"""Ingestion time and peak memory: first ingestion and unchanged re-ingestion.

Artifacts are generated once into benchmarks/out/<models>x<columns>/ by a separate process,
so the peak RSS reported here is the ingestion's own (parse + diff + write).

    python benchmarks/bench_ingest.py --models 10000 --columns 20 --repeat 3
    python benchmarks/bench_ingest.py --models 10000 --database-url postgresql+asyncpg://dab:dab@127.0.0.1/dab
    python benchmarks/bench_ingest.py --models 10000 --without-column-lineage   # the same-run baseline

``--without-column-lineage`` skips only deriving column lineage (no edges, no coverage), so the
ratio of the two runs is the cost of column lineage on this machine at this hour.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import orjson
from sqlalchemy import text

from dab.columnlineage.graph import plan_lineage
from dab.domain.graph import Graph
from dab.services import first_write, ingest_dbt, lineage_workers
from dab.services.column_lineage import LineageOptions, LineageWork
from dab.services.ingest_dbt import IngestRequest, JobPolicy, create_job, run_job
from dab.storage import migrate
from dab.storage.db import create_engine, make_session_factory

OUT = Path(__file__).parent / "out"
KINDS = ("manifest", "catalog", "run_results")


def artifacts_for(models: int, columns: int) -> dict[str, bytes]:
    return _reader(models, columns)()


def _reader(models: int, columns: int) -> Callable[[], dict[str, bytes]]:
    """Reads the generated artifacts on each call: an ingestion holds their bytes only until its
    job is stored (as the CLI does), not for the whole benchmark (1 GB at 100k models)."""
    folder = OUT / f"{models}x{columns}"
    if not (folder / "manifest.json").exists():
        subprocess.run(
            [
                sys.executable,
                str(Path(__file__).parent / "generate_dbt_project.py"),
                "--models",
                str(models),
                "--columns",
                str(columns),
                "--out",
                str(folder),
            ],
            check=True,
        )
    return lambda: {kind: (folder / f"{kind}.json").read_bytes() for kind in KINDS}


async def _reset(url: str) -> None:
    if url.startswith("postgresql"):
        engine = create_engine(url)
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
        await engine.dispose()
    await asyncio.to_thread(migrate.upgrade, url)


POLICY = JobPolicy(fork_rows=True)
"""As the CLI runs a job: one job in its own process."""
LINEAGE = [LineageOptions()]
"""The options every ingestion runs with (``--workers``)."""

CPU: list[tuple[str, float]] = []
"""CPU seconds of this process (all threads), its column-lineage helpers and its forked row
encoder per ingestion: steadier than wall time on a loaded machine."""


def _helper_cpu() -> float:
    """CPU seconds of the column-lineage helper processes so far (Linux /proc; they outlive jobs)."""
    total = 0.0
    for helper in lineage_workers._helpers:
        stat = Path(f"/proc/{helper.pid}/stat") if helper.pid else None
        if stat is not None and stat.exists():
            fields = stat.read_text().rsplit(") ", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime
    return total


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


OWN: list[float] = []
"""CPU seconds of this process alone per first ingestion: with a forked row encoder beside it,
its critical path on a machine with a free core."""


def _cpu() -> float:
    """This process, its column-lineage helpers, and the children it has reaped (the forked
    row encoder of a first write)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    reaped = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime + reaped.ru_utime + reaped.ru_stime + _helper_cpu()


def _reset_peak_rss() -> None:
    """Linux: restart VmHWM from the current RSS, so a later ``_peak_rss`` is one ingestion's."""
    Path("/proc/self/clear_refs").write_text("5")


def _peak_rss() -> float:
    """MiB: the highest RSS since the last reset (Linux VmHWM)."""
    status = Path("/proc/self/status").read_text()
    return int(status.split("VmHWM:")[1].split()[0]) / 1024


PEAKS: list[float] = []
"""Peak RSS (MiB) of each first ingestion."""


async def _ingest(url: str, read: Callable[[], dict[str, bytes]]) -> tuple[float, dict[str, object]]:
    engine = create_engine(url)
    factory = make_session_factory(engine)
    artifacts = read()
    cpu, own = _cpu(), _own_cpu()
    started = time.perf_counter()
    async with factory.begin() as session:
        job_id = (await create_job(session, IngestRequest(artifacts=artifacts))).id
    del artifacts  # stored (compressed) with the job, as the CLI drops them
    job = await run_job(factory, job_id, lineage=LINEAGE[0], policy=POLICY)
    elapsed = time.perf_counter() - started
    if len(CPU) % 3 == 0:
        OWN.append(_own_cpu() - own)
    CPU.append((str(len(CPU) % 3), _cpu() - cpu))
    await engine.dispose()
    if job["status"] != "completed":
        raise SystemExit(f"ingestion failed: {job['error']}")
    return elapsed, job["stats"]


def regenerated(read: Callable[[], dict[str, bytes]]) -> Callable[[], dict[str, bytes]]:
    """The same project as a new dbt invocation writes it: equal content, different bytes.
    Only the top-level ``metadata`` object is decoded (decoding the whole manifest would be
    the benchmark's own peak at 100k models)."""

    def read_regenerated() -> dict[str, bytes]:
        artifacts = read()
        text = artifacts["manifest"]
        end = text.index(b"}", text.index(b'"metadata"')) + 1
        head = orjson.loads(text[:end] + b"}")
        head["metadata"]["generated_at"] = "2030-01-01T00:00:00Z"
        head["metadata"]["invocation_id"] = "11111111-1111-1111-1111-111111111111"
        artifacts["manifest"] = orjson.dumps(head)[:-1] + text[end:]
        return artifacts

    return read_regenerated


def _assert_no_change(stats: dict[str, object]) -> None:
    changed = {
        k: v
        for k, v in stats.items()
        if isinstance(v, dict) and any(v.get(x) for x in ("created", "updated", "deleted"))
    }
    assert not changed, f"unchanged re-ingestion changed rows: {changed}"


async def bench(url: str | None, models: int, columns: int, repeat: int) -> None:
    artifacts = _reader(models, columns)
    equal = regenerated(artifacts)
    first: list[float] = []
    again: list[float] = []
    fresh: list[float] = []
    for _ in range(repeat):
        folder = tempfile.mkdtemp()  # removed below: each 10k database is ~200-350 MB
        db_url = url or f"sqlite+aiosqlite:///{folder}/bench.sqlite3"
        await _reset(db_url)
        _reset_peak_rss()
        seconds, stats = await _ingest(db_url, artifacts)
        PEAKS.append(_peak_rss())
        first.append(seconds)
        seconds, unchanged = await _ingest(db_url, artifacts)
        again.append(seconds)
        _assert_no_change(unchanged)
        seconds, unchanged = await _ingest(db_url, equal)
        fresh.append(seconds)
        _assert_no_change(unchanged)
        shutil.rmtree(folder, ignore_errors=True)
    totals = stats["totals"]
    assert isinstance(totals, dict)
    engine = "postgresql" if url and url.startswith("postgresql") else "sqlite"
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{engine}: {models} models x {columns} columns "
        f"({totals['capsules']} capsules, {totals['columns']} columns, {totals['tests']} tests)"
    )
    print(
        f"  first ingestion     median {statistics.median(first):.2f} s  runs {[round(x, 2) for x in first]}"
    )
    for label, runs in (("identical bytes", again), ("regenerated, equal", fresh)):
        print(f"  {label:<19} median {statistics.median(runs):.2f} s  runs {[round(x, 2) for x in runs]}")
    print(f"  peak RSS            {peak_mb:.0f} MiB (first ingestions: {[round(p) for p in PEAKS]} MiB)")
    cpu = {
        label: [round(s, 2) for k, s in CPU if k == key]
        for key, label in (("0", "first"), ("1", "identical"), ("2", "regenerated"))
    }
    print(f"  CPU seconds         {cpu} (this process, its column-lineage helpers and forked children)")
    print(f"  first, this process {[round(s, 2) for s in OWN]} CPU s (without its helpers and children)")


async def _no_column_lineage(_session: object, _graph: Graph, **_: object) -> LineageWork:
    """Nothing to derive and nothing reused: no column edges, an empty coverage."""
    return LineageWork(plan_lineage(Graph()), {}, {}, set())


def main() -> None:
    parser = argparse.ArgumentParser(description="dab ingestion benchmark")
    parser.add_argument("--models", type=int, default=1000)
    parser.add_argument("--columns", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file per run")
    parser.add_argument(
        "--workers", type=int, default=0, help="column lineage processes (0: auto, the default)"
    )
    parser.add_argument("--without-column-lineage", action="store_true", help="baseline: derive none")
    parser.add_argument(
        "--no-early", action="store_true", help="derive only after the parse and plan (lineage_early off)"
    )
    parser.add_argument(
        "--fork-rows",
        choices=("auto", "always", "never"),
        default="auto",
        help="forked row encoder of a first write: when a core is free now (auto), always, or never",
    )
    args = parser.parse_args()
    if args.fork_rows != "auto":
        first_write.worth_forking = lambda: args.fork_rows == "always"  # type: ignore[attr-defined]
    late = args.without_column_lineage or args.no_early  # no helper deriving from the job's start
    LINEAGE[0] = LineageOptions(workers=args.workers, early_min_bytes=1 << 62 if late else 256 * 1024)
    if args.without_column_lineage:
        ingest_dbt.plan_column_lineage = _no_column_lineage  # type: ignore[assignment,attr-defined]
    asyncio.run(bench(args.database_url, args.models, args.columns, args.repeat))


if __name__ == "__main__":
    main()
