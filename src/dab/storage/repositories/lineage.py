"""Lineage edges, fetched one BFS level at a time (``WHERE source_urn IN (...)``)."""

from __future__ import annotations

from collections.abc import Collection
from functools import lru_cache
from typing import Any, Literal

from sqlalchemy import String, bindparam, func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from dab.storage.records import CapsuleLineageRecord, ColumnLineageRecord
from dab.storage.repositories._core import run
from dab.storage.repositories._text import chunked

Direction = Literal["upstream", "downstream"]
Edge = tuple[str, str, str]
"""(source_urn, target_urn, kind): data flows from source (upstream) to target (downstream)."""


class LineageRepository:
    """Edges of one level: ``capsule`` (FLOWS_TO) or ``column`` (DERIVED_FROM)."""

    def __init__(self, session: AsyncSession, *, level: Literal["capsule", "column"] = "capsule") -> None:
        self._session = session
        self._level = level

    async def neighbours(self, urns: Collection[str], direction: Direction) -> list[Edge]:
        """Edges entering (upstream) or leaving (downstream) any of ``urns``, in a stable order."""
        stmt = _neighbours_statement(self._level, direction)
        edges: list[Edge] = []
        for batch in chunked(sorted(urns)):
            edges.extend((s, t, k) for s, t, k in (await run(self._session, stmt, {"urns": batch})).all())
        edges.sort()
        return edges

    async def edges_among(self, urns: Collection[str]) -> list[Edge]:
        """Every edge whose two ends are both in ``urns``."""
        wanted = set(urns)
        return [edge for edge in await self.neighbours(wanted, "downstream") if edge[1] in wanted]

    async def reach(
        self, root: str, directions: Collection[Direction], depth: int
    ) -> dict[Direction, dict[str, int]]:
        """For each direction, every node within ``depth`` edges of ``root`` and its shortest
        distance (the root at 0): one recursive query for all directions, where a level-by-level
        walk makes one round trip per level and direction."""
        out: dict[Direction, dict[str, int]] = {direction: {} for direction in directions}
        if directions:
            stmt = _reach_statement(self._level, tuple(directions), depth)
            for direction, urn, distance in (await run(self._session, stmt, {"root": root})).all():
                out[direction][urn] = int(distance)
        return out


_ENDS: dict[str, tuple[Any, Any]] = {
    "capsule": (CapsuleLineageRecord.source_urn, CapsuleLineageRecord.target_urn),
    "column": (ColumnLineageRecord.source_urn, ColumnLineageRecord.target_urn),
}
_KINDS: dict[str, Any] = {
    "capsule": CapsuleLineageRecord.edge_type,
    "column": ColumnLineageRecord.transformation,
}


@lru_cache(maxsize=4)
def _neighbours_statement(level: str, direction: Direction) -> Any:
    """Edges entering or leaving the ``urns`` list (an expanding parameter), built once per
    shape: building the select per request cost more Python than running it."""
    source, target = _ENDS[level]
    anchor = target if direction == "upstream" else source
    return select(source, target, _KINDS[level]).where(anchor.in_(bindparam("urns", expanding=True)))


@lru_cache(maxsize=256)
def _reach_statement(level: str, directions: tuple[Direction, ...], depth: int) -> Any:
    """The recursive query behind ``reach``, built once per shape (the root is the ``root``
    parameter): building it cost about as much Python per request as running it."""
    source, target = _ENDS[level]
    root: Any = bindparam("root", type_=String)
    parts = []
    for direction in directions:
        near, far = (target, source) if direction == "upstream" else (source, target)
        seed = select(root.label("urn"), literal(0).label("d")).cte(f"reach_{direction}", recursive=True)
        step = select(far, seed.c.d + 1).join(seed, near == seed.c.urn).where(seed.c.d < depth)
        reached = seed.union(step)  # UNION: each (node, distance) once, so cycles end at depth
        parts.append(
            select(literal(direction).label("direction"), reached.c.urn, func.min(reached.c.d)).group_by(
                reached.c.urn
            )
        )
    return parts[0] if len(parts) == 1 else union_all(*parts)
