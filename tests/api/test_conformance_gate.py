"""`POST /api/v1/conformance/check`: the PR gate over HTTP, with two manifests, nothing stored."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import create_async_engine
from tests.api.gate_helpers import EXPOSURE_URN, PREFIX, base_manifest, head_manifest, write
from tests.cli.test_serve_restart import KEY, _server
from tests.live_server import free_port
from tests.tools import require_executable

from dab.storage.records import CapsuleDataProductRecord, DataProductRecord

API = "/api/v1"


def _check(client: TestClient, body: dict[str, Any], **params: str) -> Any:
    return client.post(f"{API}/conformance/check", json=body, params=params)


async def _add_product(url: str, name: str, members: list[str]) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                insert(DataProductRecord).values(id=f"p-{name}", urn=f"urn:dab:product:{name}", name=name)
            )
            for urn in members:
                await conn.execute(
                    insert(CapsuleDataProductRecord).values(product_id=f"p-{name}", capsule_urn=urn)
                )
    finally:
        await engine.dispose()


class TestGateOverHttp:
    def test_json_body_reports_introduced_fixed_and_impact(self, client: TestClient) -> None:
        response = _check(
            client, {"manifest": head_manifest(), "baseline": base_manifest()}, fail_on="warning"
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["passed"] is False and body["failing"] > 0
        introduced = {(v["rule_id"], v["subject_urn"]) for v in body["gate"]["introduced"]}
        assert ("no-select-star", f"{PREFIX}stg_refunds") in introduced
        assert [v["rule_id"] for v in body["gate"]["fixed"]] == ["source-freshness"]
        assert body["gate"]["impact"]["exposures"] == [EXPOSURE_URN]
        assert body["gate"]["impact"]["products"] == {}

    def test_default_threshold_passes_when_the_change_adds_no_errors(self, client: TestClient) -> None:
        body = _check(client, {"manifest": head_manifest(), "baseline": base_manifest()}).json()
        assert (body["fail_on"], body["failing"], body["passed"]) == ("error", 0, True)

    def test_without_baseline_every_violation_counts(self, client: TestClient) -> None:
        body = _check(client, {"manifest": base_manifest()}).json()
        assert "gate" not in body
        assert body["failing"] > 0

    def test_products_reached_by_the_change_are_listed(self, client: TestClient, clean_database: str) -> None:
        docs = {"manifest": base_manifest()}
        assert client.post(f"{API}/ingest/dbt?wait=true", json=docs).status_code == 201
        asyncio.run(_add_product(clean_database, "revenue", [f"{PREFIX}orders", f"{PREFIX}stg_payments"]))
        asyncio.run(_add_product(clean_database, "untouched", [f"{PREFIX}stg_payments"]))
        body = _check(client, {"manifest": head_manifest(), "baseline": base_manifest()}).json()
        assert body["gate"]["impact"]["products"] == {"revenue": [f"{PREFIX}orders"]}

    def test_markdown_sarif_and_junit(self, client: TestClient) -> None:
        body = {"manifest": head_manifest(), "baseline": base_manifest()}
        markdown = _check(client, body, format="markdown")
        assert markdown.headers["content-type"].startswith("text/markdown")
        assert "### Introduced (" in markdown.text
        sarif = _check(client, body, format="sarif")
        assert sarif.headers["content-type"] == "application/sarif+json"
        assert {r["baselineState"] for r in sarif.json()["runs"][0]["results"]} == {"new"}
        junit = _check(client, body, format="junit")
        assert junit.text.startswith("<?xml")

    def test_multipart_upload_with_dbt_project_vars(self, client: TestClient) -> None:
        files = {
            "manifest": ("manifest.json", orjson.dumps(head_manifest())),
            "baseline": ("manifest.json", orjson.dumps(base_manifest())),
            "dbt_project": ("dbt_project.yml", b"vars:\n  test_coverage_target: 10\n"),
        }
        response = client.post(f"{API}/conformance/check", files=files)
        assert response.status_code == 200, response.text
        assert "test-coverage-target" not in {v["rule_id"] for v in response.json()["gate"]["introduced"]}


class TestBadInput:
    @pytest.mark.parametrize(
        ("body", "status", "where"),
        [
            ({"baseline": {}}, 422, "manifest"),
            ({"manifest": "target/manifest.json"}, 422, "$.manifest"),
            ({"manifest": {}, "base": {}}, 422, "base"),
            ({"manifest": {"metadata": {}}, "dbt_project": 3}, 422, "dbt_project"),
        ],
    )
    def test_bad_bodies_are_problems_naming_the_field(
        self, client: TestClient, body: dict[str, Any], status: int, where: str
    ) -> None:
        response = _check(client, body)
        assert response.status_code == status, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert where in response.text

    def test_a_bad_baseline_names_the_baseline(self, client: TestClient) -> None:
        response = _check(client, {"manifest": base_manifest(), "baseline": {"nodes": {}}})
        assert 400 <= response.status_code < 500, response.text
        assert "baseline manifest.json" in response.json()["detail"]

    def test_a_bad_var_is_a_problem(self, client: TestClient) -> None:
        body = {"manifest": base_manifest(), "dbt_project": "vars:\n  models_fanout_threshold: lots\n"}
        response = _check(client, body)
        assert 400 <= response.status_code < 500, response.text
        assert "vars.models_fanout_threshold" in response.json()["detail"]

    def test_not_json_is_a_problem(self, client: TestClient) -> None:
        response = client.post(
            f"{API}/conformance/check", content=b"{nope", headers={"content-type": "application/json"}
        )
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"


def test_runbook_curl_line_against_a_live_server(tmp_path: Path) -> None:
    """The runbook's curl line, multipart files, against `dab serve`."""
    curl = require_executable("curl", "scripts/ci/install-curl.sh")
    head, base = write(tmp_path)
    port = free_port()
    with _server(tmp_path, port):
        out = subprocess.run(
            [
                curl, "-sS", "-f", "-X", "POST",
                f"http://127.0.0.1:{port}/api/v1/conformance/check?format=markdown&fail_on=warning",
                "-H", f"X-API-Key: {KEY}", "-F", f"manifest=@{head}", "-F", f"baseline=@{base}",
            ],
            capture_output=True, check=True, timeout=120,
        )  # fmt: skip
    comment = out.stdout.decode()
    assert comment.startswith("## dab conformance")
    assert "`stg_refunds`" in comment and "❌ fails" in comment
