"""Golden-ish checks of parse_dbt on real dbt artifacts, one directory per manifest schema version."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dab.domain.capsule import CapsuleType
from dab.domain.graph import Graph
from dab.domain.quality import TestKind
from dab.ingest.dbt import load_artifact, parse_dbt

FIXTURES = Path(__file__).parents[2] / "fixtures" / "dbt"
VERSIONS = sorted(p.name for p in FIXTURES.iterdir() if (p / "manifest.json").is_file())

NS = "jaffle_shop"
MODELS = {"stg_customers", "stg_orders", "stg_payments", "customers", "orders"}
SEEDS = {"raw_customers", "raw_orders", "raw_payments"}
SOURCES = {"customers", "orders", "payments"}


def urn(kind: str, name: str, ns: str = NS) -> str:
    return f"urn:dab:dbt:{kind}:{ns}:{name}"


def _load(directory: Path, name: str) -> dict[str, Any] | None:
    path = directory / f"{name}.json"
    return load_artifact(path.read_bytes(), path.name) if path.is_file() else None


def _parse(version: str, **kwargs: Any) -> Graph:
    d = FIXTURES / version
    manifest = _load(d, "manifest")
    assert manifest is not None
    return parse_dbt(manifest, _load(d, "catalog"), _load(d, "run_results"), _load(d, "sources"), **kwargs)


@pytest.fixture(scope="module", params=VERSIONS)
def graph(request: pytest.FixtureRequest) -> Graph:
    return _parse(request.param)


def test_fixture_versions_present() -> None:
    assert {"v9", "v11", "v12"} <= set(VERSIONS)


class TestCapsules:
    def test_urn_set(self, graph: Graph) -> None:
        expected = (
            {urn("model", m) for m in MODELS}
            | {urn("seed", s) for s in SEEDS}
            | {urn("source", f"jaffle_shop.{s}") for s in SOURCES}
        )
        assert set(graph.capsules) == expected

    def test_layers(self, graph: Graph) -> None:
        layers = {c.name: c.layer.value for c in graph.capsules.values()}
        for name in ("stg_customers", "stg_orders", "stg_payments", *SEEDS):
            assert layers[name] == "bronze"
        for name in SOURCES:
            assert layers[f"jaffle_shop.{name}"] == "bronze"
        assert layers["customers"] == layers["orders"] == "gold"
        assert graph.capsules[urn("model", "orders")].layer.evidence == "folder:marts"
        assert graph.capsules[urn("model", "stg_orders")].layer.evidence == "folder:staging"

    def test_domain_and_owner(self, graph: Graph) -> None:
        customers = graph.capsules[urn("model", "customers")]
        assert (customers.domain.value, customers.domain.evidence) == ("customer", "meta.domain")
        assert customers.owner.value == "growth-analytics"
        assert graph.capsules[urn("model", "stg_orders")].owner.value == "analytics-engineering"
        assert graph.capsules[urn("seed", "raw_orders")].owner.value is None

    def test_model_attributes(self, graph: Graph) -> None:
        customers = graph.capsules[urn("model", "customers")]
        assert customers.capsule_type is CapsuleType.MODEL
        assert customers.materialization == "table"
        assert customers.schema == "marts"
        assert customers.path == "models/marts/customers.sql"
        assert customers.tags == ("marts", "pii")
        assert customers.compiled_sql is not None
        assert "select" in customers.compiled_sql
        assert graph.capsules[urn("model", "stg_orders")].materialization == "view"

    def test_run_status(self, graph: Graph) -> None:
        for c in graph.capsules.values():
            if c.capsule_type in (CapsuleType.MODEL, CapsuleType.SEED):
                assert c.last_run is not None, c.urn
                assert c.last_run.status == "success", c.urn
        seed = graph.capsules[urn("seed", "raw_orders")]
        assert seed.last_run is not None
        assert seed.last_run.completed_at is not None

    def test_freshness(self, graph: Graph) -> None:
        def fresh(name: str) -> Any:
            return graph.capsules[urn("source", f"jaffle_shop.{name}")].freshness

        assert fresh("orders").status == "error"
        assert (fresh("orders").warn_after, fresh("orders").error_after) == ("12 hour", "24 hour")
        assert fresh("payments").status == "warn"
        assert fresh("payments").error_after is None
        assert fresh("customers") is None or fresh("customers").status is None

    def test_project_info(self, graph: Graph) -> None:
        assert graph.project is not None
        assert graph.project.name == NS
        assert graph.project.adapter_type == "duckdb"
        assert graph.project.manifest_schema_version in (9, 10, 11, 12)


class TestLineage:
    def test_edge_set(self, graph: Graph) -> None:
        src = {s: urn("source", f"jaffle_shop.{s}") for s in SOURCES}
        m = {n: urn("model", n) for n in MODELS}
        expected = {
            (src["customers"], m["stg_customers"]),
            (src["orders"], m["stg_orders"]),
            (src["payments"], m["stg_payments"]),
            (m["stg_orders"], m["orders"]),
            (m["stg_payments"], m["orders"]),
            (m["stg_customers"], m["customers"]),
            (m["stg_orders"], m["customers"]),
            (m["stg_payments"], m["customers"]),
        }
        edges = [(e.source_urn, e.target_urn) for e in graph.edges]
        assert len(edges) == len(set(edges))
        assert set(edges) == expected


class TestColumns:
    def test_column_counts(self, graph: Graph) -> None:
        counts = {urn: len(cols) for urn, cols in graph.columns_by_capsule.items()}
        assert counts[urn("model", "customers")] == 8
        assert counts[urn("model", "orders")] == 9
        assert counts[urn("model", "stg_customers")] == 5
        assert counts[urn("seed", "raw_payments")] == 5

    def test_union_of_manifest_and_catalog(self, graph: Graph) -> None:
        email = graph.columns[f"urn:dab:dbt:column:{NS}:customers.email"]
        assert (email.data_type or "").upper() == "VARCHAR"
        assert email.ordinal == 4
        assert email.description == "Customer e-mail address (unmasked)."

    def test_pii_columns(self, graph: Graph) -> None:
        pii = {c.urn.rsplit(":", 1)[-1]: c.pii_type for c in graph.columns.values() if c.pii_type}
        assert pii == {
            "customers.email": "email",
            "stg_customers.last_name": "name",
            "stg_customers.email": "email",
            "stg_customers.phone_number": "phone",
            "raw_customers.email": "email",
            "jaffle_shop.customers.email": "email",
        }


class TestTests:
    def test_kinds_and_statuses(self, graph: Graph) -> None:
        tests = list(graph.tests.values())
        assert len(tests) == 23
        kinds = {k: sum(t.kind is k for t in tests) for k in TestKind}
        assert kinds[TestKind.SINGULAR] == 1
        assert kinds[TestKind.RELATIONSHIPS] == 2
        assert kinds[TestKind.ACCEPTED_VALUES] == 3
        statuses = sorted(t.status or "" for t in tests)
        assert statuses.count("pass") == 21

    def test_failing_accepted_values(self, graph: Graph) -> None:
        (failing,) = [t for t in graph.tests.values() if t.status == "fail"]
        assert failing.kind is TestKind.ACCEPTED_VALUES
        assert failing.capsule_urn == urn("model", "orders")
        assert failing.column_urn == f"urn:dab:dbt:column:{NS}:orders.status"
        assert failing.failures == 1

    def test_singular_warns(self, graph: Graph) -> None:
        test = graph.tests[urn("test", "assert_orders_have_positive_amount")]
        assert (test.kind, test.status, test.severity) == (TestKind.SINGULAR, "warn", "warn")
        assert test.capsule_urn == urn("model", "orders")
        assert test.column_urn is None

    def test_relationships_attach_to_the_tested_model(self, graph: Graph) -> None:
        rel = [t for t in graph.tests.values() if t.kind is TestKind.RELATIONSHIPS]
        assert {t.capsule_urn for t in rel} == {urn("model", "orders"), urn("model", "stg_orders")}

    def test_source_tests_attach_to_sources(self, graph: Graph) -> None:
        on_sources = [t for t in graph.tests.values() if ":source:" in t.capsule_urn]
        assert len(on_sources) == 4


@pytest.mark.parametrize("version", VERSIONS)
def test_project_name_overrides_root_namespace(version: str) -> None:
    graph = _parse(version, project_name="shop")
    assert urn("model", "orders", "shop") in graph.capsules
    assert urn("test", "assert_orders_have_positive_amount", "shop") in graph.tests
    assert all(":jaffle_shop:" not in u.split("jaffle_shop.", 1)[0] for u in graph.capsules)
    assert graph.project is not None
    assert graph.project.name == "shop"


@pytest.mark.parametrize("version", VERSIONS)
def test_manifest_alone_parses(version: str) -> None:
    manifest = _load(FIXTURES / version, "manifest")
    assert manifest is not None
    graph = parse_dbt(manifest)
    assert len(graph.capsules) == 11
    assert all(c.last_run is None for c in graph.capsules.values())
