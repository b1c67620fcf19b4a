"""Benchmark: whole-graph conformance through ``POST /api/v1/conformance/evaluate`` (persisted).

Ingests the synthetic project into a database once (kept in ``--workdir``, so later runs and
other versions of the code can reuse it), then starts a fresh ``uvicorn dab.api.main:app`` (one
worker) and times ``--calls`` evaluations of scope ``full`` with violations persisted, from the
client: the first pays for loading the graph and parsing every model's SQL, the later ones show
what a server keeps between calls. Prints each call and the server's peak RSS (VmHWM).

    python benchmarks/bench_conformance_api.py --models 10000 --workdir /tmp/dab-conf-api
    DAB_BENCH_DATABASE_URL=postgresql+asyncpg://dab:dab@127.0.0.1:5432/dab \\
        python benchmarks/bench_conformance_api.py --workdir /tmp/dab-conf-api-pg
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from bench_api import KEY, ingest, prepare_database, server


def _server() -> Path | None:
    """/proc folder of this process's uvicorn child (one worker: the server itself)."""
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
            cmdline = (status.parent / "cmdline").read_bytes()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
        if int(fields.get("PPid", "0").strip()) == os.getpid() and b"uvicorn" in cmdline:
            return status.parent
    return None


def _server_peak_rss_mib(proc: Path | None) -> float:
    if proc is None:
        return 0.0
    fields = dict(line.split(":", 1) for line in (proc / "status").read_text().splitlines() if ":" in line)
    return int(fields.get("VmHWM", "0 kB").split()[0]) / 1024


def _server_cpu(proc: Path | None) -> float:
    """User + system CPU seconds of the server so far (utime and stime of /proc/PID/stat)."""
    if proc is None:
        return 0.0
    fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--models", type=int, default=10_000)
    parser.add_argument("--columns", type=int, default=20)
    parser.add_argument("--calls", type=int, default=3)
    parser.add_argument("--workdir", type=Path, required=True, help="keeps the ingested database")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    marker = args.workdir / f"ingested-{args.models}x{args.columns}"
    pg = os.environ.get("DAB_BENCH_DATABASE_URL")
    if marker.exists():
        url = marker.read_text()
    else:
        url = prepare_database(pg, args.workdir)
        with server(url, args.workdir, cache=True) as base:
            print(
                f"ingested {args.models} models in {ingest(base, args.models, args.columns):.1f} s",
                flush=True,
            )
        marker.write_text(url)
    with server(url, args.workdir, cache=True) as base, httpx.Client(timeout=1800) as client:
        proc = _server()
        for call in range(1, args.calls + 1):
            started, used = time.perf_counter(), _server_cpu(proc)
            response = client.post(
                f"{base}/api/v1/conformance/evaluate",
                json={"scope": "full", "persist_violations": True, "violations_limit": 10},
                headers={"X-API-Key": KEY},
            )
            elapsed = time.perf_counter() - started
            response.raise_for_status()
            body = response.json()
            print(
                f"call {call}: {elapsed:6.2f} s, server CPU {_server_cpu(proc) - used:5.2f} s "
                f"(duration_ms {body['duration_ms']}), "
                f"{body['violations']['total']} violations, score {body['score']:.4f}, "
                f"load {_load_average()}",
                flush=True,
            )
        print(f"server peak RSS {_server_peak_rss_mib(proc):.0f} MiB")


if __name__ == "__main__":
    main()
