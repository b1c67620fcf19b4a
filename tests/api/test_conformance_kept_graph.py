"""The graph kept between evaluations: reused while the stored graph is unchanged, never stale."""

from __future__ import annotations

import copy
import sys
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from dab.services import conformance_evaluate, graph_memo

sys.path.insert(0, str(Path(__file__).parent))  # the helper module, under --import-mode=importlib
from conformance_helpers import API, CUSTOM, ORDERS, artifacts, evaluate, ingest


def _count_calls(monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> list[int]:
    """Counts the calls of ``module.name``; the real function still runs."""
    calls: list[int] = []
    real = getattr(module, name)

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, counted)
    return calls


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the real graph loads of the evaluations (the loader itself runs unchanged)."""
    return _count_calls(monkeypatch, graph_memo, "load_graph")


@pytest.fixture
def engine_runs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the rule engine's real runs behind the API's evaluations."""
    return _count_calls(monkeypatch, conformance_evaluate, "evaluate")


def _undocumented(client: TestClient) -> set[str]:
    body = evaluate(client, scope="full", persist_violations=True, violations_limit=1000)
    return {
        v["subject_urn"] for v in body["violations"]["data"] if v["rule_id"] == "model-description-length"
    }


def test_persisting_results_keeps_the_graph_and_an_ingestion_replaces_it(
    client: TestClient, loads: list[int]
) -> None:
    ingest(client)
    first = evaluate(client, scope="full", persist_violations=True)
    second = evaluate(client, scope="full", persist_violations=True)
    assert len(loads) == 1  # the first run's persisted violations did not change the graph
    assert second["score"] == first["score"]
    assert second["violations"]["total"] == first["violations"]["total"]

    assert ORDERS not in _undocumented(client)
    changed = copy.deepcopy(artifacts())
    node = next(n for n in changed["manifest"]["nodes"].values() if n.get("name") == "orders")
    node["description"] = ""
    ingest(client, changed)
    assert ORDERS in _undocumented(client)  # the new graph, not the kept one
    assert len(loads) == 2  # one more load, after the ingestion only


def test_a_tag_written_through_the_api_replaces_the_kept_graph(client: TestClient, loads: list[int]) -> None:
    ingest(client)
    evaluate(client, scope="full")
    tag = client.post(f"{API}/tags", json={"name": "kept-graph-test"})
    assert tag.status_code == 201, tag.text
    evaluate(client, scope="full")
    assert len(loads) == 2


def test_a_violation_seen_again_moves_only_its_run_and_time(client: TestClient) -> None:
    """Unchanged violations are touched set-based: their run and time move, nothing else."""
    ingest(client)
    first = evaluate(client, scope="full", persist_violations=True, violations_limit=1000)
    before = {
        v["fingerprint"]: v for v in client.get(f"{API}/conformance/violations?limit=1000").json()["data"]
    }
    second = evaluate(client, scope="full", persist_violations=True, violations_limit=1000)
    after = {
        v["fingerprint"]: v for v in client.get(f"{API}/conformance/violations?limit=1000").json()["data"]
    }
    assert second["lifecycle"] == {
        "opened": 0,
        "seen_again": first["violations"]["total"],
        "reopened": 0,
        "resolved": 0,
    }
    assert before.keys() == after.keys()
    for fingerprint, row in after.items():
        old = before[fingerprint]
        assert row["last_seen_at"] > old["last_seen_at"]
        assert row["last_run_id"] == second["run_id"] != old["last_run_id"]
        moved = {"last_seen_at", "last_run_id"}
        assert {k: v for k, v in row.items() if k not in moved} == {
            k: v for k, v in old.items() if k not in moved
        }


def test_the_same_graph_rules_and_scope_are_not_evaluated_twice(
    client: TestClient, engine_runs: list[int]
) -> None:
    ingest(client)
    first = evaluate(client, scope="full", persist_violations=True)
    second = evaluate(client, scope="full", persist_violations=True)
    assert len(engine_runs) == 1
    assert {k: second[k] for k in ("score", "rules", "by_layer")} == {
        k: first[k] for k in ("score", "rules", "by_layer")
    }
    evaluate(client, scope="layer", layer="gold")  # another scope: evaluated
    assert len(engine_runs) == 2

    assert client.post(f"{API}/conformance/rules", json=CUSTOM).status_code == 201
    with_rule = evaluate(client, scope="full", persist_violations=True)
    assert len(engine_runs) == 3  # the rules changed
    assert "model-name-short" in {r["rule_id"] for r in with_rule["rules"]}

    changed = copy.deepcopy(artifacts())
    node = next(n for n in changed["manifest"]["nodes"].values() if n.get("name") == "orders")
    node["description"] = ""
    ingest(client, changed)
    assert ORDERS in _undocumented(client)  # the graph changed: evaluated again, not the kept result
    assert len(engine_runs) == 4
