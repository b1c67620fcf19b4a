"""Annotations made outside dbt (API tags, manual PII) survive re-ingestion of their capsule."""

from __future__ import annotations

import asyncio
import copy
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select, text
from tests.api.ingest_helpers import artifacts

from dab.storage.db import create_engine
from dab.storage.records import CapsuleTagRecord, ColumnRecord, TagRecord

INGEST = "/api/v1/ingest/dbt"
ORDERS = "urn:dab:dbt:model:jaffle_shop:orders"
STATUS_COLUMN = "urn:dab:dbt:column:jaffle_shop:orders.status"


def _run(database_url: str, statements: list[tuple[str, dict[str, Any]]]) -> None:
    async def go() -> None:
        engine = create_engine(database_url)
        async with engine.begin() as conn:
            for sql, params in statements:
                await conn.execute(text(sql), params)
        await engine.dispose()

    asyncio.run(go())


def _read(database_url: str) -> tuple[list[Any], Any]:
    async def go() -> tuple[list[Any], Any]:
        engine = create_engine(database_url)
        async with engine.connect() as conn:
            tags = (
                await conn.execute(
                    select(TagRecord.name, CapsuleTagRecord.origin, CapsuleTagRecord.added_by)
                    .join(TagRecord, TagRecord.id == CapsuleTagRecord.tag_id)
                    .where(CapsuleTagRecord.capsule_urn == ORDERS)
                )
            ).all()
            column = (
                await conn.execute(
                    select(ColumnRecord.pii_type, ColumnRecord.pii_origin, ColumnRecord.description).where(
                        ColumnRecord.urn == STATUS_COLUMN
                    )
                )
            ).one()
        await engine.dispose()
        return sorted(map(tuple, tags)), tuple(column)

    return asyncio.run(go())


def test_api_tags_and_manual_pii_survive_a_changed_reingestion(client: TestClient, database_url: str) -> None:
    assert client.post(INGEST, params={"wait": "true"}, json=artifacts()).status_code == 201
    _run(
        database_url,
        [
            (
                "INSERT INTO tag (id, urn, name, category, origin, created_at) "
                "VALUES ('t-1', 'urn:dab:tag:governance:certified', 'certified', 'governance', 'api', CURRENT_TIMESTAMP)",
                {},
            ),
            (
                "INSERT INTO capsule_tag (capsule_urn, tag_id, origin, added_by, added_at) "
                "VALUES (:urn, 't-1', 'api', 'ops@example.com', CURRENT_TIMESTAMP)",
                {"urn": ORDERS},
            ),
            (
                "UPDATE capsule_column SET pii_type = 'free_text', pii_origin = 'manual' WHERE urn = :urn",
                {"urn": STATUS_COLUMN},
            ),
        ],
    )
    changed = copy.deepcopy(artifacts())
    node = changed["manifest"]["nodes"]["model.jaffle_shop.orders"]
    node["columns"]["status"]["description"] = "Order status, re-documented"
    node["tags"] = [*node.get("tags", []), "finance"]
    job = client.post(INGEST, params={"wait": "true"}, json=changed).json()
    assert job["stats"]["columns"]["updated"] == 1
    tags, column = _read(database_url)
    assert ("certified", "api", "ops@example.com") in tags
    assert ("finance", "dbt", "dbt") in tags
    assert column == ("free_text", "manual", "Order status, re-documented")

    # Removing the dbt tag removes only the dbt link; the API tag stays.
    assert client.post(INGEST, params={"wait": "true"}, json=artifacts()).status_code == 201
    tags, _ = _read(database_url)
    assert ("certified", "api", "ops@example.com") in tags
    assert all(name != "finance" for name, _, _ in tags)


def test_ingestion_metric_counts_jobs_by_status(client: TestClient) -> None:
    client.post(INGEST, params={"wait": "true"}, json=artifacts())
    client.post(INGEST, params={"wait": "true"}, json={"manifest": {"metadata": {}}})
    metrics = client.get("/metrics").text
    assert 'dab_ingestion_total{source="dbt",status="completed"}' in metrics
    assert 'dab_ingestion_total{source="dbt",status="failed"}' in metrics
    assert "dab_capsule_count 11.0" in metrics
