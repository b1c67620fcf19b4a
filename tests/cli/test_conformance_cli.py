"""`dab conformance ...`: check on dbt files (no database), and evaluate/score/violations on one."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from dab.cli import app
from dab.ingest.dbt import parse_dbt
from dab.rules import builtin_rules, evaluate
from dab.settings import get_settings

V12 = Path(__file__).parents[1] / "fixtures" / "dbt" / "v12"
MANIFEST = str(V12 / "manifest.json")
CATALOG = str(V12 / "catalog.json")
runner = CliRunner()
CUSTOM_RULES = """
rule_set: team
rules:
  - id: model-name-short
    severity: critical
    category: naming
    when: {capsule_types: [model]}
    expression: size(capsule.name) <= 8
    remediation: Use a shorter name.
"""


def _expected() -> list[str]:
    manifest = orjson.loads((V12 / "manifest.json").read_bytes())
    catalog = orjson.loads((V12 / "catalog.json").read_bytes())
    result = evaluate(parse_dbt(manifest, catalog), builtin_rules())
    return [v.severity.value for v in result.violations]


def _check(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["conformance", "check", "--manifest", MANIFEST, "--catalog", CATALOG, *args])
    return result.exit_code, result.stdout


class TestCheck:
    @pytest.mark.parametrize("fail_on", ["critical", "error", "warning", "info"])
    def test_exit_code_follows_the_threshold(self, fail_on: str) -> None:
        order = ["critical", "error", "warning", "info"]
        expected = any(order.index(s) <= order.index(fail_on) for s in _expected())
        code, out = _check("--fail-on", fail_on)
        assert code == (1 if expected else 0), out
        assert "score" in out

    def test_config_can_make_it_pass(self, tmp_path: Path) -> None:
        config = tmp_path / "config.yaml"
        config.write_text("disabled: [pii-in-gold-unmasked]\n")
        assert _check("--fail-on", "critical", "--config", str(config))[0] == 0

    def test_json_parses_back(self) -> None:
        code, out = _check("--format", "json", "--fail-on", "error")
        body = json.loads(out)
        assert code == 1
        assert body["violations"]["total"] == len(_expected())
        assert 0 <= body["score"] <= 1

    def test_sarif_is_a_2_1_0_log_with_locations(self) -> None:
        _, out = _check("--format", "sarif")
        log = json.loads(out)
        assert log["version"] == "2.1.0"
        run = log["runs"][0]
        rule_ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
        assert len(run["results"]) == len(_expected())
        for result in run["results"]:
            assert rule_ids[result["ruleIndex"]] == result["ruleId"]
            assert result["level"] in {"error", "warning", "note"}
            assert result["message"]["text"]
        uris = {
            loc["physicalLocation"]["artifactLocation"]["uri"]
            for result in run["results"]
            for loc in result["locations"]
            if "physicalLocation" in loc
        }
        assert "models/marts/orders.sql" in uris

    def test_junit_has_one_testcase_per_rule(self) -> None:
        _, out = _check("--format", "junit")
        root = ET.fromstring(out)
        cases = root.findall("./testsuite/testcase")
        assert {c.get("name") for c in cases} == {r.rule_id for r in builtin_rules()}
        failed = [c.get("name") for c in cases if c.find("failure") is not None]
        assert "pii-in-gold-unmasked" in failed
        assert root.get("failures") == str(len(failed))

    def test_a_rules_file_adds_a_custom_cel_rule(self, tmp_path: Path) -> None:
        rules = tmp_path / "team.yaml"
        rules.write_text(CUSTOM_RULES)
        config = tmp_path / "config.yaml"
        config.write_text("disabled: [pii-in-gold-unmasked]\n")
        code, out = _check(
            "--rules", str(rules), "--config", str(config), "--fail-on", "critical", "--format", "json"
        )
        body = json.loads(out)
        assert code == 1
        found = [v for v in body["violations"]["data"] if v["rule_id"] == "model-name-short"]
        assert len(found) == 4

    def test_a_bad_rules_file_is_reported_with_file_rule_and_field(self, tmp_path: Path) -> None:
        rules = tmp_path / "bad.yaml"
        rules.write_text(CUSTOM_RULES.replace("critical", "fatal"))
        result = runner.invoke(app, ["conformance", "check", "--manifest", MANIFEST, "--rules", str(rules)])
        assert result.exit_code == 2
        message = result.stderr.replace("\n", "")  # rich wraps at the terminal width
        assert "bad.yaml" in message
        assert "model-name-short" in message
        assert "severity" in message

    def test_missing_manifest_is_an_input_error(self, tmp_path: Path) -> None:
        result = runner.invoke(app, ["conformance", "check", "--manifest", str(tmp_path / "nope.json")])
        assert result.exit_code == 2


@pytest.fixture
def stored(client: TestClient, clean_database: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    body = {k: orjson.loads((V12 / f"{k}.json").read_bytes()) for k in ("manifest", "catalog", "run_results")}
    assert client.post("/api/v1/ingest/dbt?wait=true", json=body).status_code == 201
    monkeypatch.setenv("DATABASE_URL", clean_database)
    monkeypatch.setenv("ENVIRONMENT", "test")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


class TestOnTheDatabase:
    def test_evaluate_score_and_violations(self, stored: None) -> None:
        assert runner.invoke(app, ["conformance", "score"]).exit_code == 4  # never evaluated
        result = runner.invoke(app, ["conformance", "evaluate", "--format", "json"])
        assert result.exit_code == 0, result.output
        body = json.loads(result.stdout)
        assert body["persisted"] is True
        score = json.loads(runner.invoke(app, ["conformance", "score", "--format", "json"]).stdout)
        assert score["score"] == pytest.approx(body["score"])
        listed = runner.invoke(
            app, ["conformance", "violations", "--severity", "critical", "--format", "json"]
        )
        assert json.loads(listed.stdout)["total"] == 3  # unmasked PII in gold: email, first/last name
        as_csv = runner.invoke(app, ["conformance", "violations", "--format", "csv"])
        assert as_csv.stdout.splitlines()[0].startswith("violation_id,")
        assert len(as_csv.stdout.splitlines()) == body["violations"]["total"] + 1
        table = runner.invoke(app, ["conformance", "evaluate", "--scope", "layer", "--layer", "gold"])
        assert table.exit_code == 0
        assert "score" in table.stdout

    def test_scope_needs_its_companion_option(self, stored: None) -> None:
        result = runner.invoke(app, ["conformance", "evaluate", "--scope", "layer"])
        assert result.exit_code == 2
        assert "--layer" in result.stderr
