"""Re-ingesting a project that only a new dbt invocation re-stamped: equal, written as such."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import pytest
from sqlalchemy import select, text
from tests.api.ingest_helpers import artifacts

from dab.domain.capsule import Layer
from dab.ingest.dbt import LayerRules
from dab.services.ingest_dbt import IngestRequest, JobPolicy, create_job, run_job
from dab.storage.db import create_engine, make_session_factory
from dab.storage.records import Base, ProjectRecord

# Bookkeeping that every write moves; everything else must end as a full parse would leave it.
SKIPPED_TABLES = {"cache_generation", "ingestion_job", "ingestion_artifact"}
SKIPPED_COLUMNS = {"id", "created_at", "updated_at", "last_ingested_at", "last_job_id", "added_at"}


def _bytes(body: dict[str, Any]) -> dict[str, bytes]:
    return {kind: orjson.dumps(doc) for kind, doc in body.items()}


def _restamped(body: dict[str, Any], stamp: str) -> dict[str, Any]:
    out: dict[str, Any] = orjson.loads(orjson.dumps(body))
    out["manifest"]["metadata"].update(generated_at=stamp, invocation_id=f"invocation-{stamp}")
    out["catalog"]["metadata"].update(generated_at=stamp, invocation_id=f"invocation-{stamp}")
    return out


def ingest(
    url: str,
    body: dict[str, Any],
    *,
    layer_rules: LayerRules | None = None,
    policy: JobPolicy | None = None,
    completes: bool = True,
) -> dict[str, Any]:
    async def run() -> dict[str, Any]:
        engine = create_engine(url)
        factory = make_session_factory(engine)
        try:
            async with factory.begin() as session:
                job = await create_job(session, IngestRequest(artifacts=_bytes(body)))
            return await run_job(factory, job.id, layer_rules=layer_rules, policy=policy or JobPolicy())
        finally:
            await engine.dispose()

    summary = asyncio.run(run())
    if completes:
        assert summary["status"] == "completed", summary["error"]
    return summary


def _generated(column: Any) -> bool:
    """Ids and times a write makes up, and references to made-up ids (tag links to their tag)."""
    return column.name in SKIPPED_COLUMNS or any(fk.column.name == "id" for fk in column.foreign_keys)


def state(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every stored row but the bookkeeping, as sorted plain tuples."""

    async def run() -> dict[str, list[tuple[Any, ...]]]:
        engine = create_engine(url)
        out: dict[str, list[tuple[Any, ...]]] = {}
        async with engine.connect() as conn:
            for table in Base.metadata.sorted_tables:
                if table.name in SKIPPED_TABLES:
                    continue
                columns = [c for c in table.columns if not _generated(c)]
                rows = (await conn.execute(select(*columns))).all()
                out[table.name] = sorted((tuple(map(repr, row)) for row in rows), key=repr)
        await engine.dispose()
        return out

    return asyncio.run(run())


def generated_at(url: str) -> str | None:
    async def run() -> str | None:
        engine = create_engine(url)
        async with engine.connect() as conn:
            value = await conn.scalar(select(ProjectRecord.generated_at))
        await engine.dispose()
        return value

    return asyncio.run(run())


def _reset(url: str) -> None:
    async def run() -> None:
        engine = create_engine(url)
        tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
        async with engine.begin() as conn:
            for table in tables:
                await conn.execute(text(f'DELETE FROM "{table}"'))
        await engine.dispose()

    asyncio.run(run())


class TestEqualContent:
    def test_restamped_input_is_written_as_equal(self, clean_database: str) -> None:
        first = ingest(clean_database, artifacts())
        again = ingest(clean_database, _restamped(artifacts(), "2031-01-01T00:00:00Z"))
        assert again["stats"]["equal_to_job"] == first["job_id"]
        assert "identical_to_job" not in again["stats"]
        assert again["stats"]["totals"] == first["stats"]["totals"]
        assert again["stats"]["content_fingerprint"] == first["stats"]["content_fingerprint"]
        assert again["stats"]["input_fingerprint"] != first["stats"]["input_fingerprint"]
        for kind in ("capsules", "columns", "tests", "lineage_edges", "column_lineage_edges", "tag_links"):
            assert again["stats"][kind] == {"created": 0, "updated": 0, "deleted": 0}, kind
        assert generated_at(clean_database) == "2031-01-01T00:00:00Z"
        coverage = again["stats"]["column_lineage"]  # nothing derived: every model's lineage kept
        models = first["stats"]["column_lineage"]["models"]
        assert models > 0
        assert (coverage["derived"], coverage["reused"]) == (0, models)

    def test_the_store_ends_as_a_full_parse_would_leave_it(self, clean_database: str) -> None:
        restamped = _restamped(artifacts(), "2031-01-01T00:00:00Z")
        ingest(clean_database, artifacts())
        assert "equal_to_job" in ingest(clean_database, restamped)["stats"]
        after_equal = state(clean_database)
        _reset(clean_database)
        ingest(clean_database, restamped)  # the same input, parsed and written in full
        assert state(clean_database) == after_equal

    def test_equal_then_identical_then_equal_again(self, clean_database: str) -> None:
        first = ingest(clean_database, artifacts())
        restamped = _restamped(artifacts(), "2031-01-01T00:00:00Z")
        equal = ingest(clean_database, restamped)
        identical = ingest(clean_database, restamped)
        assert identical["stats"]["identical_to_job"] == equal["job_id"]
        assert "equal_to_job" not in identical["stats"]
        back = ingest(clean_database, artifacts())
        assert back["stats"]["equal_to_job"] == identical["job_id"]
        assert back["stats"]["content_fingerprint"] == first["stats"]["content_fingerprint"]
        assert generated_at(clean_database) == artifacts()["manifest"]["metadata"]["generated_at"]

    def test_a_content_change_with_new_stamps_takes_the_full_path(self, clean_database: str) -> None:
        ingest(clean_database, artifacts())
        changed = _restamped(artifacts(), "2031-01-01T00:00:00Z")
        changed["catalog"]["nodes"]["model.jaffle_shop.orders"]["columns"]["amount"]["type"] = "DECIMAL(18,2)"
        job = ingest(clean_database, changed)
        assert "equal_to_job" not in job["stats"]
        assert job["stats"]["columns"] == {"created": 0, "updated": 1, "deleted": 0}

    def test_new_run_results_take_the_full_path(self, clean_database: str) -> None:
        ingest(clean_database, artifacts())
        body = _restamped(artifacts(), "2031-01-01T00:00:00Z")
        body["run_results"]["metadata"]["invocation_id"] = "a-later-run"
        job = ingest(clean_database, body)
        assert "equal_to_job" not in job["stats"]

    @pytest.mark.parametrize("other_rules", [LayerRules(prefixes=(("zzz_", Layer.GOLD),))])
    def test_other_layer_rules_take_the_full_path(self, clean_database: str, other_rules: LayerRules) -> None:
        ingest(clean_database, artifacts())
        job = ingest(clean_database, _restamped(artifacts(), "2031-01-01T00:00:00Z"), layer_rules=other_rules)
        assert "equal_to_job" not in job["stats"]
