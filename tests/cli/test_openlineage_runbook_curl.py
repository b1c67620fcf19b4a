"""docs/RUNBOOK.md's OpenLineage lines, run as written: curl posting an event with the API key as
a bearer token, then `dab ingest --source openlineage` with a JSON Lines file, against `dab serve`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

from tests.api.openlineage_helpers import loader_events
from tests.cli.test_serve_restart import KEY, _server
from tests.live_server import free_port
from tests.tools import require_executable

JOB = "urn:dab:openlineage:job:airbyte:load_customers"


def _curl(curl: str, *args: str) -> str:
    done = subprocess.run([curl, "-sS", "--fail-with-body", *args], capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert done.returncode == 0, (args, done.stdout, done.stderr)
    return done.stdout


def test_runbook_openlineage_lines(tmp_path: Path) -> None:
    curl = require_executable("curl", "apt-get install curl (scripts/ci/install-curl.sh)")
    start, complete = loader_events(str(uuid.uuid4()))
    (tmp_path / "run_event.json").write_text(json.dumps(start))
    (tmp_path / "events.jsonl").write_text(json.dumps(complete) + "\n")
    port = free_port()
    base = f"http://127.0.0.1:{port}/api/v1"
    with _server(tmp_path, port):
        _curl(curl, "-X", "POST", f"{base}/lineage", "-H", f"Authorization: Bearer {KEY}",
              "-H", "Content-Type: application/json", "-d", f"@{tmp_path / 'run_event.json'}")  # fmt: skip
        env = {**os.environ, "DAB_HOME": str(tmp_path)}
        ingested = subprocess.run(
            [sys.executable, "-m", "dab", "ingest", "--source", "openlineage", str(tmp_path / "events.jsonl"),
             "--api-url", f"http://127.0.0.1:{port}", "--api-key", KEY],
            capture_output=True, text=True, timeout=120, env=env, check=False,
        )  # fmt: skip
        assert ingested.returncode == 0, ingested.stderr
        jobs = json.loads(_curl(curl, "-H", f"X-API-Key: {KEY}", f"{base}/capsules?capsule_type=job"))
        assert [c["urn"] for c in jobs["data"]] == [JOB]
        before = json.loads(_curl(curl, "-H", f"X-API-Key: {KEY}", f"{base}/capsules"))["total"]
        bad = subprocess.run([curl, "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", f"{base}/lineage",
                              "-H", f"Authorization: Bearer {KEY}", "-H", "Content-Type: application/json",
                              "-d", '{"eventType": "START"}'], capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
        assert bad.stdout == "422"
        assert (
            json.loads(_curl(curl, "-H", f"X-API-Key: {KEY}", f"{base}/capsules"))["total"] == before
        )  # unchanged
