"""Data product SLO check and tag apply under load, against a real uvicorn on 127.0.0.1.

Ingests the synthetic project (benchmarks/generate_dbt_project.py, with run_results), makes
``--products`` products of 5 member capsules each, then measures:
- single client p50/p95 of ``GET /products/{id}/slo-status`` (uncached, then cached) and of
  ``POST /tags/capsules/{capsule_id}/{tag_id}`` (new links);
- with wrk at 16 connections: requests/s and p95 of both, SLO cached and with the cache disabled,
  then ``DELETE`` of the tag links the apply run made (each once, for half the time).

    python benchmarks/bench_governance.py [--models 10000] [--products 200] [--wrk-seconds 5]
    DAB_BENCH_DATABASE_URL=postgresql+asyncpg://dab:dab@127.0.0.1:5432/dab \
        python benchmarks/bench_governance.py
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import httpx
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).parent))

from bench_api import KEY, SERVER_PIDS, _capsule_total, _percentiles, _urns, ingest, prepare_database, server
from server_cpu import tree_cpu_seconds

TARGETS = {"slo": (100.0, 2000), "tag": (50.0, 3000)}  # runbook: p95 ms, requests/s

WRK_SCRIPT = """
local threads = 0
setup = function(thread)
  thread:set("offset", threads)
  threads = threads + 1
end
local paths = {}
for line in io.lines("%s") do paths[#paths + 1] = line end
local i = nil
request = function()
  if i == nil then i = offset * math.floor(#paths / 4) end  -- each thread its own quarter
  i = (i %% #paths) + 1
  return wrk.format("%s", paths[i], {["X-API-Key"] = "%s", ["Content-Type"] = "application/json"}, %s)
end
done = function(summary, latency, requests)
  io.write(string.format("P95_MS %%.2f\\n", latency:percentile(95) / 1000))
  io.write(string.format("NON2XX %%d\\n", summary.errors.status))
  io.write(string.format("REQUESTS %%d\\n", summary.requests))
end
"""


def wrk(
    base: str, method: str, paths: list[str], seconds: int, workdir: Path, label: str
) -> tuple[float, float, float]:
    """(requests/s, p95 ms, the server's CPU ms per request) at 16 connections."""
    binary = shutil.which("wrk")
    if binary is None:
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    (workdir / f"{label}.paths").write_text("\n".join(paths) + "\n")
    body = '\'{"added_by": "bench"}\'' if method == "POST" else "nil"
    script = workdir / f"{label}.lua"
    script.write_text(WRK_SCRIPT % (workdir / f"{label}.paths", method, KEY, body))
    command = [binary, "-t4", "-c16", f"-d{seconds}s", "-s", str(script), base]
    cpu_before = tree_cpu_seconds(SERVER_PIDS[base])
    output = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60).stdout
    cpu = tree_cpu_seconds(SERVER_PIDS[base]) - cpu_before
    rows = {line.split()[0]: line.split()[-1] for line in output.splitlines() if line.strip()}
    if rows.get("NON2XX", "0") != "0":
        print(f"  {label}: {rows['NON2XX']} non-2xx answers")
    cpu_ms = cpu * 1000 / max(int(rows["REQUESTS"]), 1)
    return float(rows["Requests/sec:"]), float(rows["P95_MS"]), cpu_ms


def timed(client: httpx.Client, method: str, paths: list[str], **kwargs: object) -> list[float]:
    out = []
    for path in paths:
        start = time.perf_counter()
        response = client.request(method, path, **kwargs)  # type: ignore[arg-type]
        out.append((time.perf_counter() - start) * 1000)
        assert response.status_code in (200, 201), (path, response.status_code, response.text[:200])
    return out


def _links_of(base: str, tags: list[str]) -> list[str]:
    """The DELETE path of every capsule link of ``tags``."""
    paths = []
    with httpx.Client(base_url=base, headers={"X-API-Key": KEY}, timeout=60) as client:
        for tag in tags:
            offset = 0
            while True:
                page = client.get(
                    f"/api/v1/tags/{tag}/capsules", params={"limit": 1000, "offset": offset}
                ).json()
                paths += [f"/api/v1/tags/capsules/{quote(row['urn'], safe='')}/{tag}" for row in page["data"]]
                offset += 1000
                if offset >= page["total"]:
                    break
    return paths


def make_products(
    client: httpx.Client, urns: list[str], count: int, rng: random.Random, run: str
) -> list[str]:
    ids = []
    for n in range(count):
        body = {
            "name": f"product-{run}-{n}",
            "slo_freshness_hours": 24,
            "slo_availability_percent": 99,
            "slo_quality_threshold": 0.9,
        }
        product_id = client.post("/api/v1/products", json=body).json()["id"]
        for k, urn in enumerate(rng.sample(urns, 5)):
            role = "output" if k < 2 else "input"
            client.post(f"/api/v1/products/{product_id}/capsules/{quote(urn, safe='')}", json={"role": role})
        ids.append(product_id)
    return ids


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", type=int, default=10_000)
    parser.add_argument("--columns", type=int, default=20)
    parser.add_argument("--products", type=int, default=200)
    parser.add_argument("--wrk-seconds", type=int, default=5)
    parser.add_argument(
        "--keep",
        type=Path,
        metavar="DIR",
        help="reuse (or leave) the ingested database here, as bench_api.py --keep",
    )
    parser.add_argument(
        "--tags-only",
        action="store_true",
        help="only the tag rows (no products, no SLO rows, no second server)",
    )
    args = parser.parse_args()
    rng = random.Random(3)
    have_wrk = shutil.which("wrk") is not None  # without it, the single-client rows only
    if not have_wrk:
        print("wrk is not installed (apt-get install wrk): single-client rows only")
    run = os.urandom(3).hex()  # product and tag names of this run: a kept database has earlier ones
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
        url = prepare_database(
            os.environ.get("DAB_BENCH_DATABASE_URL"), args.keep or workdir, keep=bool(args.keep)
        )
        engine = make_url(url).get_backend_name()
        results: dict[str, tuple[float, float]] = {}
        with server(url, workdir, cache=True) as base:
            if _capsule_total(base) == 0:
                seconds = ingest(base, args.models, args.columns)
                print(f"{engine}: ingested {args.models} models x {args.columns} columns in {seconds:.1f}s")
            with httpx.Client(base_url=base, headers={"X-API-Key": KEY}, timeout=60) as client:
                urns = _urns(client)
                products = [] if args.tags_only else make_products(client, urns, args.products, rng, run)
                slo_paths = [f"/api/v1/products/{p}/slo-status" for p in products]
                if slo_paths:
                    results["slo, single client, uncached"] = _percentiles(timed(client, "GET", slo_paths))
                    results["slo, single client, cached"] = _percentiles(timed(client, "GET", slo_paths))
                tags = [
                    client.post("/api/v1/tags", json={"name": f"t{run}-{n}"}).json()["id"] for n in range(50)
                ]
                single = [f"/api/v1/tags/capsules/{quote(u, safe='')}/{tags[0]}" for u in urns[:200]]
                results["tag apply, single client"] = _percentiles(
                    timed(client, "POST", single, json={"added_by": "bench"})
                )
                timed(client, "GET", slo_paths)  # the tag writes above retired the cached answers
            rps = {}
            if slo_paths and have_wrk:
                rps["slo, cached"] = wrk(base, "GET", slo_paths, args.wrk_seconds, workdir, "slo")
            if have_wrk:
                pairs = [f"/api/v1/tags/capsules/{quote(u, safe='')}/{t}" for t in tags[1:] for u in urns]
                rng.shuffle(pairs)
                rps["tag apply (new links)"] = wrk(base, "POST", pairs, args.wrk_seconds, workdir, "tag")
                # Removal of the links just made, each once while they last (half the time: fewer
                # links exist than a full run would remove; "non-2xx" says when they ran out).
                made = _links_of(base, tags[1:])
                rng.shuffle(made)
                rps["tag remove (existing links)"] = wrk(
                    base, "DELETE", made, max(args.wrk_seconds // 2, 1), workdir, "untag"
                )
        if slo_paths and have_wrk:
            with server(url, workdir, cache=False) as base:
                rps["slo, cache disabled"] = wrk(
                    base, "GET", slo_paths, args.wrk_seconds, workdir, "slo_nocache"
                )
    print(f"\n## {engine}: single client (ms)\n| request | p50 | p95 |\n|---|---|---|")
    for name, (p50, p95) in results.items():
        print(f"| {name} | {p50:.2f} | {p95:.2f} |")
    print(f"\n## {engine}: wrk, 16 connections, {args.wrk_seconds}s, load {os.getloadavg()[0]:.2f}")
    print("| request | req/s | p95 ms | server CPU ms/req | target |\n|---|---|---|---|---|")
    for name, (value, p95, cpu) in rps.items():
        p95_target, rps_target = TARGETS["slo" if name.startswith("slo") else "tag"]
        print(f"| {name} | {value:.0f} | {p95:.1f} | {cpu:.3f} | < {p95_target:.0f} ms, {rps_target} req/s |")


if __name__ == "__main__":
    main()
