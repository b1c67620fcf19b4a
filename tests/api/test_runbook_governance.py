"""The runbook's "Managing Data Products" and "Managing Tags" curl lines, in order, run by curl
against a live `dab serve` (the sections are copied verbatim into tests/fixtures/runbook/)."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from tests.api.governance_helpers import CUSTOMERS, ORDERS, STATUS_COLUMN, enc
from tests.api.ingest_helpers import artifacts
from tests.cli.test_serve_restart import KEY, _server
from tests.live_server import free_port
from tests.tools import require_executable

RUNBOOK = Path(__file__).resolve().parents[1] / "fixtures" / "runbook" / "products_and_tags.md"
REDIS_URL = os.environ.get("DAB_TEST_REDIS_URL")
# What each curl line answers, in the runbook's order.
EXPECTED = [200, 201, 201, 200, 204, 201, 201, 201, 200, 204]


def runbook_commands(text: str) -> list[tuple[str, str]]:
    """(comment, command) for every curl line of the fenced bash blocks, in order."""
    commands: list[tuple[str, str]] = []
    for block in re.findall(r"```bash\n(.*?)```", text, flags=re.DOTALL):
        for chunk in block.strip().split("\n\n"):
            lines = chunk.splitlines()
            comment = " ".join(line for line in lines if line.startswith("#"))
            command = "\n".join(line for line in lines if not line.startswith("#"))
            commands.append((comment, command))
    return commands


@pytest.fixture
def live(clean_database: str, tmp_path: Path) -> Iterator[str]:
    """`dab serve` on the test database (and the test Redis, when there is one)."""
    port = free_port()
    env = {"DATABASE_URL": clean_database} | ({"REDIS_URL": REDIS_URL} if REDIS_URL else {})
    with _server(tmp_path, port, env):
        yield f"http://127.0.0.1:{port}"


def _curl(command: str) -> tuple[int, Any]:
    done = subprocess.run(
        ["bash", "-c", f"{command} -sS -w '\\n%{{http_code}}'"], capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0, done.stderr
    body, _, status = done.stdout.rpartition("\n")
    return int(status), orjson.loads(body) if body.strip() else None


def test_every_runbook_curl_line_works_in_order(live: str) -> None:
    require_executable("curl", "apt-get install curl (scripts/ci/install-curl.sh)")
    headers = {"X-API-Key": KEY}
    ingested = httpx.post(
        f"{live}/api/v1/ingest/dbt?wait=true", json=artifacts(), headers=headers, timeout=60
    )
    assert ingested.status_code == 201, ingested.text
    domain_id = httpx.get(f"{live}/api/v1/domains/customer", headers=headers).json()["id"]
    customers_id = httpx.get(f"{live}/api/v1/capsules/{CUSTOMERS}", headers=headers).json()["id"]
    values = {"your-api-key": KEY, "http://localhost:8000": live, "uuid-of-domain": domain_id}
    commands = runbook_commands(RUNBOOK.read_text())
    assert len(commands) == len(EXPECTED)

    answers: list[Any] = []
    for (comment, command), expected in zip(commands, EXPECTED, strict=True):
        products_section = len(answers) < 5
        values["{capsule_id}"] = enc(ORDERS) if products_section else str(customers_id)
        values["{column_id}"] = enc(STATUS_COLUMN)
        for placeholder, value in values.items():
            command = command.replace(placeholder, value)
        assert "{" not in command.split("-d")[0], f"unfilled placeholder in {command}"
        status, body = _curl(command)
        assert status == expected, f"{comment}: {status} {body}"
        answers.append(body)
        if comment.startswith("# Create a new data product"):
            values["{product_id}"] = body["id"]
        elif comment.startswith("# Create a new tag"):
            values["{tag_id}"] = body["id"]

    listed, product, member, slo = answers[:4]
    assert listed == {"data": [], "total": 0, "limit": 50, "offset": 0}
    assert (product["domain_id"], product["slo_availability_percent"]) == (domain_id, 99.9)
    assert (member["capsule_urn"], member["role"]) == (ORDERS, "output")
    assert set(slo) >= {"freshness_met", "availability_met", "quality_met", "overall_status"}
    assert slo["quality"]["evidence"]["tests_total"] == 7  # orders' tests, one failing
    assert slo["quality_met"] is False
    tagged = answers[8]
    assert [c["urn"] for c in tagged["data"]] == [CUSTOMERS]

    # URNs with a %-escape (the product "Customer 360") work percent-encoded as the runbook says
    status, by_urn = _curl(f'curl -H "X-API-Key: {KEY}" "{live}/api/v1/products/{enc(product["urn"])}"')
    assert (status, by_urn["id"]) == (200, product["id"])
    column_tags = httpx.get(f"{live}/api/v1/tags/{values['{tag_id}']}/columns", headers=headers).json()
    assert column_tags["total"] == 0
