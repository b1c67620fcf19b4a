"""Where a first ingestion with column lineage spends its wall time: a timeline of its phases.

    python benchmarks/timeline_ingest.py --models 10000 [--repeat 2]

One first ingestion per repeat into a fresh SQLite file (removed afterwards), with timers around
the phases of ``ingest_dbt`` and the derivation's lanes: when each phase starts and how long it
runs (wall), the CPU this process spent meanwhile (all its threads), when each helper finished
its chunks and how many chunks this process derived itself. So the critical path can be read
off: whether the writer waits on the helpers, or the helpers are done and this process's own
work (edge insert, PII re-pass, ...) is the tail.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from bench_ingest import LINEAGE, _cpu, _helper_cpu, _ingest, _no_column_lineage, _reader, _reset

from dab.services import column_lineage, ingest_dbt, lineage_early, lineage_workers
from dab.services.column_lineage import LineageOptions

PHASES = (
    "parse_job",
    "plan_column_lineage",
    "apply_pii_findings",
    "_persist",
    "insert_column_edges",
    "finish_column_lineage",
    "refresh_pii_findings",
    "store_refreshed_findings",
    "write_column_edges",
    "store_lineage_state",
    "save_facts",
)
rows: list[tuple[str, float, float, float]] = []
"""(phase, start offset, wall, CPU of this process) in the order the phases ended."""
marks: list[tuple[str, float]] = []
"""Single events: a helper's chunk finished, this process derived a chunk."""
ORIGIN = [0.0]


def _own_cpu() -> float:
    return _cpu() - _helper_cpu()


def _timed(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    async def timed(*args: Any, **kwargs: Any) -> Any:
        start, cpu = time.perf_counter(), _own_cpu()
        try:
            return await function(*args, **kwargs)
        finally:
            rows.append((name, start - ORIGIN[0], time.perf_counter() - start, _own_cpu() - cpu))

    return timed


def _instrument() -> None:
    for name in PHASES:
        setattr(ingest_dbt, name, _timed(name, getattr(ingest_dbt, name)))
    add = column_lineage.ChunkAssembly.add
    column_lineage.ChunkAssembly.add = _timed("assemble chunk", add)  # type: ignore[method-assign]
    here_derive = lineage_workers.derive_tasks

    async def helper_lane(self: Any, helper: Any) -> None:
        for i in self.pending:
            self.results[i] = await helper.run(here_derive, self.chunk(i), self.on_tree)
            marks.append((f"helper {helper.pid} finished chunk {i}", time.perf_counter() - ORIGIN[0]))
            self.send.send_nowait(i)

    def derive_here(tasks: list[Any], on_tree: Any = None) -> Any:
        start = time.perf_counter()
        out = here_derive(tasks, on_tree)
        marks.append(
            (f"this process derived a chunk in {time.perf_counter() - start:.2f} s", start - ORIGIN[0])
        )
        return out

    lineage_workers._Spread.there = helper_lane  # type: ignore[method-assign]
    lineage_workers.derive_tasks = derive_here  # type: ignore[assignment]
    _instrument_early()


def _instrument_early() -> None:
    """The early derivation (``lineage_early``): each helper batch's end, this process's batches."""
    finished = lineage_early.EarlyLineage._finished
    derive = lineage_early._Join.derive

    def batch_done(self: Any, derived: list[Any]) -> None:
        marks.append((f"helpers' batch of {len(derived)} finished", time.perf_counter() - ORIGIN[0]))
        finished(self, derived)

    def derive_here(self: Any, indexes: list[int]) -> list[int]:
        start = time.perf_counter()
        out = derive(self, indexes)
        spent = time.perf_counter() - start
        marks.append((f"this process derived {len(indexes)} in {spent:.2f} s", start - ORIGIN[0]))
        return out

    lineage_early.EarlyLineage._finished = batch_done  # type: ignore[method-assign]
    lineage_early._Join.derive = derive_here  # type: ignore[method-assign]
    lineage_early._Join.run = _timed("join (early)", lineage_early._Join.run)  # type: ignore[method-assign]


def _helper_peaks() -> list[int]:
    """MiB: each helper's highest RSS so far (Linux VmHWM)."""
    out = []
    for helper in lineage_workers._helpers:
        status = Path(f"/proc/{helper.pid}/status") if helper.pid else None
        if status is not None and status.exists():
            out.append(int(status.read_text().split("VmHWM:")[1].split()[0]) // 1024)
    return out


async def _one(models: int, columns: int) -> None:
    folder = tempfile.mkdtemp()
    try:
        url = f"sqlite+aiosqlite:///{folder}/timeline.sqlite3"
        await _reset(url)
        rows.clear()
        marks.clear()
        helper_cpu = _helper_cpu()
        ORIGIN[0] = time.perf_counter()
        cpu = _cpu()
        seconds, _ = await _ingest(url, _reader(models, columns))
        print(f"first ingestion: {seconds:.2f} s wall, {_cpu() - cpu:.2f} s CPU (with helpers)")
        print(f"  helpers' CPU {_helper_cpu() - helper_cpu:.2f} s, peak RSS {_helper_peaks()} MiB")
        print(f"  {'phase':<28} {'starts':>8} {'wall':>8} {'CPU':>8}")
        for name, start, wall, spent in sorted(rows, key=lambda r: r[1]):
            print(f"  {name:<28} {start:8.2f} {wall:8.2f} {spent:8.2f}")
        chunks = sorted(marks, key=lambda m: m[1])
        for label, at in chunks:
            print(f"  {at:8.2f}  {label}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", type=int, default=10000)
    parser.add_argument("--columns", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument("--without-column-lineage", action="store_true", help="baseline: derive none")
    parser.add_argument("--no-early", action="store_true", help="derive only after the parse and plan")
    args = parser.parse_args()
    late = args.without_column_lineage or args.no_early
    LINEAGE[0] = LineageOptions(workers=args.workers, early_min_bytes=1 << 62 if late else 256 * 1024)
    _instrument()
    if args.without_column_lineage:
        ingest_dbt.plan_column_lineage = _no_column_lineage  # type: ignore[assignment,attr-defined]
    for _ in range(args.repeat):
        asyncio.run(_one(args.models, args.columns))


if __name__ == "__main__":
    main()
