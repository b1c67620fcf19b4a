"""Direct tag-link batches (``storage/tag_links_direct``) against the ORM path, on a real database.

SQLite file by default, PostgreSQL when DAB_TEST_DATABASE_URL is set: the same answers as a
``TagRepository`` in a session, both generation rows moved once per writing batch, rollback
on an error, and driver errors turned into SQLAlchemy's.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC
from typing import Any, TypeVar

import pytest
from sqlalchemy import delete, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from dab.errors import DabError, NotFound
from dab.platform.metrics import REGISTRY
from dab.services.governance_tag_links import TagLink, apply_tags
from dab.storage.db import create_engine, make_session_factory
from dab.storage.generation import GRAPH_ROW_ID, ROW_ID, local_commits, read_generation
from dab.storage.records import CapsuleRecord, CapsuleTagRecord, ColumnRecord, TagRecord, new_uuid
from dab.storage.repositories.tags import TagRepository
from dab.storage.tag_links_direct import as_sqlalchemy_error, direct_tag_links

T = TypeVar("T")
URNS = [f"urn:dab:dbt:model:p:m{n}" for n in range(4)]
COLUMN = "urn:dab:dbt:column:p:m0.c"


def _run(
    clean_database: str, body: Callable[[AsyncEngine, async_sessionmaker[AsyncSession]], Awaitable[T]]
) -> T:
    async def main() -> T:
        engine = create_engine(clean_database, statement_timeout=1.0)
        try:
            return await body(engine, make_session_factory(engine))
        finally:
            await engine.dispose()

    return asyncio.run(main())


async def _seed(factory: async_sessionmaker[AsyncSession], tags: int = 2) -> tuple[list[int], list[str]]:
    """Capsules ``URNS`` and ``tags`` tags: (capsule ids, tag ids)."""
    async with factory.begin() as session:
        for urn in URNS:
            name = urn.rsplit(":", 1)[1]
            session.add(
                CapsuleRecord(
                    urn=urn, project="p", capsule_type="model", namespace="p", name=name, content_hash="h"
                )
            )
        session.add(ColumnRecord(urn=COLUMN, project="p", capsule_urn=URNS[0], name="c", content_hash="h"))
        tag_ids = [new_uuid() for _ in range(tags)]
        for n, tag_id in enumerate(tag_ids):
            session.add(
                TagRecord(id=tag_id, urn=f"urn:dab:tag:general:d{n}", name=f"d{n}", category="general")
            )
    async with factory() as session:
        ids = list(await session.scalars(select(CapsuleRecord.id).order_by(CapsuleRecord.urn)))
    return ids, tag_ids


@asynccontextmanager
async def _session_links(factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[TagRepository]:
    async with factory.begin() as session:
        yield TagRepository(session)


def _batch(ids: list[int], tag: str) -> list[TagLink]:
    return [
        TagLink("capsule", URNS[0], tag, "ann"),
        TagLink("capsule", str(ids[1]), tag),
        TagLink("capsule", URNS[0], tag, "bob"),  # the same pair again: existing, as if sequential
        TagLink("capsule", "urn:dab:dbt:model:p:nope", tag),
        TagLink("capsule", URNS[2], "urn:dab:tag:general:nope"),
        TagLink("capsule", "999999", tag),
        TagLink("capsule", URNS[3], tag, "cy"),
        TagLink("column", COLUMN, tag, "dee"),
        TagLink("column", URNS[0], tag),  # a capsule's URN is no column
    ]


def _comparable(outcome: Any, tag: str) -> Any:
    if isinstance(outcome, DabError):
        return type(outcome).__name__, str(outcome).replace(tag, "T")
    out, created = outcome
    assert out["added_at"].tzinfo is not None
    return {k: v for k, v in out.items() if k not in ("tag_id", "tag_urn", "added_at")}, created


class TestSameAnswersAsTheSession:
    def test_a_mixed_batch(self, clean_database: str) -> None:
        async def body(engine: AsyncEngine, factory: async_sessionmaker[AsyncSession]) -> None:
            ids, (direct_tag, session_tag) = await _seed(factory)
            async with _session_links(factory) as links:  # one link exists before the batch
                await apply_tags(links, [TagLink("capsule", URNS[3], direct_tag, "old")])
                await apply_tags(links, [TagLink("capsule", URNS[3], session_tag, "old")])
            async with direct_tag_links(engine, lambda: _session_links(factory)) as links:
                direct = await apply_tags(links, _batch(ids, direct_tag))
            async with _session_links(factory) as links:
                by_session = await apply_tags(links, _batch(ids, session_tag))
            assert [_comparable(o, direct_tag) for o in direct] == [
                _comparable(o, session_tag) for o in by_session
            ]
            assert [type(o) for o in direct[3:6]] == [NotFound] * 3
            async with factory() as session:  # stored as the ORM stores and reads it
                stored = {
                    (row.capsule_urn, row.added_by): row.added_at
                    for row in await session.scalars(
                        select(CapsuleTagRecord).where(CapsuleTagRecord.tag_id == direct_tag)
                    )
                }
            answered = {(o[0]["capsule_urn"], o[0]["added_by"]): o[0]["added_at"] for o in direct[:3]}
            assert answered == {key: stored[key] for key in answered}
            assert all(at.tzinfo == UTC for at in stored.values())

        _run(clean_database, body)


class TestTransaction:
    def test_a_writing_batch_moves_both_generations_once_and_counts_a_commit(
        self, clean_database: str
    ) -> None:
        async def body(engine: AsyncEngine, factory: async_sessionmaker[AsyncSession]) -> list[bool]:
            ids, (tag, _) = await _seed(factory)
            moved = []
            for batch in (_batch(ids, tag), [TagLink("capsule", URNS[0], "urn:dab:tag:general:nope")]):
                async with factory() as session:
                    before = (
                        await read_generation(session, ROW_ID),
                        await read_generation(session, GRAPH_ROW_ID),
                    )
                commits = local_commits()
                async with direct_tag_links(engine, lambda: _session_links(factory)) as links:
                    await apply_tags(links, batch)
                async with factory() as session:
                    after = (
                        await read_generation(session, ROW_ID),
                        await read_generation(session, GRAPH_ROW_ID),
                    )
                moved.append(all(a[0] != b[0] for a, b in zip(after, before, strict=True)))
                assert local_commits() - commits == (1 if moved[-1] else 0)
            return moved

        assert _run(clean_database, body) == [True, False]  # the second batch wrote nothing

    def test_an_error_in_the_batch_rolls_everything_back(self, clean_database: str) -> None:
        async def body(engine: AsyncEngine, factory: async_sessionmaker[AsyncSession]) -> int:
            _, (tag, _) = await _seed(factory)

            async def failing() -> None:
                async with direct_tag_links(engine, lambda: _session_links(factory)) as links:
                    await links.add_links("capsule", [(URNS[0], tag, None)])
                    raise RuntimeError("after the insert")

            with pytest.raises(RuntimeError):
                await failing()
            async with factory() as session:
                return len(list(await session.scalars(select(CapsuleTagRecord.id))))

        assert _run(clean_database, body) == 0

    def test_a_tag_removed_under_the_batch_is_an_integrity_error(self, clean_database: str) -> None:
        if make_url(clean_database).get_backend_name() == "sqlite":
            pytest.skip("SQLite: the batch holds the write lock from its first look-up on")

        async def body(engine: AsyncEngine, factory: async_sessionmaker[AsyncSession]) -> None:
            _, (tag, _) = await _seed(factory)

            async def raced() -> None:
                async with direct_tag_links(engine, lambda: _session_links(factory)) as links:
                    assert tag in await links.refs({tag})
                    async with factory.begin() as other:
                        await other.execute(delete(TagRecord).where(TagRecord.id == tag))
                    await links.add_links("capsule", [(URNS[0], tag, None)])

            with pytest.raises(IntegrityError):
                await raced()

        _run(clean_database, body)

    def test_a_locked_database_is_an_outage_and_the_connection_is_not_reused(
        self, clean_database: str
    ) -> None:
        url = make_url(clean_database)
        if url.get_backend_name() != "sqlite":
            pytest.skip("SQLite's write lock")

        async def body(engine: AsyncEngine, factory: async_sessionmaker[AsyncSession]) -> list[Any]:
            _, (tag, _) = await _seed(factory)
            blocker = sqlite3.connect(str(url.database), isolation_level=None)
            blocker.execute("BEGIN IMMEDIATE")
            try:
                with pytest.raises(OperationalError):
                    async with direct_tag_links(engine, lambda: _session_links(factory)) as links:
                        await links.refs({tag})
            finally:
                blocker.execute("ROLLBACK")
                blocker.close()
            async with direct_tag_links(engine, lambda: _session_links(factory)) as links:
                return await apply_tags(links, [TagLink("capsule", URNS[0], tag)])

        (outcome,) = _run(clean_database, body)
        assert not isinstance(outcome, DabError) and outcome[1] is True


class TestDriverErrors:
    @pytest.mark.parametrize(
        ("error", "expected"),
        [
            (sqlite3.IntegrityError("FOREIGN KEY constraint failed"), IntegrityError),
            (sqlite3.OperationalError("database is locked"), OperationalError),
            (sqlite3.ProgrammingError("bad"), DBAPIError),
            (ConnectionResetError("reset"), OperationalError),
        ],
    )
    def test_become_sqlalchemys(self, error: BaseException, expected: type[BaseException]) -> None:
        translated = as_sqlalchemy_error(error)
        assert type(translated) is expected
        assert translated.orig is error  # type: ignore[attr-defined]

    def test_others_pass_through(self) -> None:
        error = ValueError("not the database's")
        assert as_sqlalchemy_error(error) is error


class TestQueryMetrics:
    def test_driver_statements_are_timed_like_the_engines(self, clean_database: str) -> None:
        """The batches bypass SQLAlchemy's cursor events; each driver call still lands in
        ``dab_db_query_duration_seconds`` (one look-up: one sample; a writing batch: its
        look-ups, its insert and its commit)."""

        def samples() -> float:
            value = REGISTRY.get_sample_value("dab_db_query_duration_seconds_count")
            return value or 0.0

        async def body(engine: AsyncEngine, factory: async_sessionmaker[AsyncSession]) -> tuple[float, float]:
            _, (tag, _) = await _seed(factory)
            async with direct_tag_links(engine, lambda: _session_links(factory)) as links:
                before = samples()
                await links.refs({tag})
                one_look_up = samples() - before
                await links.add_links("capsule", [(URNS[0], tag, None)])
            return one_look_up, samples() - before

        one_look_up, whole_batch = _run(clean_database, body)
        assert one_look_up == 1
        assert whole_batch >= 3
