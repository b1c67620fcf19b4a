"""Load and soak: a realistic mix against a running `uvicorn dab.api.main:app`, driven by wrk.

One wrk process per endpoint group runs concurrently (reads, searches, lineage, conformance
score, violations, metrics scrapes), while an ingestion of the same project lands every 30 s, so
every cached read is invalidated while under load. Prints p50/p95/p99 and requests/s per group
beside the runbook's performance table, checks zero errors (non-2xx, socket errors, failed
ingestions) and, for runs of 3 minutes or more, that the server's memory stays flat (after a
warm-up, RSS of the last third within 15% of the first third).

    python benchmarks/load_soak.py                       # 60 s, 2,000 models (a quick check)
    python benchmarks/load_soak.py --seconds 600         # the 10-minute soak
    DAB_BENCH_DATABASE_URL=postgresql+asyncpg://... python benchmarks/load_soak.py

Data products/SLO checks and tagging are in the runbook's table but not in this build; their
rows print "not built".
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import orjson
import psutil

sys.path.insert(0, str(Path(__file__).parent))

from bench_api import KEY, _urns, prepare_database, server, workloads
from generate_dbt_project import generate_manifest

RUNBOOK_P95_MS = {
    "get capsule": 50,
    "search": 200,
    "lineage depth 5": 500,
    "conformance score": None,
    "violations page": None,
    "metrics scrape": None,
}
RUNBOOK_RPS = {"get capsule": 5000, "search": 1000, "lineage depth 5": 500}
CONNECTIONS = {"metrics scrape": 1, "conformance score": 2}  # light, like real scrapers and dashboards
NOT_BUILT = ("data product SLO check", "tag capsule/column")

WRK_LUA = """
local paths = {}
for line in io.lines("%(paths)s") do paths[#paths + 1] = line end
local i = 0
request = function()
  i = (i %% #paths) + 1
  return wrk.format("GET", paths[i], {["X-API-Key"] = "%(key)s"})
end
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.status + summary.errors.timeout
  io.write(string.format("RESULT %%d %%d %%.3f %%.3f %%.3f %%.6f\\n", summary.requests, errors,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    summary.duration / 1e6))
end
"""


def _wrk(
    base: str, name: str, paths: list[str], seconds: int, connections: int, workdir: Path
) -> subprocess.Popen[str]:
    slug = name.replace(" ", "_")
    (workdir / f"{slug}.paths").write_text("\n".join(paths) + "\n")
    script = workdir / f"{slug}.lua"
    script.write_text(WRK_LUA % {"paths": workdir / f"{slug}.paths", "key": KEY})
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", str(script), base]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _result(process: subprocess.Popen[str], seconds: int) -> tuple[int, int, float, float, float, float]:
    output, _ = process.communicate(timeout=seconds + 60)
    line = next((row for row in output.splitlines() if row.startswith("RESULT")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result:\n{output}")
    requests, errors, p50, p95, p99, duration = line.split()[1:]
    return int(requests), int(errors), float(p50), float(p95), float(p99), float(duration)


class Ingester(threading.Thread):
    """Re-ingests the project every ``every`` seconds (alternating descriptions: real writes)."""

    def __init__(self, base: str, body: tuple[bytes, bytes], every: float, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.base, self.bodies, self.every, self.stop = base, body, every, stop
        self.completed = 0
        self.failed: list[str] = []

    def run(self) -> None:
        turn = 0
        while not self.stop.wait(self.every):
            turn += 1
            response = httpx.post(
                f"{self.base}/api/v1/ingest/dbt?wait=true",
                content=self.bodies[turn % 2],
                headers={"X-API-Key": KEY, "Content-Type": "application/json"},
                timeout=600,
            )
            if response.status_code == 201:
                self.completed += 1
            else:
                self.failed.append(f"{response.status_code}: {response.text[:200]}")


def _bodies(models: int) -> tuple[bytes, bytes]:
    manifest, catalog, run_results = generate_manifest(models, 10)
    first = orjson.dumps({"manifest": manifest, "catalog": catalog, "run_results": run_results})
    for node in manifest["nodes"].values():
        node["description"] = (node.get("description") or "") + " (revised)"
    second = orjson.dumps({"manifest": manifest, "catalog": catalog, "run_results": run_results})
    return first, second


def _server_pid(port: int) -> int:
    for conn in psutil.net_connections(kind="tcp"):
        if conn.laddr and conn.laddr.port == port and conn.status == psutil.CONN_LISTEN and conn.pid:
            return int(conn.pid)
    raise RuntimeError("server process not found")


def _mix(urns: list[str]) -> dict[str, list[str]]:
    paths = workloads(urns, min(500, len(urns)), random.Random(7))
    return {
        "get capsule": paths["get"],
        "search": paths["search"],
        "lineage depth 5": paths["lineage5"],
        "conformance score": ["/api/v1/conformance/score"],
        "violations page": [f"/api/v1/conformance/violations?limit=50&offset={i * 50}" for i in range(10)],
        "metrics scrape": ["/metrics"],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--models", type=int, default=2000)
    parser.add_argument("--ingest-every", type=float, default=30.0)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (apt-get install wrk)")
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        url = prepare_database(os.environ.get("DAB_BENCH_DATABASE_URL"), workdir)
        with server(url, workdir, cache=True) as base:
            bodies = _bodies(args.models)
            first = httpx.post(
                f"{base}/api/v1/ingest/dbt?wait=true",
                content=bodies[0],
                headers={"X-API-Key": KEY, "Content-Type": "application/json"},
                timeout=900,
            )
            first.raise_for_status()
            evaluated = httpx.post(
                f"{base}/api/v1/conformance/evaluate",
                json={"scope": "full", "persist_violations": True},
                headers={"X-API-Key": KEY},
                timeout=900,
            )
            evaluated.raise_for_status()
            with httpx.Client(base_url=base, headers={"X-API-Key": KEY}, timeout=60) as client:
                urns = _urns(client)
            pid = _server_pid(int(base.rsplit(":", 1)[1]))
            stop = threading.Event()
            ingester = Ingester(base, bodies, args.ingest_every, stop)
            mix = _mix(urns)
            runs = {
                name: _wrk(base, name, paths, args.seconds, CONNECTIONS.get(name, 4), workdir)
                for name, paths in mix.items()
            }
            ingester.start()
            rss: list[float] = []
            deadline = time.monotonic() + args.seconds
            while time.monotonic() < deadline:
                rss.append(psutil.Process(pid).memory_info().rss / 2**20)
                time.sleep(min(5.0, max(0.5, args.seconds / 60)))
            results = {name: _result(process, args.seconds) for name, process in runs.items()}
            stop.set()
            ingester.join(timeout=600)
    _report(results, ingester, rss, args)


def _report(
    results: dict[str, tuple[int, int, float, float, float, float]],
    ingester: Ingester,
    rss: list[float],
    args: argparse.Namespace,
) -> None:
    print(f"\n## load mix, {args.seconds}s, {args.models} models, ingestion every {args.ingest_every:.0f}s")
    print(
        "| endpoint group | requests | errors | p50 ms | p95 ms | p99 ms | req/s "
        "| runbook p95 | runbook req/s |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    errors = 0
    for name, (requests, failed, p50, p95, p99, duration) in results.items():
        errors += failed
        target = RUNBOOK_P95_MS.get(name)
        rps = RUNBOOK_RPS.get(name)
        print(
            f"| {name} | {requests} | {failed} | {p50:.1f} | {p95:.1f} | {p99:.1f} "
            f"| {requests / duration:.0f} | {f'< {target} ms' if target else '-'} | {rps or '-'} |"
        )
    for name in NOT_BUILT:
        print(f"| {name} | not built | | | | | | | |")
    print(f"\ningestions: {ingester.completed} completed, {len(ingester.failed)} failed")
    growth = _memory_growth(rss, args.seconds)
    problems = []
    if growth is not None and growth > 0.15:
        problems.append(f"memory grew {growth:.0%}")
    if errors:
        problems.append(f"{errors} request errors")
    if ingester.failed:
        problems.append(f"failed ingestions: {ingester.failed[:3]}")
    if problems:
        sys.exit("FAILED: " + "; ".join(problems))
    print("OK: zero errors" + (", memory flat" if growth is not None else ""))


def _memory_growth(rss: list[float], seconds: int) -> float | None:
    """Growth of the server's RSS between the first and last third after a warm-up (the first
    quarter of the run, at least 60 s: caches fill, the first re-ingestions allocate)."""
    if seconds < 180:
        print(
            f"server RSS: {rss[0]:.0f} -> {rss[-1]:.0f} MiB (run too short to judge flatness; soak >= 180 s)"
        )
        return None
    steady = rss[max(len(rss) // 4, int(len(rss) * 60 / seconds)) :]
    third = max(1, len(steady) // 3)
    early, late = sum(steady[:third]) / third, sum(steady[-third:]) / third
    growth = (late - early) / early
    print(f"server RSS after warm-up: first third {early:.0f} MiB, last third {late:.0f} MiB ({growth:+.1%})")
    return growth


if __name__ == "__main__":
    main()
