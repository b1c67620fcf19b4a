"""Deriving column lineage while the graph is written (helpers start at once, this process joins
after its write, PII found along the derived lineage is fixed up afterwards) stores exactly what
the serial path stores: every capsule, column and column-edge row, digests and PII included,
over a first ingestion and re-ingestions whose derived lineage changes the propagated PII."""

from __future__ import annotations

import asyncio
import copy
import sys
from typing import Any

import orjson
import pytest
from sqlalchemy import select
from tests.api.test_compliance_pii import _contacts_project
from tests.conftest import _truncate_all

from dab.platform.logging import configure_logging
from dab.services import lineage_workers
from dab.services.column_lineage import LineageOptions
from dab.services.ingest_dbt import IngestRequest, create_job, run_job
from dab.storage.db import create_engine, make_session_factory
from dab.storage.records import CapsuleRecord, ColumnLineageRecord, ColumnRecord

CONTACTS = "model.jaffle_shop.customer_contacts"
SERIAL = LineageOptions(workers=1)
WHILE_WRITING = LineageOptions(workers=2, parallel_min=1)
TABLES = {"capsules": CapsuleRecord, "columns": ColumnRecord, "column_edges": ColumnLineageRecord}
_STAMPS = {"id", "created_at", "updated_at", "last_ingested_at"}  # times differ by nature


def _with_sql(body: dict[str, Any], sql: str, stamp: str) -> dict[str, Any]:
    out = copy.deepcopy(body)
    out["manifest"]["metadata"]["generated_at"] = stamp
    out["manifest"]["nodes"][CONTACTS]["compiled_code"] = sql
    return out


def _versions() -> list[dict[str, Any]]:
    """A first ingestion, then the gold model's masking swapped (the phone masked, the email
    hash no longer a hash: lineage PII moves both ways), then back again."""
    first = _contacts_project()
    swapped = _with_sql(
        first,
        'with c as (select * from "jaffle_shop"."staging"."stg_customers")\n'
        "select customer_id, email as email_hash, sha256(phone_number) as phone_number,\n"
        "left(last_name, 1) as initial, count(*) over (partition by email) as email_dupes from c",
        "2030-01-01T00:00:00Z",
    )
    return [
        first,
        swapped,
        _with_sql(first, first["manifest"]["nodes"][CONTACTS]["compiled_code"], "2030-01-02T00:00:00Z"),
    ]


def _rows(record: Any, rows: list[Any]) -> list[dict[str, Any]]:
    """Every row without its wall-clock stamps and row ids (the concurrent path inserts each
    chunk's new column edges as the chunk finishes, so their ids follow chunk order)."""
    names = [c.name for c in record.__table__.columns if c.name not in _STAMPS]
    out = [{n: r._mapping[n] for n in names} for r in rows]
    return sorted(out, key=lambda r: (r.get("urn") or "", r.get("source_urn"), r.get("target_urn")))


async def _ingest_all(url: str, options: LineageOptions) -> list[dict[str, Any]]:
    await _truncate_all(url)
    engine = create_engine(url)
    factory = make_session_factory(engine)
    states = []
    try:
        for body in _versions():
            artifacts = {kind: orjson.dumps(doc) for kind, doc in body.items()}
            async with factory.begin() as session:
                job_id = (await create_job(session, IngestRequest(artifacts=artifacts))).id
            job = await run_job(factory, job_id, lineage=options)
            assert job["status"] == "completed", job
            async with factory() as session:
                state = {"stats": job["stats"]}
                for name, record in TABLES.items():
                    state[name] = _rows(record, list(await session.execute(select(record.__table__))))
            states.append(state)
    finally:
        await engine.dispose()
    return states


def test_rows_equal_the_serial_path(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    configure_logging(stream=sys.stdout)  # an earlier test's app may have logged to a stream now closed
    used: list[int] = []
    alongside = lineage_workers.derivation_alongside

    def spy(tasks: list[Any], *args: Any) -> Any:
        used.append(len(tasks))
        return alongside(tasks, *args)

    monkeypatch.setattr("dab.services.ingest_dbt.derivation_alongside", spy)
    serial = asyncio.run(_ingest_all(database_url, SERIAL))
    assert used == []
    concurrent = asyncio.run(_ingest_all(database_url, WHILE_WRITING))
    assert used == [6, 1, 1]  # every model, then the changed gold model twice

    def finding(state: dict[str, Any], column: str) -> tuple[Any, ...]:
        row = next(r for r in state["columns"] if r["urn"].endswith(f"customer_contacts.{column}"))
        return row["pii_type"], row["pii_origin"], row["is_masked"], row["masking_function"]

    # The versions move lineage-propagated PII, so the fix-up path has work to do.
    assert finding(serial[0], "phone_number") == ("phone", "lineage", False, None)
    assert finding(serial[1], "phone_number") == ("phone", "lineage", True, "sha2")  # sqlglot: SHA2(x, 256)
    assert finding(serial[1], "email_hash")[1:3] == ("lineage", False)
    for step, (want, got) in enumerate(zip(serial, concurrent, strict=True)):
        for key in want:
            assert got[key] == want[key], f"version {step}: {key} differs"
