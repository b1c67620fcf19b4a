"""Name search over capsules, columns, tags, products and domains, ranked in SQL.

Two steps per kind: rank the *distinct* matching names, then fetch the rows carrying the best
names through the name index. Column names repeat a lot (200k columns of a 10k-model project
share ~100 names), so their distinct names come from a loose index scan (a recursive CTE that
seeks to the next name: one index probe per distinct name) instead of a scan of every row.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from dab.storage.records import CapsuleRecord, ColumnRecord, DataProductRecord, DomainRecord, TagRecord
from dab.storage.repositories._core import run
from dab.storage.repositories._text import icontains, istartswith
from dab.storage.search_index import FTS_TABLES, fts_match, uses_fts

EXACT, PREFIX, CONTAINS = 0, 1, 2

# kind -> (urn, name, context): context says where the hit lives (capsule type, owning capsule...).
SEARCHABLE: dict[str, tuple[Any, Any, Any]] = {
    "capsule": (CapsuleRecord.urn, CapsuleRecord.name, CapsuleRecord.capsule_type),
    "column": (ColumnRecord.urn, ColumnRecord.name, ColumnRecord.capsule_urn),
    "tag": (TagRecord.urn, TagRecord.name, TagRecord.category),
    "product": (DataProductRecord.urn, DataProductRecord.name, DataProductRecord.owner),
    "domain": (DomainRecord.urn, DomainRecord.name, DomainRecord.owner),
}


def _rank(name: Any, query: str) -> Any:
    return case(
        (func.lower(name) == query.lower(), literal(EXACT)),
        (istartswith(name, query), literal(PREFIX)),
        else_=literal(CONTAINS),
    )


REPETITIVE_NAMES = frozenset({"column"})


def _distinct_names(name: Any, query: str, *, loose: bool, fts: bool) -> Any:
    if not loose:
        # Capsules have an FTS table on SQLite; its name field answers the match.
        indexed = (
            fts_match(name.table.c.id, query, field="name") if fts and name.table.name in FTS_TABLES else None
        )
        matched = icontains(name, query) if indexed is None else indexed
        return select(name.label("name")).where(matched).distinct().subquery()
    names = select(func.min(name).label("name")).cte("names", recursive=True)
    following = select(func.min(name)).where(name > names.c.name).scalar_subquery()
    names = names.union_all(select(following).where(names.c.name.is_not(None)))
    return select(names.c.name).where(names.c.name.is_not(None), icontains(names.c.name, query)).subquery()


def _kind_hits(kind: str, query: str, *, limit: int, fts: bool) -> Any:
    """The best ``limit`` hits of one kind: the best distinct names (exact, then prefix, then
    substring; shorter first), then the rows carrying them through the name index."""
    urn, name, context = SEARCHABLE[kind]
    names = _distinct_names(name, query, loose=kind in REPETITIVE_NAMES, fts=fts)
    rank = _rank(names.c.name, query)
    best = select(names.c.name).order_by(rank, func.length(names.c.name), names.c.name).limit(limit)
    row_rank = _rank(name, query).label("rank")
    hits = (
        select(literal(kind).label("kind"), urn.label("urn"), name.label("name"))
        .add_columns(context.label("context"), row_rank)
        .where(name.in_(best))
        .order_by(row_rank, func.length(name), name, urn)
        .limit(limit)
    )
    return select(hits.subquery())


class SearchRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def search(self, kinds: list[str], query: str, *, limit: int) -> dict[str, list[dict[str, Any]]]:
        """The best ``limit`` hits of each kind, all kinds in one statement (one round trip where
        one kind at a time made two each: up to ten per search)."""
        fts = uses_fts(self._session)
        parts = [_kind_hits(kind, query, limit=limit, fts=fts) for kind in kinds]
        stmt: Any = parts[0] if len(parts) == 1 else union_all(*parts)
        out: dict[str, list[dict[str, Any]]] = {kind: [] for kind in kinds}
        for row in (await run(self._session, stmt)).mappings():
            out[row["kind"]].append({key: row[key] for key in ("urn", "name", "context", "rank")})
        return out
