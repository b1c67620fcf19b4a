"""Peak RSS per step of an ingestion's parse (inflate, content digest, decode, parse_dbt).

The parse was the first ingestion's memory peak (3.7 of 3.9 GiB at 100k models, docs/PERFORMANCE.md,
"Ingestion at the floor", parts 5 and 6). This runs exactly the ingestion's parse of the generated
artifacts (``bench_ingest`` writes them to benchmarks/out/) with no database, and prints the
highest RSS seen during each step, sampled every 20 ms by a thread:

    python benchmarks/bench_ingest.py --models 100000 --repeat 1   # once, to generate the artifacts
    python benchmarks/profile_parse_memory.py benchmarks/out/100000x20
"""

from __future__ import annotations

import argparse
import functools
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dab.ingest.dbt import staged
from dab.services import ingest_dbt
from dab.services.artifact_gzip import compress_artifacts
from dab.services.ingest_dbt import _parse_unless_equal, _Started

STEPS = (
    (ingest_dbt, "artifact_bytes"),
    (ingest_dbt, "content_of"),
    (staged, "decode_artifact"),
    (staged, "parse_manifest"),
    (staged, "parse_manifest_streamed"),
)
"""The functions of the ingestion's parse whose calls are steps (module, name)."""


class Peaks:
    """The highest RSS (MiB) seen while each step ran, in the order the steps began."""

    def __init__(self) -> None:
        self.step = "read and compress"
        self.peaks: dict[str, float] = {}

    def sample(self) -> None:
        while True:
            status = Path("/proc/self/status").read_text()
            rss = int(status.split("VmRSS:")[1].split()[0]) / 1024
            self.peaks[self.step] = max(self.peaks.get(self.step, 0.0), rss)
            time.sleep(0.02)

    def wrap(self, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(function)
        def step(*args: Any, **kwargs: Any) -> Any:
            self.step = f"{len(self.peaks):02d} {name}"
            try:
                return function(*args, **kwargs)
            finally:
                self.step = f"{len(self.peaks):02d} after {name}"

        return step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="generated artifacts (manifest.json, catalog.json, ...)")
    args = parser.parse_args()
    peaks = Peaks()
    for module, name in STEPS:
        setattr(module, name, peaks.wrap(name, getattr(module, name)))
    threading.Thread(target=peaks.sample, daemon=True).start()
    sent = {
        kind: (args.folder / f"{kind}.json").read_bytes()
        for kind in ("manifest", "catalog", "run_results")
        if (args.folder / f"{kind}.json").exists()
    }
    # As a job stores them: compressed, and only those bytes kept.
    stored = {kind: gzipped for kind, (gzipped, _) in compress_artifacts(sent).items()}
    del sent
    cpu = time.process_time()
    parsed = _parse_unless_equal("profile", _Started(stored, None, "", None), None, None, 1 << 40)
    cpu = time.process_time() - cpu
    time.sleep(0.1)
    assert parsed.graph is not None
    print(f"parse: {cpu:.1f} CPU s, {len(parsed.graph.columns)} columns")
    for step, peak in peaks.peaks.items():
        print(f"  {peak:8.0f} MiB  {step}")
    # This process's own maximum (``/usr/bin/time`` also counts the early-lineage helper it
    # forks), which also sees what a sampling thread misses while a decode holds the GIL.
    status = Path("/proc/self/status").read_text()
    print(f"  {int(status.split('VmHWM:')[1].split()[0]) / 1024:8.0f} MiB  the process's maximum (VmHWM)")


if __name__ == "__main__":
    main()
