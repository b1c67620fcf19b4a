"""Shared helpers for ingestion tests: fixture artifacts and store snapshots."""

from __future__ import annotations

import asyncio
import copy
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import select

from dab.storage.db import create_engine
from dab.storage.records import CapsuleLineageRecord, CapsuleRecord, ColumnRecord, DataTestRecord

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "dbt"
KINDS = ("manifest", "catalog", "run_results", "sources")


def artifacts(version: str = "v12") -> dict[str, Any]:
    folder = FIXTURES / version
    return {
        kind: orjson.loads((folder / f"{kind}.json").read_bytes())
        for kind in KINDS
        if (folder / f"{kind}.json").exists()
    }


def without_model(body: dict[str, Any], unique_id: str) -> dict[str, Any]:
    """A copy of the artifacts with one model (and the nodes depending on it) removed."""
    changed = copy.deepcopy(body)
    nodes = changed["manifest"]["nodes"]
    nodes.pop(unique_id)
    for key in [k for k, n in nodes.items() if unique_id in (n.get("depends_on") or {}).get("nodes", [])]:
        nodes.pop(key)
    return changed


def snapshot(database_url: str) -> dict[str, Any]:
    """Everything an ingestion writes, as comparable plain data."""

    async def run() -> dict[str, Any]:
        engine = create_engine(database_url)
        async with engine.connect() as conn:
            capsules = (await conn.execute(select(CapsuleRecord.urn, CapsuleRecord.content_hash))).all()
            columns = (await conn.execute(select(ColumnRecord.urn, ColumnRecord.content_hash))).all()
            tests = (await conn.execute(select(DataTestRecord.urn, DataTestRecord.status))).all()
            edges = (
                await conn.execute(select(CapsuleLineageRecord.source_urn, CapsuleLineageRecord.target_urn))
            ).all()
        await engine.dispose()
        return {
            "capsules": sorted(map(tuple, capsules)),
            "columns": sorted(map(tuple, columns)),
            "tests": sorted(map(tuple, tests)),
            "edges": sorted(map(tuple, edges)),
        }

    return asyncio.run(run())
