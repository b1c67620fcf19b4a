"""The cache generation rows a committed write changes: both tokens for a graph write, only the
catalog token otherwise, in one statement either way (a round trip per writing commit)."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import event

from dab.storage.db import create_engine, make_session_factory
from dab.storage.generation import note_write, read_generation, read_graph_token


async def _tokens(factory: Any) -> tuple[str | None, str | None]:
    async with factory() as session:
        return (await read_generation(session))[0], await read_graph_token(session)


async def _write(factory: Any, *, graph: bool) -> None:
    async with factory.begin() as session:
        await session.run_sync(lambda s: note_write(s.connection(), graph=graph))


def test_one_statement_bumps_the_tokens_a_write_retires(clean_database: str) -> None:
    async def go() -> list[tuple[str | None, str | None]]:
        engine = create_engine(clean_database)
        statements: list[str] = []

        @event.listens_for(engine.sync_engine, "before_cursor_execute")
        def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            if "cache_generation" in statement and not statement.lstrip().upper().startswith("SELECT"):
                statements.append(statement)

        factory = make_session_factory(engine)
        try:
            states = [await _tokens(factory)]
            for graph in (True, False, True):
                await _write(factory, graph=graph)
                states.append(await _tokens(factory))
            assert len(statements) == 3, statements
            return states
        finally:
            await engine.dispose()

    before, graph_write, catalog_write, second_graph_write = asyncio.run(go())
    assert before == (None, None)
    assert None not in graph_write
    assert catalog_write[0] != graph_write[0] and catalog_write[1] == graph_write[1]
    assert second_graph_write[0] != catalog_write[0] and second_graph_write[1] != catalog_write[1]
