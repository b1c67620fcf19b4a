"""Conformance rules (built-in, custom via the API, rule files, config) and the report formats."""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from dab.api.main import create_app
from dab.rules import builtin_rules
from dab.settings import Settings

sys.path.insert(0, str(Path(__file__).parent))  # the helper module, under --import-mode=importlib
from conformance_helpers import API, CUSTOM, ORDERS, artifacts, evaluate, ingest, violations

RULE_FILE = """
rule_set: team
rules:
  - id: gold-has-tests
    severity: warning
    when: {capsule_types: [model], layers: [gold]}
    expression: capsule.test_count > 100
    remediation: Add tests.
"""


@pytest.fixture
def jaffle(client: TestClient) -> TestClient:
    ingest(client)
    return client


def _rules(client: TestClient) -> dict[str, dict[str, Any]]:
    body = client.get(f"{API}/conformance/rules").json()
    assert body["total"] == len(body["data"])
    return {r["rule_id"]: r for r in body["data"]}


class TestCustomRules:
    def test_list_has_every_builtin_with_its_fields(self, client: TestClient) -> None:
        rules = _rules(client)
        assert set(rules) == {r.rule_id for r in builtin_rules()}
        one = rules["gold-model-has-owner"]
        assert one["origin"] == "builtin"
        assert one["enabled"] is True
        assert {"severity", "category", "rule_set", "description", "remediation"} <= set(one)

    def test_create_evaluate_and_delete(self, jaffle: TestClient) -> None:
        created = jaffle.post(f"{API}/conformance/rules", json=CUSTOM)
        assert created.status_code == 201, created.text
        assert created.json()["rule_set"] == "custom"
        assert _rules(jaffle)["model-name-short"]["origin"] == "api"
        body = evaluate(jaffle)
        assert "custom" in body["by_rule_set"]
        assert violations(jaffle, rule="model-name-short")["total"] == 4  # stg_* and customers
        assert jaffle.delete(f"{API}/conformance/rules/model-name-short").status_code == 204
        assert "model-name-short" not in _rules(jaffle)
        assert jaffle.delete(f"{API}/conformance/rules/model-name-short").status_code == 404
        evaluate(jaffle)
        assert violations(jaffle, rule="model-name-short", status="open")["total"] == 0

    def test_duplicate_ids_are_409(self, client: TestClient) -> None:
        assert client.post(f"{API}/conformance/rules", json=CUSTOM).status_code == 201
        assert client.post(f"{API}/conformance/rules", json=CUSTOM).status_code == 409
        builtin = {**CUSTOM, "id": "gold-model-has-owner"}
        response = client.post(f"{API}/conformance/rules", json=builtin)
        assert response.status_code == 409
        assert "gold-model-has-owner" in response.json()["detail"]

    @pytest.mark.parametrize(
        ("change", "field"),
        [
            ({"severity": "fatal"}, "severity"),
            ({"expression": "capsule.name ==="}, "expression"),
            ({"when": {"layers": ["platinum"]}}, "when.layers"),
            ({"remediation": None}, "remediation"),
            ({"id": "Not Kebab"}, "id"),
            ({"colour": "red"}, "colour"),
        ],
    )
    def test_invalid_rules_are_422_naming_rule_and_field(
        self, client: TestClient, change: dict[str, Any], field: str
    ) -> None:
        response = client.post(f"{API}/conformance/rules", json={**CUSTOM, **change})
        assert response.status_code == 422, response.text
        detail = response.json()["detail"]
        assert field in detail
        assert "model-name-short" in detail or field == "id"

    def test_builtin_cannot_be_deleted(self, client: TestClient) -> None:
        response = client.delete(f"{API}/conformance/rules/gold-model-has-owner")
        assert response.status_code == 422
        assert "config" in response.json()["detail"]
        assert client.delete(f"{API}/conformance/rules/no-such-rule").status_code == 404


@pytest.fixture
def configured(settings: Settings, tmp_path: Path) -> Iterator[tuple[TestClient, Path]]:
    rules_dir = tmp_path / "rules"
    rules_dir.mkdir()
    (rules_dir / "team.yaml").write_text(RULE_FILE)
    config = tmp_path / "rules-config.yaml"
    config.write_text("disabled: [gold-model-naming]\nrules:\n  source-freshness: {severity: error}\n")
    custom = settings.model_copy(update={"dab_rules_dir": rules_dir, "dab_rules_config_file": config})
    with TestClient(create_app(custom), headers={"X-API-Key": "test-key-0123456789"}) as client:
        yield client, rules_dir


class TestRuleFilesAndConfig:
    def test_files_and_overrides_apply(self, configured: tuple[TestClient, Path]) -> None:
        client, _ = configured
        ingest(client)
        rules = _rules(client)
        assert rules["gold-has-tests"]["origin"] == "file"
        assert rules["gold-model-naming"]["enabled"] is False
        assert rules["source-freshness"]["severity"] == "error"
        body = evaluate(client)
        assert "gold-model-naming" not in {r["rule_id"] for r in body["rules"]}
        assert violations(client, rule="gold-has-tests")["total"] == 2
        assert violations(client, rule="source-freshness")["data"][0]["severity"] == "error"

    def test_a_bad_rule_file_names_file_rule_and_field_and_changes_nothing(
        self, configured: tuple[TestClient, Path]
    ) -> None:
        client, rules_dir = configured
        ingest(client)
        evaluate(client)
        before = violations(client)
        (rules_dir / "broken.yaml").write_text(RULE_FILE.replace("team", "broken").replace("warning", "loud"))
        response = client.post(f"{API}/conformance/evaluate", json={"scope": "full"})
        assert response.status_code == 422
        detail = response.json()["detail"]
        assert "broken.yaml" in detail
        assert "gold-has-tests" in detail
        assert "severity" in detail
        assert violations(client) == before


class TestReports:
    def test_html_escapes_every_value(self, client: TestClient) -> None:
        docs = artifacts()
        docs["manifest"]["nodes"]["model.jaffle_shop.orders"]["description"] = "<script>alert(1)</script>"
        ingest(client, docs)
        evaluate(client)
        response = client.get(f"{API}/reports/conformance", params={"format": "html"})
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        page = response.text
        assert page.startswith("<!DOCTYPE html>")
        assert "<script>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
        assert "Top offending capsules" in page
        assert "Hash, mask or drop the column" in page  # every violation with its remediation

    def test_json_and_csv_carry_the_same_violations(self, jaffle: TestClient) -> None:
        evaluate(jaffle)
        as_json = jaffle.get(f"{API}/reports/conformance", params={"format": "json"}).json()
        as_csv = jaffle.get(f"{API}/reports/conformance", params={"format": "csv"})
        assert as_csv.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(as_csv.text)))
        assert len(rows) == len(as_json["violations"]) == violations(jaffle)["total"]
        assert {r["fingerprint"] for r in rows} == {v["fingerprint"] for v in as_json["violations"]}
        assert all(r["remediation"] for r in rows)
        assert as_json["top_capsules"][0]["capsule_urn"] in {ORDERS, ORDERS.replace("orders", "customers")}
        assert as_json["run_id"] is not None

    def test_without_a_stored_run_the_report_evaluates_now(self, jaffle: TestClient) -> None:
        body = jaffle.get(f"{API}/reports/conformance", params={"format": "json"}).json()
        assert body["run_id"] is None
        assert len(body["violations"]) > 0
        assert jaffle.get(f"{API}/conformance/score").status_code == 404

    def test_unknown_format_is_422(self, client: TestClient) -> None:
        assert client.get(f"{API}/reports/conformance", params={"format": "pdf"}).status_code == 422
