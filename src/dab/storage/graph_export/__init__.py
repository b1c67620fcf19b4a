"""The property graph as one ordered stream of nodes then edges, read set-based and streamed.

Every node and edge query carries the same scope predicate (filters, or an explicit set of
capsule URNs for a lineage subgraph), so an edge is emitted exactly when both of its ends are:
a subgraph never points outside itself and keeps every edge among its nodes. Rows are fetched
in server-side batches (``yield_per``), so memory does not grow with the graph. Order is fixed
(label, then URN; edge type, then ends), so the same graph always gives the same stream.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

from sqlalchemy.ext.asyncio import AsyncSession

from dab.export.model import Item
from dab.storage.graph_export import _queries as q
from dab.storage.graph_export._scope import ExportScope, Predicates

BATCH = 2_000


class GraphExportReader:
    def __init__(self, session: AsyncSession, scope: ExportScope) -> None:
        self._session = session
        self._scope = scope
        self._where = Predicates(scope)

    async def batches(self) -> AsyncIterator[list[Item]]:
        """Nodes (domains, capsules, columns, tags, products), then edges, in a fixed order.

        A batch at a time: each step of an async result is a greenlet switch, too dear per row.
        """
        for stmt, to_item in self._queries():
            result = await self._session.stream(stmt.execution_options(yield_per=BATCH))
            async for rows in result.partitions(BATCH):
                yield [to_item(row) for row in rows]

    def _queries(self) -> Iterator[q.Query]:
        s = self._scope
        yield q.domains(self._where)
        yield q.capsules(self._where)
        if s.include_columns:
            yield q.columns(self._where)
        if s.include_tags:
            yield q.tags(self._where)
        if s.include_products:
            yield q.products(self._where)
        yield q.flows_to(self._where)
        if s.include_columns:
            yield q.contains(self._where)
            yield q.derived_from(self._where)
        yield q.capsule_domains(self._where)
        if s.include_products:
            yield q.product_domains(self._where)
        if s.include_tags:
            yield q.capsule_tags(self._where)
            if s.include_columns:
                yield q.column_tags(self._where)
        if s.include_products:
            yield q.capsule_products(self._where)


__all__ = ["ExportScope", "GraphExportReader"]
