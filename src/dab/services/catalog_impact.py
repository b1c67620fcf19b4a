"""Impact analysis: what is downstream of a capsule, how it is reached, and whom to tell."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from dab.errors import NotFound
from dab.services.catalog_lineage import Walk, check_depth, walk
from dab.storage.repositories.capsules import CapsuleRepository
from dab.storage.repositories.lineage import LineageRepository


def _path(result: Walk, urn: str) -> list[str]:
    """One shortest path root -> urn (BFS parents), as a list of URNs."""
    path = [urn]
    while path[-1] in result.parent:
        path.append(result.parent[path[-1]])
    return path[::-1]


def _owners(impacted: list[dict[str, Any]]) -> list[dict[str, Any]]:
    owned: dict[str, list[str]] = {}
    for item in impacted:
        if item.get("owner"):
            owned.setdefault(item["owner"], []).append(item["urn"])
    return [{"owner": owner, "capsules": sorted(urns)} for owner, urns in sorted(owned.items())]


async def capsule_impact(
    session: AsyncSession, urn: str, *, depth: int | None, max_depth: int
) -> dict[str, Any]:
    """Every downstream capsule (exposures included) within ``depth`` (default: the maximum)."""
    depth = max_depth if depth is None else depth
    check_depth(depth, max_depth)
    capsules = CapsuleRepository(session)
    if not await capsules.exists(urn):
        raise NotFound(f"capsule {urn!r} not found")
    result = await walk(LineageRepository(session), urn, "downstream", depth)
    details = await capsules.summaries(result.distance)
    impacted = [
        {**details.get(node, {"urn": node}), "distance": d, "path": _path(result, node)}
        for node, d in result.distance.items()
        if node != urn
    ]
    impacted.sort(key=lambda n: (n["distance"], n["urn"]))
    return {
        "root": urn,
        "depth": depth,
        "total": len(impacted),
        "impacted": impacted,
        "owners": _owners(impacted),
    }
