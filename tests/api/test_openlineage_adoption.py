"""A dbt ingestion adopts datasets OpenLineage wrote before dbt declared their relation: honouring
DAB_OPENLINEAGE_NAMESPACES, also when the ingestion is identical or equal to the last one, and
for datasets that dbt-ol names by a dbt source's table name instead of its relation."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from tests.api.ingest_helpers import artifacts
from tests.api.openlineage_helpers import dataset, run_event
from tests.conftest import TEST_API_KEY

from dab.api.main import create_app
from dab.ingest.openlineage.parser import dataset_urn
from dab.settings import Settings

MAPPED = "postgres://warehouse.internal:5432"
"""Does not agree with jaffle_shop's duckdb adapter by engine: only the namespace map joins it."""
ELSEWHERE = "duckdb://another.duckdb"
"""Agrees with duckdb by engine, but is configured for another project."""
SOURCE = "urn:dab:dbt:source:jaffle_shop:jaffle_shop.customers"
STG = "urn:dab:dbt:model:jaffle_shop:stg_customers"


@contextmanager
def _client(settings: Settings, namespaces: str = "") -> Iterator[TestClient]:
    configured = Settings(**{**settings.model_dump(), "dab_openlineage_namespaces": namespaces})
    with TestClient(create_app(configured), headers={"X-API-Key": TEST_API_KEY}) as client:
        yield client


def _stand_in(namespace: str, name: str = "jaffle_shop.raw.raw_customers") -> str:
    return dataset_urn(namespace, name)


def _load(client: TestClient, namespace: str, name: str = "jaffle_shop.raw.raw_customers") -> str:
    job = f"load_{uuid.uuid4().hex[:8]}"
    event = run_event("COMPLETE", job=job, outputs=[dataset(namespace, name, {"first_name": "text"})])
    response = client.post("/api/v1/lineage", json=[event])
    assert response.status_code == 200, response.text
    assert response.json()["matched_dbt_nodes"] == {}  # written as a dataset of its own
    return f"urn:dab:openlineage:job:airbyte:{job}"


def _ingest(client: TestClient, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/api/v1/ingest/dbt", params={"wait": "true"}, json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def _exists(client: TestClient, urn: str) -> bool:
    segment = quote(quote(urn, safe=""), safe="")
    return bool(client.get(f"/api/v1/capsules/{segment}").status_code == 200)


def _upstream(client: TestClient, urn: str) -> set[str]:
    segment = quote(quote(urn, safe=""), safe="")
    response = client.get(f"/api/v1/capsules/{segment}/lineage", params={"direction": "upstream", "depth": 4})
    assert response.status_code == 200, response.text
    return {node["urn"] for node in response.json()["nodes"]}


def _restamped(body: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(body)
    for kind in ("manifest", "catalog"):
        out[kind]["metadata"].update(generated_at="2030-01-01T00:00:00Z", invocation_id="restamped")
    return out


class TestNamespaceMap:
    def test_a_mapped_namespace_is_adopted_by_its_project_whatever_the_engine(
        self, settings: Settings
    ) -> None:
        with _client(settings, f"{MAPPED}=jaffle_shop, {ELSEWHERE}=finance") as client:
            job = _load(client, MAPPED)
            other = _load(client, ELSEWHERE)
            stats = _ingest(client, artifacts("v12"))["stats"]
            assert stats["provenance"]["adopted"] == [_stand_in(MAPPED)]
            assert not _exists(client, _stand_in(MAPPED))
            assert job in _upstream(client, STG)
            # Mapped to another project: stays a dataset of its own, though duckdb agrees.
            assert _exists(client, _stand_in(ELSEWHERE))
            assert other not in _upstream(client, STG)

    def test_without_the_map_an_engine_that_disagrees_is_not_adopted(self, settings: Settings) -> None:
        with _client(settings) as client:
            _load(client, MAPPED)
            assert _ingest(client, artifacts("v12"))["stats"]["provenance"]["adopted"] == []
            assert _exists(client, _stand_in(MAPPED))


class TestEqualReingestion:
    """A dataset can arrive unmatched between two equal dbt ingestions (here: the namespace map
    was configured in between; also a batch committed while the first ingestion was writing)."""

    @pytest.mark.parametrize("equal", ["identical bytes", "re-stamped"])
    def test_a_dataset_that_arrived_in_between_is_adopted(self, settings: Settings, equal: str) -> None:
        body = artifacts("v12")
        with _client(settings) as client:
            first = _ingest(client, body)
            job = _load(client, MAPPED)  # no map yet: the engine disagrees, a dataset of its own
        with _client(settings, f"{MAPPED}=jaffle_shop") as client:
            again = _ingest(client, body if equal == "identical bytes" else _restamped(body))
            shortcut = "identical_to_job" if equal == "identical bytes" else "equal_to_job"
            assert again["stats"][shortcut] == first["job_id"]  # the shortcut was taken
            assert again["stats"]["provenance"]["adopted"] == [_stand_in(MAPPED)]
            assert not _exists(client, _stand_in(MAPPED))
            assert job in _upstream(client, STG)
            third = _ingest(client, body)
            assert third["stats"]["provenance"]["adopted"] == []


class TestSourceAliases:
    """dbt-ol names a dbt source ``database.schema.<table name>`` (jaffle_shop's ``customers``
    source is the relation ``raw_customers``)."""

    def test_a_dataset_named_by_the_source_table_is_adopted_by_that_source(self, settings: Settings) -> None:
        with _client(settings) as client:
            job = _load(client, "duckdb://jaffle_shop", "jaffle_shop.raw.customers")
            stats = _ingest(client, artifacts("v12"))["stats"]
            assert stats["provenance"]["adopted"] == [
                _stand_in("duckdb://jaffle_shop", "jaffle_shop.raw.customers")
            ]
            assert {job, SOURCE} <= _upstream(client, STG)

    def test_a_source_alias_shared_by_two_sources_matches_neither(self, settings: Settings) -> None:
        body = artifacts("v12")
        twin = copy.deepcopy(body["manifest"]["sources"]["source.jaffle_shop.jaffle_shop.customers"])
        twin.update(
            unique_id="source.jaffle_shop.crm.customers", source_name="crm", identifier="crm_customers"
        )
        twin["fqn"] = ["jaffle_shop", "crm", "customers"]
        twin["relation_name"] = '"jaffle_shop"."raw"."crm_customers"'
        body["manifest"]["sources"][twin["unique_id"]] = twin
        with _client(settings) as client:
            _ingest(client, body)
            event = run_event(
                "COMPLETE", outputs=[dataset("duckdb://jaffle_shop", "jaffle_shop.raw.customers")]
            )
            response = client.post("/api/v1/lineage", json=[event])
            assert response.json()["matched_dbt_nodes"] == {}  # two sources are "raw.customers"
            event = run_event("COMPLETE", outputs=[dataset("duckdb://jaffle_shop", "crm.customers")])
            matched = client.post("/api/v1/lineage", json=[event]).json()["matched_dbt_nodes"]
            assert list(matched.values()) == ["urn:dab:dbt:source:jaffle_shop:crm.customers"]
