"""jaffle_shop plus what ingestion does not write yet (an exposure, a data product, API tags on a
column, column lineage), inserted as rows; and the stored graph read back for comparison."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import delete, insert, select
from tests.api.test_catalog_lineage import ingest_jaffle

from dab.storage.db import create_engine
from dab.storage.records import (
    CapsuleDataProductRecord,
    CapsuleLineageRecord,
    CapsuleRecord,
    CapsuleTagRecord,
    ColumnLineageRecord,
    ColumnRecord,
    ColumnTagRecord,
    DataProductRecord,
    DomainRecord,
    TagRecord,
)

J = "urn:dab:dbt:{}:jaffle_shop:{}"
ORDERS, CUSTOMERS = J.format("model", "orders"), J.format("model", "customers")
STG_ORDERS = J.format("model", "stg_orders")
DASHBOARD = J.format("exposure", "revenue_dashboard")
PRODUCT = "urn:dab:product:revenue"
PII_TAG = "urn:dab:tag:privacy:pii"
COL = "urn:dab:dbt:column:jaffle_shop:{}"
HOSTILE_NAME = "end \"]; x -> y; <b>&amp; it's\\"
HOSTILE_DESCRIPTION = "line\nbreak\r\n'; MATCH (n) DETACH DELETE n; // é ✓ 𝄞"


def enrich(url: str) -> None:
    asyncio.run(_enrich(url))


async def _enrich(url: str) -> None:
    engine = create_engine(url)
    async with engine.begin() as conn:
        order_domain = (
            await conn.execute(select(DomainRecord.id).where(DomainRecord.name == "order"))
        ).scalar()
        await conn.execute(
            insert(CapsuleRecord),
            [
                {
                    "urn": DASHBOARD,
                    "project": "jaffle_shop",
                    "capsule_type": "exposure",
                    "namespace": "jaffle_shop",
                    "name": HOSTILE_NAME,
                    "description": HOSTILE_DESCRIPTION,
                    "owner": "finance-analytics",
                    "domain_name": "order",
                    "exposure_type": "dashboard",
                    "content_hash": "x",
                }
            ],
        )
        await conn.execute(
            insert(CapsuleLineageRecord),
            [{"project": "jaffle_shop", "source_urn": ORDERS, "target_urn": DASHBOARD}],
        )
        await conn.execute(
            insert(DataProductRecord),
            [{"id": "p1", "urn": PRODUCT, "name": "revenue", "domain_id": order_domain, "owner": "finance"}],
        )
        await conn.execute(
            insert(CapsuleDataProductRecord),
            [
                {"product_id": "p1", "capsule_urn": ORDERS, "role": "output"},
                {"product_id": "p1", "capsule_urn": STG_ORDERS, "role": "input"},
            ],
        )
        await conn.execute(
            insert(TagRecord), [{"id": "t1", "urn": PII_TAG, "name": "pii", "category": "privacy"}]
        )
        await conn.execute(insert(CapsuleTagRecord), [{"capsule_urn": CUSTOMERS, "tag_id": "t1"}])
        await conn.execute(
            insert(ColumnTagRecord), [{"column_urn": COL.format("customers.email"), "tag_id": "t1"}]
        )
        # These tests count exact column edges: start from none, whatever ingestion derived.
        await conn.execute(delete(ColumnLineageRecord))
        await conn.execute(
            insert(ColumnLineageRecord),
            [
                {
                    "project": "jaffle_shop",
                    "source_urn": COL.format("stg_orders.order_id"),
                    "target_urn": COL.format("orders.order_id"),
                    "transformation": "identity",
                },
                {
                    "project": "jaffle_shop",
                    "source_urn": COL.format("stg_customers.customer_id"),
                    "target_urn": COL.format("customers.customer_id"),
                    "transformation": "identity",
                },
            ],
        )
    await engine.dispose()


def ingest_enriched(client: Any, url: str) -> None:
    ingest_jaffle(client)
    enrich(url)


def stored_graph(url: str) -> tuple[dict[str, str], set[tuple[str, str, str]]]:
    """Every stored node (URN -> label) and edge (type, source, target), all kinds included."""
    return asyncio.run(_stored(url))


async def _stored(url: str) -> tuple[dict[str, str], set[tuple[str, str, str]]]:
    engine = create_engine(url)
    c, k = CapsuleRecord, ColumnRecord
    async with engine.connect() as conn:

        async def rows(stmt: Any) -> list[Any]:
            return list((await conn.execute(stmt)).all())

        nodes = {
            u: ("Exposure" if t == "exposure" else "Capsule")
            for u, t in await rows(select(c.urn, c.capsule_type))
        }
        nodes |= {u: "Column" for (u,) in await rows(select(k.urn))}
        nodes |= {u: "Domain" for (u,) in await rows(select(DomainRecord.urn))}
        nodes |= {u: "Tag" for (u,) in await rows(select(TagRecord.urn))}
        nodes |= {u: "DataProduct" for (u,) in await rows(select(DataProductRecord.urn))}
        d, t, p = DomainRecord, TagRecord, DataProductRecord
        sources = [  # (edge type, SELECT source, target): written independently of the exporter
            ("FLOWS_TO", select(CapsuleLineageRecord.source_urn, CapsuleLineageRecord.target_urn)),
            ("CONTAINS", select(k.capsule_urn, k.urn)),
            ("DERIVED_FROM", select(ColumnLineageRecord.target_urn, ColumnLineageRecord.source_urn)),
            ("BELONGS_TO", select(c.urn, d.urn).join(d, d.name == c.domain_name)),
            ("BELONGS_TO", select(p.urn, d.urn).join(d, d.id == p.domain_id)),
            (
                "TAGGED_WITH",
                select(CapsuleTagRecord.capsule_urn, t.urn).join(t, t.id == CapsuleTagRecord.tag_id),
            ),
            (
                "TAGGED_WITH",
                select(ColumnTagRecord.column_urn, t.urn).join(t, t.id == ColumnTagRecord.tag_id),
            ),
            (
                "PART_OF",
                select(CapsuleDataProductRecord.capsule_urn, p.urn).join(
                    p, p.id == CapsuleDataProductRecord.product_id
                ),
            ),
        ]
        edges = {(kind, s, e) for kind, stmt in sources for s, e in await rows(stmt)}
    await engine.dispose()
    return nodes, edges
