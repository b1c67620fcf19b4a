"""SQL facts kept in the database (``sql_fact``), so no process parses SQL another has parsed.

Parsing every model's compiled SQL with sqlglot was most of the first evaluation in a fresh
process (10k models: seconds). An evaluation now reads every stored fact of the running sqlglot
version in one select before the rules run, and afterwards stores the facts it had to parse,
inside a savepoint: a failed save is logged and the evaluation goes on. Ingestion stores the
facts of the SQL its column lineage parsed (``column_lineage``), in its own transaction.

Pruning happens on save: stored facts of a digest no capsule's SQL has any more (the graph is
always the whole stored graph), and every fact of another sqlglot version, are deleted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import anyio
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from dab.domain.graph import Graph
from dab.platform.logging import get_logger
from dab.rules import sqlfacts
from dab.rules.sqlfacts import SqlFacts
from dab.storage.repositories.sql_facts import add_facts, delete_facts, stored_facts

log = get_logger("dab.conformance")


@dataclass(slots=True)
class GraphFacts:
    """The facts state of one graph object: its statements and which of them are stored."""

    graph: Graph
    statements: dict[str, str]
    """``sqlfacts.digest`` -> SQL of every capsule with compiled SQL."""
    dialect: str | None
    stored: set[str] = field(default_factory=set)
    """Digests of this sqlglot version known to be in the table (read, or saved by us)."""


_last: GraphFacts | None = None


async def load_stored_facts(session: AsyncSession, graph: Graph) -> GraphFacts:
    """Hand the stored facts to the rules before ``graph`` is evaluated; once per graph object
    (a kept graph, ``graph_memo``, is evaluated again without reading the table)."""
    global _last
    last = _last
    if last is not None and last.graph is graph:
        return last
    found = await stored_facts(session, sqlfacts.parser_version())
    sqlfacts.remember(found)
    statements = await anyio.to_thread.run_sync(sqlfacts.graph_statements, graph)
    state = GraphFacts(graph, statements, sqlfacts.graph_dialect(graph), {digest for digest, _ in found})
    _last = state
    return state


async def save_facts(
    session: AsyncSession, facts: Sequence[tuple[str, SqlFacts]], stale: Sequence[str] = ()
) -> bool:
    """Store ``facts`` and delete ``stale`` digests in a savepoint; False (logged) if it failed.

    Concurrent savers of the same digest are safe: rows go in with ``ON CONFLICT DO NOTHING``
    in key order (PostgreSQL locks them in the same order in both transactions).
    """
    if not facts and not stale:
        return True
    try:
        async with session.begin_nested():
            await add_facts(session, sqlfacts.parser_version(), facts)
            await delete_facts(session, sqlfacts.parser_version(), stale)
    except SQLAlchemyError as exc:
        log.warning("sql_facts_not_saved", error_type=type(exc).__name__, error=str(exc)[:300])
        return False
    return True


async def save_parsed_facts(session: AsyncSession, state: GraphFacts) -> None:
    """After an evaluation: store what it parsed, prune what no capsule's SQL needs any more."""
    fresh = []
    for key, sql in state.statements.items():
        if key not in state.stored:
            found = sqlfacts.memoised(sql, state.dialect)
            if found is not None:
                fresh.append((key, found))
    stale = [key for key in state.stored if key not in state.statements]
    if await save_facts(session, fresh, stale):
        state.stored.update(key for key, _ in fresh)
        state.stored.difference_update(stale)
