"""The runbook's Compliance (PII) curl lines, run with curl against a live `dab serve`."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.api.test_compliance_pii import _contacts_project
from tests.cli.test_serve_restart import KEY, _server
from tests.live_server import free_port
from tests.tools import require_executable

COL = "urn:dab:dbt:column:jaffle_shop:"


def _curl(curl: str, *args: str) -> str:
    done = subprocess.run([curl, "-sS", "--fail-with-body", "-H", f"X-API-Key: {KEY}", *args],
                          capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert done.returncode == 0, (args, done.stdout, done.stderr)
    return done.stdout


def test_runbook_compliance_lines(tmp_path: Path) -> None:
    curl = require_executable("curl", "apt-get install curl (scripts/ci/install-curl.sh)")
    for kind, doc in _contacts_project().items():
        (tmp_path / f"{kind}.json").write_text(json.dumps(doc))
    port = free_port()
    base = f"http://127.0.0.1:{port}/api/v1"
    with _server(tmp_path, port):
        files = [
            f"-F{k}=@{tmp_path / f'{k}.json'}" for k in ("manifest", "catalog", "run_results", "sources")
        ]
        job = json.loads(_curl(curl, "-X", "POST", f"{base}/ingest/dbt?wait=true", *files))
        assert job["status"] == "completed"

        inventory = json.loads(
            _curl(curl, f"{base}/compliance/pii-inventory?pii_type=email&layer=gold&masked=false")
        )
        assert {i["urn"] for i in inventory["data"]} == {f"{COL}customers.email"}
        groups = json.loads(_curl(curl, f"{base}/compliance/pii-inventory?group_by=pii_type"))["groups"]
        assert {g["pii_type"] for g in groups} >= {"email", "phone", "name"}
        exposure = json.loads(_curl(curl, f"{base}/compliance/pii-exposure"))
        assert f"{COL}customer_contacts.phone_number" in {i["urn"] for i in exposure["data"]}
        trace = json.loads(_curl(curl, f"{base}/compliance/pii-trace/{COL}stg_customers.email"))
        assert trace["masking_points"]
        lineage = json.loads(
            _curl(curl, f"{base}/columns/{COL}orders.order_id/lineage?direction=upstream&depth=3")
        )
        assert any(e["kind"] == "identity" for e in lineage["edges"])
        put = _curl(curl, "-X", "PUT", "-H", "Content-Type: application/json",
                    f"{base}/columns/{COL}customers.email/classification",
                    "-d", '{"pii_type": "email", "masked": true, "reason": "masked by a warehouse policy"}')  # fmt: skip
        assert json.loads(put)["masked"] is True
        exposure = json.loads(_curl(curl, f"{base}/compliance/pii-exposure"))
        assert f"{COL}customers.email" not in {i["urn"] for i in exposure["data"]}
        report = _curl(curl, f"{base}/reports/pii-inventory?format=csv")
        assert report.splitlines()[0].startswith("urn,capsule_urn,layer,domain")
