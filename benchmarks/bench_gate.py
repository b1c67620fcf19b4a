"""Benchmark: the pull-request gate on two manifests of a synthetic project, end to end.

Usage: python benchmarks/bench_gate.py [--models 10000] [--repeat 3] [--sql-cache]

Generates the base manifest with ``generate_dbt_project.generate_manifest`` and a head that
changes the SQL of 1% of the models and adds 20 models, writes both to a temporary folder, then
times ``dab conformance check --manifest head --baseline base --format json`` as a subprocess
(process start, parsing both manifests, two evaluations with every built-in rule, the diff and
the downstream impact, the JSON output) and reports the median. ``--sql-cache`` passes a
folder for parsed-SQL facts, as a CI job keeping it between runs would: the first run fills it.
"""

from __future__ import annotations

import argparse
import copy
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).parent))
from generate_dbt_project import generate_manifest


def _children_cpu() -> float:
    """User + system CPU seconds of finished child processes: the figure a loaded machine keeps."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _head(base: dict[str, Any], models: list[str]) -> dict[str, Any]:
    head = copy.deepcopy(base)
    nodes = head["nodes"]
    for uid in models[:: max(1, len(models) // (len(models) // 100 or 1))][: len(models) // 100]:
        nodes[uid]["compiled_code"] = (nodes[uid].get("compiled_code") or "") + "\n-- changed"
    for i in range(20):
        template = copy.deepcopy(nodes[models[i]])
        uid = f"{template['unique_id']}_new{i}"
        template.update(unique_id=uid, name=f"{template['name']}_new{i}", alias=f"{template['name']}_new{i}")
        template["compiled_code"] = f"select * from analytics.raw.new_{i}"
        nodes[uid] = template
    return head


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--models", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sql-cache", action="store_true", help="keep SQL facts between runs")
    args = parser.parse_args()
    base, _, _ = generate_manifest(args.models)
    models = sorted(u for u, n in base["nodes"].items() if n.get("resource_type") == "model")
    head = _head(base, models)
    with tempfile.TemporaryDirectory() as tmp:
        base_path, head_path = Path(tmp, "base.json"), Path(tmp, "head.json")
        base_path.write_bytes(orjson.dumps(base))
        head_path.write_bytes(orjson.dumps(head))
        command = [
            sys.executable, "-m", "dab", "conformance", "check", "--manifest", str(head_path),
            "--baseline", str(base_path), "--format", "json", "--fail-on", "critical",
        ]  # fmt: skip
        if args.sql_cache:
            command += ["--sql-cache", str(Path(tmp, "sql-cache"))]
        times: list[float] = []
        cpu: list[float] = []
        body: dict[str, Any] = {}
        for _ in range(args.repeat):
            start, used = time.perf_counter(), _children_cpu()
            out = subprocess.run(command, capture_output=True, check=False)
            times.append(time.perf_counter() - start)
            cpu.append(_children_cpu() - used)
            if out.returncode not in (0, 1):
                raise SystemExit(out.stderr.decode())
            body = json.loads(out.stdout)
    gate = body["gate"]
    print(
        f"{args.models} models ({base_path.name} {len(base['nodes'])} nodes): gate end to end "
        f"median {statistics.median(times):.2f}s (runs {', '.join(f'{t:.2f}' for t in times)}), "
        f"CPU median {statistics.median(cpu):.2f}s (runs {', '.join(f'{t:.2f}' for t in cpu)}), "
        f"load {' '.join(Path('/proc/loadavg').read_text().split()[:3])}; "
        f"{len(body['rules'] if isinstance(body.get('rules'), list) else [])} rules listed; "
        f"introduced {len(gate['introduced'])}, fixed {len(gate['fixed'])}, unchanged {gate['unchanged']}, "
        f"changed {len(gate['changed']['added']) + len(gate['changed']['modified'])}, "
        f"downstream models {len(gate['impact']['models'])}, exposures {len(gate['impact']['exposures'])}"
    )


if __name__ == "__main__":
    main()
