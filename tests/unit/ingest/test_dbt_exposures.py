"""Exposures, dbt groups, test attachment fall-backs and freshness edge cases on a hand-made manifest."""

from __future__ import annotations

from typing import Any

from dab.domain.capsule import CapsuleType
from dab.domain.quality import TestKind
from dab.ingest.dbt import parse_dbt

V12 = "https://schemas.getdbt.com/dbt/manifest/v12.json"


def _node(kind: str, name: str, deps: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "unique_id": f"{kind}.p.{name}",
        "resource_type": kind,
        "package_name": "p",
        "name": name,
        "original_file_path": f"models/marts/finance/{name}.sql",
        "depends_on": {"nodes": deps or []},
        "config": {"enabled": True},
        **extra,
    }


def _manifest() -> dict[str, Any]:
    src = {
        "unique_id": "source.p.raw.pay",
        "resource_type": "source",
        "package_name": "p",
        "name": "pay",
        "source_name": "raw",
        "original_file_path": "models/sources.yml",
        "freshness": {"warn_after": {"count": None, "period": None}, "error_after": None},
        "columns": {"id": {"name": "id", "tags": ["pii:account_id"]}},
    }
    fct = _node("model", "fct_pay", ["source.p.raw.pay"], group="finance", columns={"id": {"name": "id"}})
    tests = {
        "test.p.rel": _node(
            "test",
            "rel",
            ["model.p.dim", "model.p.fct_pay"],
            column_name="id",
            test_metadata={"name": "relationships", "kwargs": {"model": "{{ ref('fct_pay') }}"}},
        ),
        "test.p.expr": _node(
            "test",
            "expr",
            ["model.p.fct_pay"],
            test_metadata={"name": "expression_is_true", "namespace": "dbt_utils"},
            config={"severity": "WARN"},
        ),
        "test.p.custom": _node("test", "custom", ["model.p.fct_pay"], test_metadata={"name": "is_even"}),
        "test.p.orphan": _node("test", "orphan", ["model.p.gone"]),
    }
    exposure = {
        "unique_id": "exposure.p.board",
        "resource_type": "exposure",
        "package_name": "p",
        "name": "board",
        "type": "dashboard",
        "maturity": "high",
        "url": "https://bi/board",
        "owner": {"name": "Ann", "email": "ann@x.io"},
        "depends_on": {"nodes": ["model.p.fct_pay", "model.p.fct_pay"]},
        "config": {"enabled": True},
    }
    return {
        "metadata": {"dbt_schema_version": V12, "project_name": "p", "adapter_type": "duckdb"},
        "nodes": {"model.p.fct_pay": fct, "model.p.dim": _node("model", "dim"), **tests},
        "sources": {"source.p.raw.pay": src},
        "exposures": {"exposure.p.board": exposure},
        "groups": {"group.p.finance": {"name": "finance", "owner": {"email": "fin@x.io"}}},
    }


class TestHandMadeManifest:
    graph = parse_dbt(_manifest())

    def test_exposure(self) -> None:
        board = self.graph.capsules["urn:dab:dbt:exposure:p:board"]
        assert board.capsule_type is CapsuleType.EXPOSURE
        assert (board.exposure_type, board.maturity, board.url) == ("dashboard", "high", "https://bi/board")
        assert (board.owner.value, board.owner.evidence) == ("ann@x.io", "exposure.owner")
        assert board.layer.value == "unknown"

    def test_edges_without_duplicates(self) -> None:
        edges = {(e.source_urn, e.target_urn) for e in self.graph.edges}
        assert edges == {
            ("urn:dab:dbt:source:p:raw.pay", "urn:dab:dbt:model:p:fct_pay"),
            ("urn:dab:dbt:model:p:fct_pay", "urn:dab:dbt:exposure:p:board"),
        }
        assert len(self.graph.edges) == 2

    def test_group_owner_and_folder_domain(self) -> None:
        fct = self.graph.capsules["urn:dab:dbt:model:p:fct_pay"]
        assert (fct.owner.value, fct.owner.evidence) == ("fin@x.io", "group:finance")
        assert (fct.domain.value, fct.domain.evidence) == ("finance", "folder:marts/finance")
        assert fct.layer.evidence == "folder:marts"

    def test_source_without_freshness_thresholds(self) -> None:
        src = self.graph.capsules["urn:dab:dbt:source:p:raw.pay"]
        assert src.freshness is None
        assert self.graph.columns["urn:dab:dbt:column:p:raw.pay.id"].pii_type == "account_id"

    def test_test_kinds_and_attachment(self) -> None:
        tests = {t.name: t for t in self.graph.tests.values()}
        assert set(tests) == {"rel", "expr", "custom"}
        assert tests["rel"].capsule_urn == "urn:dab:dbt:model:p:fct_pay"
        assert tests["rel"].column_urn == "urn:dab:dbt:column:p:fct_pay.id"
        assert (tests["expr"].kind, tests["expr"].test_name) == (
            TestKind.GENERIC,
            "dbt_utils.expression_is_true",
        )
        assert tests["expr"].severity == "warn"
        assert tests["custom"].kind is TestKind.GENERIC

    def test_orphan_test_is_an_issue(self) -> None:
        assert any(i.json_path == '$.nodes["test.p.orphan"]' for i in self.graph.issues)
