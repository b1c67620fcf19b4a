"""Migration 0004 keeps existing tag links and memberships, and frees them from their capsule."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import text

from dab.storage import migrate
from dab.storage.db import create_engine

URN = "urn:dab:dbt:model:p:m"
CAPSULE = (
    "INSERT INTO capsule (urn, project, source, capsule_type, namespace, name, layer, dbt_tags, meta, "
    "contract_enforced, column_count, pii_column_count, content_hash, created_at, updated_at) VALUES "
    "(:urn, 'p', 'dbt', 'model', 'p', 'm', 'gold', '[]', '{}', false, 0, 0, 'h', "
    "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
)
ANNOTATE = [
    "INSERT INTO tag (id, urn, name, category, origin, created_at) "
    "VALUES ('t1', 'urn:dab:tag:g:x', 'x', 'g', 'api', CURRENT_TIMESTAMP)",
    "INSERT INTO capsule_tag (capsule_urn, tag_id, origin, added_by, added_at) "
    "VALUES (:urn, 't1', 'api', 'ops', CURRENT_TIMESTAMP)",
    "INSERT INTO data_product (id, urn, name, created_at, updated_at) "
    "VALUES ('p1', 'urn:dab:product:p', 'p', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
    "INSERT INTO capsule_data_product (product_id, capsule_urn, role, added_at) "
    "VALUES ('p1', :urn, 'output', CURRENT_TIMESTAMP)",
]
COUNTS = (
    "SELECT (SELECT count(*) FROM capsule_tag WHERE capsule_urn = :urn), "
    "(SELECT count(*) FROM capsule_data_product WHERE capsule_urn = :urn)"
)


def _execute(url: str, statements: list[str]) -> Any:
    """Run the statements in one transaction; the rows of the last one when it is a SELECT."""

    async def go() -> Any:
        engine = create_engine(url)
        rows = None
        async with engine.begin() as conn:
            for sql in statements:
                result = await conn.execute(text(sql), {"urn": URN})
                rows = [tuple(r) for r in result.all()] if sql.startswith("SELECT") else None
        await engine.dispose()
        return rows

    return asyncio.run(go())


def test_annotations_survive_the_upgrade_and_outlive_their_capsule(clean_database: str) -> None:
    url = clean_database
    migrate.downgrade(url, "0001")
    try:
        _execute(url, [CAPSULE, *ANNOTATE])
        migrate.upgrade(url)
        defaults = _execute(url, ["SELECT status, version FROM data_product"])
        assert defaults == [("draft", "1.0.0")]
        _execute(url, ["DELETE FROM capsule"])
        assert _execute(url, [COUNTS]) == [(1, 1)]  # no cascade any more
        migrate.downgrade(url, "0001")  # dormant annotations cannot satisfy the restored key
        assert _execute(url, [COUNTS]) == [(0, 0)]
    finally:
        migrate.upgrade(url)
