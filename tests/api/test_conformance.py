"""Conformance API on the jaffle_shop demo: evaluation scopes, persistence and lifecycle."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from dab.rules import Scope, builtin_rules
from dab.rules import evaluate as engine_evaluate

sys.path.insert(0, str(Path(__file__).parent))  # the helper module, under --import-mode=importlib
from conformance_helpers import (
    API,
    CUSTOMERS,
    ORDERS,
    artifacts,
    evaluate,
    find,
    ingest,
    parsed_graph,
    violations,
)


@pytest.fixture
def jaffle(client: TestClient) -> TestClient:
    ingest(client)
    return client


class TestEvaluate:
    def test_full_matches_the_engine_on_the_parsed_artifacts(self, jaffle: TestClient) -> None:
        expected = engine_evaluate(parsed_graph(), builtin_rules())
        body = evaluate(jaffle, scope="full", persist_violations=True)
        assert body["score"] == pytest.approx(expected.score)
        assert body["weighted_score"] == pytest.approx(expected.weighted_score)
        assert 0 <= body["score"] <= 1
        assert body["failed"] == expected.failed
        assert body["persisted"] is True
        assert body["violations"]["total"] == len(expected.violations) > 0
        fingerprints = {v["fingerprint"] for v in body["violations"]["data"]}
        assert fingerprints == {v.fingerprint for v in expected.violations}
        assert {r["rule_id"] for r in body["rules"]} == {r.rule_id for r in builtin_rules()}
        assert set(body["by_rule_set"]) >= {"medallion", "governance", "pii"}
        assert set(body["by_severity"]) == {"critical", "error", "warning", "info"}
        assert body["lifecycle"]["opened"] == len(expected.violations)
        stored = violations(jaffle)
        assert stored["total"] == len(expected.violations)

    def test_violations_are_capped_with_a_total(self, jaffle: TestClient) -> None:
        body = evaluate(jaffle, violations_limit=2)
        assert len(body["violations"]["data"]) == 2
        assert body["violations"]["total"] > 2

    @pytest.mark.parametrize(
        ("body", "scope"),
        [
            ({"scope": "layer", "layer": "gold"}, Scope(layers=frozenset({"gold"}))),
            ({"scope": "domain", "domain": "order"}, Scope(domains=frozenset({"order"}))),
            ({"scope": "capsule", "capsule_urn": CUSTOMERS}, Scope(urns=frozenset({CUSTOMERS}))),
            (
                {"scope": "rule_sets", "rule_sets": ["pii", "testing"]},
                Scope(rule_sets=frozenset({"pii", "testing"})),
            ),
        ],
    )
    def test_scoped_evaluations_match_the_engine(
        self, jaffle: TestClient, body: dict[str, Any], scope: Scope
    ) -> None:
        expected = engine_evaluate(parsed_graph(), builtin_rules(), scope=scope)
        answer = evaluate(jaffle, **body)
        assert answer["score"] == pytest.approx(expected.score)
        assert answer["violations"]["total"] == len(expected.violations)
        assert answer["persisted"] is False  # scoped runs are not stored unless asked
        assert answer["scope"]["kind"] == body["scope"]

    def test_layer_scope_only_counts_that_layer(self, jaffle: TestClient) -> None:
        answer = evaluate(jaffle, scope="layer", layer="gold")
        assert set(answer["by_layer"]) == {"gold"}
        assert all(v["layer"] == "gold" for v in answer["violations"]["data"])

    @pytest.mark.parametrize(
        ("body", "where"),
        [
            ({"scope": "everything"}, "scope"),
            ({"scope": "layer"}, "layer"),
            ({"scope": "layer", "layer": "platinum"}, "layer"),
            ({"scope": "domain"}, "domain"),
            ({"scope": "capsule"}, "capsule_urn"),
            ({"scope": "rule_sets"}, "rule_sets"),
            ({"scope": "rule_sets", "rule_sets": []}, "rule_sets"),
            ({"scope": "full", "bogus": 1}, "bogus"),
            ({"scope": "full", "violations_limit": -1}, "violations_limit"),
        ],
    )
    def test_bad_bodies_are_422_problems(self, jaffle: TestClient, body: dict[str, Any], where: str) -> None:
        response = jaffle.post(f"{API}/conformance/evaluate", json=body)
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert where in response.text

    def test_unknown_rule_set_is_422(self, jaffle: TestClient) -> None:
        response = jaffle.post(
            f"{API}/conformance/evaluate", json={"scope": "rule_sets", "rule_sets": ["nope"]}
        )
        assert response.status_code == 422
        assert "nope" in response.json()["detail"]
        assert response.json()["errors"][0]["loc"] == ["body", "rule_sets"]

    def test_unknown_capsule_is_404(self, jaffle: TestClient) -> None:
        response = jaffle.post(
            f"{API}/conformance/evaluate", json={"scope": "capsule", "capsule_urn": "urn:x"}
        )
        assert response.status_code == 404


class TestScoreAndMetric:
    def test_score_is_404_before_any_evaluation(self, client: TestClient) -> None:
        response = client.get(f"{API}/conformance/score")
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"

    def test_score_is_the_latest_full_run_and_the_gauge_follows(self, jaffle: TestClient) -> None:
        full = evaluate(jaffle)
        evaluate(jaffle, scope="layer", layer="gold", persist_violations=True)
        score = jaffle.get(f"{API}/conformance/score").json()
        assert score["run_id"] == full["run_id"]
        assert score["score"] == pytest.approx(full["score"])
        assert set(score["by_rule_set"]) == set(full["by_rule_set"])
        metrics = jaffle.get("/metrics").text
        line = next(li for li in metrics.splitlines() if li.startswith("dab_conformance_score "))
        assert float(line.split()[1]) == pytest.approx(full["score"])


def _patch(client: TestClient, violation_id: str, **body: Any) -> Any:
    return client.patch(f"{API}/conformance/violations/{violation_id}", json=body)


class TestLifecycle:
    def test_acknowledge_waive_fix_resolve_and_reopen(self, jaffle: TestClient) -> None:
        evaluate(jaffle)
        contract = find(jaffle, "gold-model-has-contract", ORDERS)
        naming = find(jaffle, "gold-model-naming", ORDERS)
        pii = find(jaffle, "pii-in-gold-unmasked", f"{CUSTOMERS.replace(':model:', ':column:')}.email")
        acked = _patch(jaffle, naming["violation_id"], status="acknowledged", by="ana")
        assert acked.status_code == 200, acked.text
        assert acked.json()["status_changed_by"] == "ana"
        assert acked.json()["status_changed_at"] is not None
        waived = _patch(jaffle, pii["violation_id"], status="waived", by="bo", reason="masked downstream")
        assert waived.json()["status_reason"] == "masked downstream"

        docs = artifacts()
        docs["manifest"]["nodes"]["model.jaffle_shop.orders"]["contract"] = {"enforced": True}
        ingest(jaffle, docs)
        second = evaluate(jaffle)
        assert second["lifecycle"]["resolved"] == 1
        fixed = find(jaffle, "gold-model-has-contract", ORDERS)
        assert fixed["status"] == "resolved"
        assert fixed["resolved_at"] is not None
        assert find(jaffle, "gold-model-naming", ORDERS)["status"] == "acknowledged"
        kept = find(jaffle, "pii-in-gold-unmasked", pii["subject_urn"])
        assert kept["status"] == "waived"
        assert kept["first_seen_at"] == pii["first_seen_at"]
        assert kept["last_seen_at"] > pii["last_seen_at"]

        ingest(jaffle)  # the contract is gone again
        third = evaluate(jaffle)
        assert third["lifecycle"]["reopened"] == 1
        back = find(jaffle, "gold-model-has-contract", ORDERS)
        assert (back["status"], back["resolved_at"]) == ("open", None)
        assert back["violation_id"] == contract["violation_id"]
        assert back["first_seen_at"] == contract["first_seen_at"]

    def test_scoped_run_resolves_nothing_outside_its_scope(self, jaffle: TestClient) -> None:
        evaluate(jaffle)
        before = violations(jaffle, status="open")["total"]
        evaluate(jaffle, scope="layer", layer="silver", persist_violations=True)
        assert violations(jaffle, status="open")["total"] == before

    @pytest.mark.parametrize(
        ("body", "status"),
        [
            ({"status": "waived", "by": "x"}, 422),
            ({"status": "acknowledged"}, 422),
            ({"status": "acknowledged", "by": ""}, 422),
            ({"status": "gone", "by": "x"}, 422),
            ({"status": "open", "by": "x"}, 422),
        ],
    )
    def test_bad_status_changes_are_422(self, jaffle: TestClient, body: dict[str, Any], status: int) -> None:
        evaluate(jaffle)
        target = violations(jaffle)["data"][0]
        assert _patch(jaffle, target["violation_id"], **body).status_code == status

    def test_unknown_violation_is_404(self, jaffle: TestClient) -> None:
        assert _patch(jaffle, "nope", status="acknowledged", by="x").status_code == 404

    def test_filters_and_stable_order(self, jaffle: TestClient) -> None:
        evaluate(jaffle)
        everything = violations(jaffle)["data"]
        assert everything[0]["severity"] == "critical"
        gold = violations(jaffle, layer="gold", severity="error")
        assert gold["total"] == sum(
            1 for v in everything if v["layer"] == "gold" and v["severity"] == "error"
        )
        assert violations(jaffle, capsule=ORDERS)["total"] == sum(
            1 for v in everything if v["capsule_urn"] == ORDERS
        )
        # customers.email (meta) and first_name/last_name (PII carried by column lineage), in gold
        assert violations(jaffle, category="privacy")["total"] == 3
        page = jaffle.get(f"{API}/conformance/violations", params={"limit": 2, "offset": 1}).json()
        assert [v["violation_id"] for v in page["data"]] == [v["violation_id"] for v in everything[1:3]]
        assert jaffle.get(f"{API}/conformance/violations", params={"limit": 5000}).status_code == 422


class TestWaivedSurviveAutoResolve:
    def test_a_waived_violation_stays_waived_when_the_run_no_longer_finds_it(
        self, jaffle: TestClient
    ) -> None:
        evaluate(jaffle)
        contract = find(jaffle, "gold-model-has-contract", ORDERS)
        naming = find(jaffle, "gold-model-naming", ORDERS)
        _patch(jaffle, contract["violation_id"], status="waived", by="bo", reason="contract next sprint")
        docs = artifacts()
        docs["manifest"]["nodes"]["model.jaffle_shop.orders"]["contract"] = {"enforced": True}
        ingest(jaffle, docs)
        second = evaluate(jaffle)
        assert second["lifecycle"]["resolved"] == 0  # the only violation that went away was waived
        kept = find(jaffle, "gold-model-has-contract", ORDERS)
        assert (kept["status"], kept["resolved_at"]) == ("waived", None)
        assert kept["status_reason"] == "contract next sprint"
        assert find(jaffle, "gold-model-naming", ORDERS)["status"] == naming["status"] == "open"


class TestStoredRuleInputs:
    def test_dbt_config_and_test_files_survive_storage(self, client: TestClient) -> None:
        docs = artifacts()
        nodes = docs["manifest"]["nodes"]
        nodes["model.jaffle_shop.stg_orders"]["config"].update(materialized="incremental", unique_key=None)
        nodes["model.jaffle_shop.stg_payments"]["config"].update(materialized="incremental", unique_key="id")
        test_id = next(u for u, n in nodes.items() if n.get("attached_node") == "model.jaffle_shop.orders")
        nodes[test_id]["original_file_path"] = "models/elsewhere/orders.yml"
        ingest(client, docs)
        evaluate(client)
        stg_orders = ORDERS.replace(":orders", ":stg_orders")
        assert find(client, "incremental-unique-key", stg_orders)["status"] == "open"
        assert violations(client, rule="incremental-unique-key")["total"] == 1  # stg_payments has its key
        moved = find(client, "test-directory", ORDERS)
        assert "models/elsewhere/orders.yml" in moved["message"]
