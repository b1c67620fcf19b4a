"""Lineage around a capsule or a column: breadth-first, one SQL batch per level.

Distances are signed: upstream nodes are negative (-1 feeds the root directly), downstream
nodes positive, the root 0. In a cycle a node can be both; it is reported once, at the
smaller absolute distance (downstream on a tie). Every stored edge between two returned
nodes is returned, so the nodes and edges form an induced subgraph.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from dab.errors import InvalidInput, NotFound
from dab.storage.repositories.capsules import CapsuleRepository
from dab.storage.repositories.columns import ColumnRepository
from dab.storage.repositories.lineage import Direction, LineageRepository

LineageDirection = Literal["upstream", "downstream", "both"]


@dataclass(slots=True)
class Walk:
    """Nodes reached from the root: distance and the node each was first reached from."""

    distance: dict[str, int]
    parent: dict[str, str] = field(default_factory=dict)


def check_depth(depth: int, max_depth: int) -> None:
    if not 1 <= depth <= max_depth:
        raise InvalidInput(
            f"depth must be between 1 and {max_depth} (DAB_LINEAGE_MAX_DEPTH), got {depth}",
            location="query.depth",
        )


async def walk(repo: LineageRepository, root: str, direction: Direction, depth: int) -> Walk:
    """BFS up to ``depth`` levels; visited nodes are never expanded twice, so cycles end."""
    result = Walk(distance={root: 0})
    frontier = [root]
    for level in range(1, depth + 1):
        if not frontier:
            break
        reached: list[str] = []
        for source, target, _ in await repo.neighbours(frontier, direction):
            here, there = (source, target) if direction == "downstream" else (target, source)
            if there not in result.distance:
                result.distance[there] = level
                result.parent[there] = here
                reached.append(there)
        frontier = reached
    return result


async def _signed_distances(
    repo: LineageRepository, root: str, direction: LineageDirection, depth: int
) -> dict[str, int]:
    wanted: list[Direction] = ["upstream", "downstream"] if direction == "both" else [direction]
    reached = await repo.reach(root, wanted, depth)
    distances: dict[str, int] = {}
    for urn, d in reached.get("upstream", {}).items():
        distances[urn] = -d
    for urn, d in reached.get("downstream", {}).items():
        if urn not in distances or d <= -distances[urn]:
            distances[urn] = d
    return distances


async def _lineage(
    repo: LineageRepository, root: str, direction: LineageDirection, depth: int
) -> tuple[dict[str, int], list[dict[str, str]]]:
    distances = await _signed_distances(repo, root, direction, depth)
    return distances, await _edges(repo, distances)


async def _edges(repo: LineageRepository, distances: dict[str, int]) -> list[dict[str, str]]:
    return [{"source": s, "target": t, "kind": k} for s, t, k in await repo.edges_among(distances)]


def _nodes(distances: dict[str, int], details: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    nodes = [{**details.get(urn, {"urn": urn}), "distance": d} for urn, d in distances.items()]
    nodes.sort(key=lambda n: (n["distance"], n["urn"]))
    return nodes


async def capsule_distances(
    session: AsyncSession, urn: str, *, direction: LineageDirection, depth: int, max_depth: int
) -> dict[str, int]:
    """The signed distance of every capsule within ``depth`` of ``urn`` (the root included)."""
    check_depth(depth, max_depth)
    if not await CapsuleRepository(session).exists(urn):
        raise NotFound(f"capsule {urn!r} not found")
    return await _signed_distances(LineageRepository(session), urn, direction, depth)


async def capsule_lineage(
    session: AsyncSession, urn: str, *, direction: LineageDirection, depth: int, max_depth: int
) -> dict[str, Any]:
    check_depth(depth, max_depth)
    lineage = LineageRepository(session)
    distances = await _signed_distances(lineage, urn, direction, depth)
    # The root's own summary says whether it exists: no separate existence query.
    details = await CapsuleRepository(session).summaries(distances)
    if urn not in details:
        raise NotFound(f"capsule {urn!r} not found")
    edges = await _edges(lineage, distances)
    nodes = _nodes(distances, details)
    return {"root": urn, "direction": direction, "depth": depth, "nodes": nodes, "edges": edges}


async def column_lineage(
    session: AsyncSession, urn: str, *, direction: LineageDirection, depth: int, max_depth: int
) -> dict[str, Any]:
    """Column-level lineage; empty (just the root) until column lineage has been computed."""
    check_depth(depth, max_depth)
    columns = ColumnRepository(session)
    if not await columns.exists(urn):
        raise NotFound(f"column {urn!r} not found")
    distances, edges = await _lineage(LineageRepository(session, level="column"), urn, direction, depth)
    nodes = _nodes(distances, await columns.summaries(distances))
    return {"root": urn, "direction": direction, "depth": depth, "nodes": nodes, "edges": edges}
