"""GroupCommit on a real database: batches, a constraint violation split off, outages, the bump."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from dab.api.group_commit import GroupCommit
from dab.errors import DabError, NotFound
from dab.storage.db import create_engine, make_session_factory
from dab.storage.records import TagRecord, new_uuid


async def _add_tags(session: AsyncSession, names: Sequence[str]) -> list[str | DabError]:
    """One tag per name (category ``g``); ``missing`` is a NotFound that writes nothing."""
    out: list[str | DabError] = []
    for name in names:
        if name == "missing":
            out.append(NotFound("no such thing"))
            continue
        row = {"id": new_uuid(), "urn": f"urn:dab:tag:g:{name}", "name": name, "category": "g"}
        await session.execute(insert(TagRecord).values(**row))
        out.append(name)
    return out


async def _stored(factory: object) -> set[str]:
    async with factory() as session:  # type: ignore[operator]
        return set(await session.scalars(select(TagRecord.name).where(TagRecord.category == "g")))


def _run(
    clean_database: str, names: Sequence[str], work: object = _add_tags
) -> tuple[list[object], int, int, set[str]]:
    """Submit ``names`` at once; (outcome or exception per name, batches, bumps, stored names)."""

    async def main() -> tuple[list[object], int, int, set[str]]:
        engine = create_engine(clean_database)
        factory = make_session_factory(engine)
        bumps = 0

        async def bump() -> None:
            nonlocal bumps
            bumps += 1

        writer: GroupCommit[AsyncSession, str, str] = GroupCommit(factory.begin, work, on_commit=bump)  # type: ignore[arg-type]
        try:
            async with factory.begin() as session:  # a name already taken: the unique key
                await _add_tags(session, ["taken"])
            outcomes = await asyncio.gather(*(writer.submit(n) for n in names), return_exceptions=True)
            return list(outcomes), writer.batches, bumps, await _stored(factory)
        finally:
            await writer.close()
            await engine.dispose()

    return asyncio.run(main())


class TestGroupCommit:
    def test_items_waiting_together_share_one_transaction(self, clean_database: str) -> None:
        outcomes, batches, bumps, stored = _run(clean_database, ["a", "b", "missing", "c"])
        assert outcomes[:2] == ["a", "b"] and outcomes[3] == "c"
        assert isinstance(outcomes[2], NotFound)
        assert (batches, bumps) == (1, 1)
        assert stored == {"taken", "a", "b", "c"}

    def test_a_batch_of_only_invalid_items_bumps_nothing(self, clean_database: str) -> None:
        outcomes, batches, bumps, _ = _run(clean_database, ["missing", "missing"])
        assert all(isinstance(o, NotFound) for o in outcomes)
        assert (batches, bumps) == (1, 0)

    def test_a_constraint_violation_fails_only_its_own_item(self, clean_database: str) -> None:
        outcomes, batches, bumps, stored = _run(clean_database, ["a", "taken", "b", "c"])
        assert [outcomes[0], outcomes[2], outcomes[3]] == ["a", "b", "c"]
        assert isinstance(outcomes[1], IntegrityError)
        assert batches == 1 + 4  # the failed batch, then each item alone
        assert bumps == 3
        assert stored == {"taken", "a", "b", "c"}

    def test_a_database_error_reaches_every_item_and_writes_nothing(self, clean_database: str) -> None:
        async def broken(session: AsyncSession, names: Sequence[str]) -> list[str | DabError]:
            out = await _add_tags(session, names)
            await session.execute(text("SELECT * FROM no_such_table"))
            return out

        outcomes, batches, bumps, stored = _run(clean_database, ["a", "b"], broken)
        assert all(isinstance(o, DBAPIError) for o in outcomes)
        assert (batches, bumps, stored) == (1, 0, {"taken"})

    @pytest.mark.parametrize("size", [1, 300])
    def test_batches_are_bounded(self, clean_database: str, size: int) -> None:
        names = [f"n{i}" for i in range(size)]
        outcomes, batches, _, stored = _run(clean_database, names)
        assert outcomes == names
        assert batches == (size + 255) // 256
        assert stored == {"taken", *names}

    def test_a_failing_cache_bump_still_answers_the_committed_batch(self, clean_database: str) -> None:
        async def main() -> tuple[list[object], set[str]]:
            engine = create_engine(clean_database)
            factory = make_session_factory(engine)

            async def bump() -> None:
                raise ConnectionError("cache down")

            writer: GroupCommit[AsyncSession, str, str] = GroupCommit(
                factory.begin, _add_tags, on_commit=bump
            )
            try:
                outcomes = await asyncio.wait_for(asyncio.gather(writer.submit("a"), writer.submit("b")), 30)
                again = await asyncio.wait_for(writer.submit("c"), 30)  # the writer still runs
                return [*outcomes, again], await _stored(factory)
            finally:
                await writer.close()
                await engine.dispose()

        outcomes, stored = asyncio.run(main())
        assert outcomes == ["a", "b", "c"]
        assert stored == {"a", "b", "c"}
