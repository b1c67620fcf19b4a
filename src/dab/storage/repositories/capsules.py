"""Capsule reads: filtered pages, detail with its tags, tests and products, summaries by URN."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    String,
    bindparam,
    cast,
    exists,
    func,
    literal,
    null,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from dab.storage.records import (
    CapsuleDataProductRecord,
    CapsuleRecord,
    CapsuleTagRecord,
    DataProductRecord,
    DataTestRecord,
    SourceAssertionRecord,
    TagRecord,
    ViolationRecord,
)
from dab.storage.repositories._core import run
from dab.storage.repositories._text import chunked
from dab.storage.search_index import capped_count, capped_total, contains_text, fts_rows, uses_fts

C = CapsuleRecord
T = DataTestRecord
A = SourceAssertionRecord
V = ViolationRecord

SUMMARY_COLUMNS = (
    C.id,
    C.urn,
    C.name,
    C.capsule_type,
    C.layer,
    C.domain_name.label("domain"),
    C.owner,
    C.source,
    C.description,
    C.materialization,
    C.column_count,
    C.pii_column_count,
    C.updated_at,
)
DETAIL_COLUMNS = (
    *SUMMARY_COLUMNS,
    C.project,
    C.namespace,
    C.unique_id,
    C.layer_evidence,
    C.domain_evidence,
    C.owner_evidence,
    C.database_name,
    C.schema_name,
    C.relation_name,
    C.path,
    C.source_name,
    C.access,
    C.group_name,
    C.version,
    C.exposure_type,
    C.maturity,
    C.url,
    C.freshness,
    C.meta,
    C.last_run_status,
    C.last_run_execution_time,
    C.last_run_completed_at,
    C.created_at,
)
SORT_COLUMNS: dict[str, Any] = {
    "name": C.name,
    "urn": C.urn,
    "layer": C.layer,
    "capsule_type": C.capsule_type,
    "updated_at": C.updated_at,
}


@dataclass(frozen=True, slots=True)
class CapsuleFilters:
    layer: str | None = None
    domain: str | None = None
    capsule_type: str | None = None
    tag: str | None = None
    owner: str | None = None
    source: str | None = None
    has_pii: bool | None = None
    q: str | None = None


def _equality_conditions(f: CapsuleFilters) -> list[ColumnElement[bool]]:
    pairs = (
        (C.layer, f.layer),
        (C.domain_name, f.domain),
        (C.capsule_type, f.capsule_type),
        (C.owner, f.owner),
        (C.source, f.source),
    )
    return [column == value for column, value in pairs if value is not None]


def _conditions(f: CapsuleFilters, *, sqlite: bool) -> list[ColumnElement[bool]]:
    conditions = _equality_conditions(f)
    if f.tag is not None:
        tagged = (
            select(CapsuleTagRecord.id)
            .join(TagRecord, TagRecord.id == CapsuleTagRecord.tag_id)
            .where(CapsuleTagRecord.capsule_urn == C.urn, TagRecord.name == f.tag)
        )
        conditions.append(exists(tagged))
    if f.has_pii is not None:
        conditions.append(C.pii_column_count > 0 if f.has_pii else C.pii_column_count == 0)
    if f.q:
        fields = (C.name, C.urn, C.description)
        conditions.append(contains_text(C.id, fields, f.q, fts=sqlite, document=not sqlite))
    return conditions


def _count(filters: CapsuleFilters, conditions: list[ColumnElement[bool]], *, fts: bool) -> Any:
    """The filtered total; with a text, at most ``TEXT_TOTAL_CAP + 1`` matches are counted (a
    text-only filter counts them in the FTS table alone)."""
    if not filters.q:
        return select(func.count(C.id)).where(*conditions)
    only_text = filters == CapsuleFilters(q=filters.q)
    by_index = fts_rows(C.id, filters.q) if fts and only_text else None
    return capped_count(by_index if by_index is not None else select(C.id).where(*conditions))


class CapsuleRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def list_page(
        self, filters: CapsuleFilters, *, sort_key: str, descending: bool, limit: int, offset: int
    ) -> tuple[list[dict[str, Any]], int, bool]:
        """One page in a stable order (sort key, then id), the filtered total and whether that
        total is exact (see ``TEXT_TOTAL_CAP``)."""
        fts = uses_fts(self._session)
        conditions = _conditions(filters, sqlite=fts)
        column = SORT_COLUMNS[sort_key]
        order = (column.desc(), C.id.desc()) if descending else (column.asc(), C.id.asc())
        stmt = select(*SUMMARY_COLUMNS).where(*conditions).order_by(*order)
        rows = await self._session.execute(stmt.limit(limit).offset(offset))
        counted = int(await self._session.scalar(_count(filters, conditions, fts=fts)) or 0)
        return ([dict(r) for r in rows.mappings()], *capped_total(counted, filters.q))

    async def get_detail(self, urn: str) -> dict[str, Any] | None:
        row = (await run(self._session, _DETAIL, {"urn": urn})).mappings().first()
        return dict(row) if row is not None else None

    async def exists(self, urn: str) -> bool:
        return (await self._session.scalar(select(C.id).where(C.urn == urn))) is not None

    async def tags(self, urn: str) -> list[dict[str, Any]]:
        stmt = (
            select(TagRecord.id, TagRecord.urn, TagRecord.name, TagRecord.category, CapsuleTagRecord.origin)
            .join(TagRecord, TagRecord.id == CapsuleTagRecord.tag_id)
            .where(CapsuleTagRecord.capsule_urn == urn)
            .order_by(TagRecord.category, TagRecord.name)
        )
        return [dict(r) for r in (await self._session.execute(stmt)).mappings()]

    async def tests(self, urn: str) -> list[dict[str, Any]]:
        stmt = (
            select(T.urn, T.name, T.kind, T.column_name.label("column"), T.severity, T.status, T.executed_at)
            .where(T.capsule_urn == urn)
            .order_by(T.name, T.id)
        )
        return [dict(r) for r in (await self._session.execute(stmt)).mappings()]

    async def products(self, urn: str) -> list[dict[str, Any]]:
        stmt = (
            select(
                DataProductRecord.id,
                DataProductRecord.urn,
                DataProductRecord.name,
                CapsuleDataProductRecord.role,
            )
            .join(DataProductRecord, DataProductRecord.id == CapsuleDataProductRecord.product_id)
            .where(CapsuleDataProductRecord.capsule_urn == urn)
            .order_by(DataProductRecord.name)
        )
        return [dict(r) for r in (await self._session.execute(stmt)).mappings()]

    async def related(
        self, urn: str
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
        """``tags``, ``tests`` and ``products`` of one capsule in one round trip (UNION ALL), each
        in the order and shape of its own method."""
        tags, tests, products, _ = await self.related_and_sources(urn)
        return tags, tests, products

    async def related_and_sources(
        self, urn: str
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]], list[str]]:
        """``related`` plus the sources other than the owner's that assert the capsule (sorted),
        still one round trip: the detail read makes two, not four."""
        tags: list[dict[str, Any]] = []
        tests: list[dict[str, Any]] = []
        products: list[dict[str, Any]] = []
        sources: list[str] = []
        for row in (await run(self._session, _RELATED, {"urn": urn})).mappings():
            if row["part"] == 3:
                sources.append(row["name"])
            elif row["part"] == 0:
                tags.append({"id": row["id"], "urn": row["urn"], "name": row["name"], "category": row["a"]})
                tags[-1]["origin"] = row["b"]
            elif row["part"] == 1:
                tests.append(
                    {"urn": row["urn"], "name": row["name"], "kind": row["a"], "column": row["b"]}
                    | {
                        "severity": row["severity"],
                        "status": row["status"],
                        "executed_at": row["executed_at"],
                    }
                )
            else:
                products.append({"id": row["id"], "urn": row["urn"], "name": row["name"], "role": row["a"]})
        return tags, tests, products, sources

    async def violations(self, urn: str, *, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
        columns = (
            V.id.label("violation_id"),
            V.rule_id,
            V.rule_set,
            V.severity,
            V.category,
            V.subject_urn,
            V.message,
            V.remediation,
            V.status,
            V.first_seen_at,
            V.last_seen_at,
            V.resolved_at,
        )
        stmt = select(*columns).where(V.capsule_urn == urn).order_by(V.first_seen_at, V.id)
        rows = await self._session.execute(stmt.limit(limit).offset(offset))
        total = await self._session.scalar(select(func.count(V.id)).where(V.capsule_urn == urn))
        return [dict(r) for r in rows.mappings()], int(total or 0)

    async def summaries(self, urns: Collection[str]) -> dict[str, dict[str, Any]]:
        """name, type, layer and owner of each URN that exists."""
        out: dict[str, dict[str, Any]] = {}
        for batch in chunked(sorted(urns)):
            for row in (await run(self._session, _SUMMARIES, {"urns": batch})).mappings():
                out[row["urn"]] = dict(row)
        return out


def _related_statement() -> Any:
    """The UNION ALL behind ``CapsuleRepository.related``, built once: constructing it cost
    more Python per request than executing it (the capsule's URN is the ``urn`` parameter)."""
    urn: Any = bindparam("urn")
    product, member = DataProductRecord, CapsuleDataProductRecord
    text, when, zero = cast(null(), String), cast(null(), T.executed_at.type), cast(literal(0), Integer)
    tag_part = (
        select(literal(0).label("part"), TagRecord.id.label("id"), TagRecord.urn.label("urn"))
        .add_columns(TagRecord.name.label("name"), TagRecord.category.label("a"))
        .add_columns(CapsuleTagRecord.origin.label("b"), text.label("severity"), text.label("status"))
        .add_columns(when.label("executed_at"), TagRecord.category.label("k1"), TagRecord.name.label("k2"))
        .add_columns(zero.label("k3"))
        .join(TagRecord, TagRecord.id == CapsuleTagRecord.tag_id)
        .where(CapsuleTagRecord.capsule_urn == urn)
    )
    test_part = (
        select(literal(1), text, T.urn, T.name, T.kind, T.column_name, T.severity, T.status, T.executed_at)
        .add_columns(T.name, literal(""), T.id)
        .where(T.capsule_urn == urn)
    )
    product_part = (
        select(literal(2), product.id, product.urn, product.name, member.role, text, text, text, when)
        .add_columns(product.name, literal(""), zero)
        .join(product, product.id == member.product_id)
        .where(member.capsule_urn == urn)
    )
    assertion_part = (
        select(literal(3), text, A.subject_urn, A.source, text, text, text, text, when)
        .add_columns(A.source, literal(""), zero)
        .where(A.subject_urn == urn)
    )
    both = union_all(tag_part, test_part, product_part, assertion_part).subquery()
    return select(both).order_by(both.c.part, both.c.k1, both.c.k2, both.c.k3)


_RELATED = _related_statement()
_DETAIL = select(*DETAIL_COLUMNS).where(C.urn == bindparam("urn"))
# Built once (an expanding IN list): constructing the select per call cost more than running it.
_SUMMARIES = select(C.urn, C.name, C.capsule_type, C.layer, C.owner).where(
    C.urn.in_(bindparam("urns", expanding=True))
)
