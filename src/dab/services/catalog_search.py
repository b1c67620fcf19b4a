"""Search by name across capsules, columns, tags, products and domains.

Ranking (case-insensitive): exact name (score 1.0) > prefix (0.75) > substring (0.5); within
a tier shorter names first, then by kind and name, so results are deterministic.
"""

from __future__ import annotations

from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from dab.errors import InvalidInput
from dab.storage.repositories.search import SEARCHABLE, SearchRepository

SearchKind = Literal["capsule", "column", "tag", "product", "domain"]
SCORES = (1.0, 0.75, 0.5)
MATCHES = ("exact", "prefix", "contains")
KIND_ORDER = {kind: i for i, kind in enumerate(SEARCHABLE)}


def _hit(kind: str, row: dict[str, Any]) -> dict[str, Any]:
    rank = int(row["rank"])
    return {
        "kind": kind,
        "urn": row["urn"],
        "name": row["name"],
        "context": row["context"],
        "score": SCORES[rank],
        "match": MATCHES[rank],
    }


async def search_catalog(
    session: AsyncSession, query: str, *, limit: int = 20, kind: SearchKind | None = None
) -> dict[str, Any]:
    text = query.strip()
    if not text:
        raise InvalidInput("q must contain a non-blank character", location="query.q")
    repo = SearchRepository(session)
    hits: list[dict[str, Any]] = []
    found = await repo.search([kind] if kind else list(SEARCHABLE), text, limit=limit)
    for name, rows in found.items():
        hits.extend(_hit(name, row) for row in rows)
    hits.sort(key=lambda h: (-h["score"], len(h["name"]), KIND_ORDER[h["kind"]], h["name"], h["urn"]))
    return {"query": text, "kind": kind, "limit": limit, "data": hits[:limit]}
