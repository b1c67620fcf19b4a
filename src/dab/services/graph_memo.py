"""The stored graph, kept in the process between conformance evaluations.

Loading 10k models x 20 columns is seconds of selects and object building, and most
evaluations follow no change to the graph. The graph is kept with the database's graph token
(``storage.generation.GRAPH_ROW_ID``), which every write that can change it replaces in the
write's own transaction, by any process; the token is read before the graph, so a kept graph is
never older than its token. One graph per process: the last database and token asked for.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from dab.domain.graph import Graph
from dab.storage.generation import read_graph_token
from dab.storage.graph_reader import load_graph


@dataclass(frozen=True, slots=True)
class _Kept:
    key: tuple[str, str]
    graph: Graph


_kept: _Kept | None = None


async def stored_graph(session: AsyncSession) -> Graph:
    """The whole stored graph without column lineage (no rule reads it); shared, not to be mutated."""
    global _kept
    token = await read_graph_token(session)
    if token is None:  # no graph write since the token was introduced: nothing to key it by
        return await load_graph(session, column_edges=False, for_rules=True)
    database = (await session.connection()).engine.url.render_as_string(hide_password=True)
    key = (database, token)
    kept = _kept
    if kept is not None and kept.key == key:
        return kept.graph
    graph = await load_graph(session, column_edges=False, for_rules=True)
    _kept = _Kept(key, graph)
    return graph
