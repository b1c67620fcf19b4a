"""DAB_OPENLINEAGE_NAMESPACES: a dataset namespace configured for a dbt project matches that
project's nodes whatever its engine, and no other project's; unconfigured ones match by engine."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from tests.api.ingest_helpers import artifacts
from tests.api.openlineage_helpers import dataset, run_event
from tests.conftest import TEST_API_KEY

from dab.api.main import create_app
from dab.settings import Settings

MAPPED = "postgres://warehouse.internal:5432"
"""A PostgreSQL-looking namespace: its engine does not agree with jaffle_shop's duckdb adapter."""
ELSEWHERE = "duckdb://another.duckdb"
"""Agrees with duckdb, but is configured for a project that is not jaffle_shop."""
SOURCE = "urn:dab:dbt:source:jaffle_shop:jaffle_shop.customers"


@pytest.fixture
def mapped_client(settings: Settings) -> Iterator[TestClient]:
    namespaces = f"{MAPPED}=jaffle_shop, {ELSEWHERE}=finance"
    configured = Settings(**{**settings.model_dump(), "dab_openlineage_namespaces": namespaces})
    with TestClient(create_app(configured), headers={"X-API-Key": TEST_API_KEY}) as client:
        response = client.post("/api/v1/ingest/dbt", params={"wait": "true"}, json=artifacts("v12"))
        assert response.status_code == 201, response.text
        yield client


def _matched(client: TestClient, namespace: str) -> dict[str, str]:
    event = run_event("COMPLETE", outputs=[dataset(namespace, "jaffle_shop.raw.raw_customers")])
    response = client.post("/api/v1/lineage", json=[event])
    assert response.status_code == 200, response.text
    return dict(response.json()["matched_dbt_nodes"])


def test_a_configured_namespace_matches_its_project_whatever_the_engine(mapped_client: TestClient) -> None:
    assert list(_matched(mapped_client, MAPPED).values()) == [SOURCE]


def test_a_namespace_configured_for_another_project_does_not_match(mapped_client: TestClient) -> None:
    assert _matched(mapped_client, ELSEWHERE) == {}


def test_unconfigured_namespaces_still_match_by_engine(mapped_client: TestClient) -> None:
    assert list(_matched(mapped_client, "duckdb://jaffle_shop").values()) == [SOURCE]
    assert _matched(mapped_client, "postgres://other.example.com:5432") == {}


def test_the_setting_is_parsed_and_a_bad_item_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DAB_OPENLINEAGE_NAMESPACES", "postgres://db:5432=analytics, s3://bucket=lake")
    assert Settings().dab_openlineage_namespaces == {"postgres://db:5432": "analytics", "s3://bucket": "lake"}
    monkeypatch.setenv("DAB_OPENLINEAGE_NAMESPACES", "postgres://db:5432")
    with pytest.raises(ValueError, match="'postgres://db:5432' is not 'namespace=project'"):
        Settings()
