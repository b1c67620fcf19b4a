"""Use case: PII findings for a project's columns, at ingestion and after a manual classification.

Detection (``dab.pii``) is pure; this module feeds it the columns, the column lineage and the
manual classifications, and writes the answers onto the columns (``pii_type``, ``pii_origin``
as the method, ``is_masked``, confidence, evidence, masking function).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from dab.domain.column import Column
from dab.domain.graph import Graph
from dab.domain.lineage import KIND_BY_VALUE, ColumnLineageEdge
from dab.pii.detect import CARRYING, Classification, Finding, detect_pii
from dab.storage.graph_writer import chunked
from dab.storage.records import ColumnLineageRecord, ColumnRecord
from dab.storage.repositories.pii import FINDING_FIELDS, PiiRepository

K, E = ColumnRecord, ColumnLineageRecord


async def manual_classifications(session: AsyncSession) -> dict[str, Classification]:
    rows = await PiiRepository(session).classifications()
    return {
        r["column_urn"]: Classification(r["is_pii"], r["pii_type"], r["is_masked"], r["reason"]) for r in rows
    }


def apply_findings(columns: Iterable[Column], findings: Mapping[str, Finding]) -> dict[str, Any]:
    """Write each finding onto its column (clearing stale ones); returns counts for the job stats."""
    by_type: Counter[str] = Counter()
    by_method: Counter[str] = Counter()
    masked = 0
    for column in columns:
        found = findings.get(column.urn)
        if found is None or found.pii_type is None:
            column.pii_type = None
            column.pii_method = found.method if found else None
            column.pii_confidence = found.confidence if found else None
            column.pii_evidence = found.evidence if found else None
            column.masking_function = None
            continue
        column.pii_type, column.is_masked = found.pii_type, found.masked
        column.pii_method, column.pii_confidence = found.method, found.confidence
        column.pii_evidence, column.masking_function = found.evidence[:1024], found.masking_function
        by_type[found.pii_type] += 1
        by_method[found.method] += 1
        masked += found.masked
    return {
        "pii_columns": sum(by_type.values()),
        "masked": masked,
        "by_type": dict(sorted(by_type.items())),
        "by_method": dict(sorted(by_method.items())),
    }


async def apply_pii_findings(
    session: AsyncSession, graph: Graph, edges: Iterable[ColumnLineageEdge] | None = None
) -> dict[str, Any]:
    """Detect PII over a freshly parsed graph (inside the ingestion transaction), along
    ``edges`` (default: the graph's column lineage)."""
    manual = await manual_classifications(session)
    findings = detect_pii(graph.columns.values(), graph.column_edges if edges is None else edges, manual)
    return apply_findings(graph.columns.values(), findings)


def _finding_of(column: Column) -> tuple[Any, ...]:
    return (column.pii_type, column.pii_method, column.is_masked, column.pii_confidence,
            column.pii_evidence, column.masking_function)  # fmt: skip


async def refresh_pii_findings(
    session: AsyncSession, graph: Graph, masked_as_parsed: set[str]
) -> tuple[dict[str, Any], set[str]]:
    """Detect PII again along the graph's (now derived) column lineage, after the columns were
    written with an earlier guess; returns the stats and the columns whose finding changed.

    ``masked_as_parsed``: the columns flagged masked before the guess. A column without a
    finding keeps its flag, so the guess's flags are undone first: the answer equals one
    detection over the parsed graph.
    """
    before = {urn: _finding_of(c) for urn, c in graph.columns.items()}
    for urn, column in graph.columns.items():
        column.is_masked = urn in masked_as_parsed
    stats = await apply_pii_findings(session, graph)
    return stats, {urn for urn, c in graph.columns.items() if _finding_of(c) != before[urn]}


def _finding_row(column: Column) -> dict[str, Any]:
    return {
        "urn": column.urn,
        "pii_type": column.pii_type,
        "pii_origin": column.pii_method,
        "is_masked": column.is_masked,
        "pii_confidence": column.pii_confidence,
        "pii_evidence": column.pii_evidence,
        "masking_function": column.masking_function,
    }


_CARRYING = sorted(kind.value for kind in CARRYING)
_IN_BATCH = 500


async def _neighbours(conn: AsyncConnection, urns: set[str], *, downstream: bool) -> set[str]:
    """Columns one carrying edge (identity, transformation, masking) away from ``urns``."""
    near, far = (E.source_urn, E.target_urn) if downstream else (E.target_urn, E.source_urn)
    out: set[str] = set()
    for batch in chunked(sorted(urns), _IN_BATCH):
        rows = await conn.execute(select(far).where(near.in_(batch), E.transformation.in_(_CARRYING)))
        out.update(rows.scalars())
    return out


async def _closure(conn: AsyncConnection, start: set[str], *, downstream: bool) -> set[str]:
    seen, frontier = set(start), set(start)
    while frontier:
        frontier = await _neighbours(conn, frontier, downstream=downstream) - seen
        seen |= frontier
    return seen


async def _load(
    conn: AsyncConnection, filters: Iterable[tuple[Any, Any]]
) -> tuple[list[Column], dict[str, dict[str, Any]], list[ColumnLineageEdge]]:
    """Columns (with their stored findings) and carrying edges, each in row order, from one
    select per (column filter, edge filter) pair."""
    fields = (K.id, K.urn, K.capsule_urn, K.name, K.data_type, K.meta, K.dbt_tags,
              *(getattr(K, f) for f in FINDING_FIELDS))  # fmt: skip
    edge_fields = (E.id, E.source_urn, E.target_urn, E.transformation, E.function)
    rows: list[Any] = []
    edge_rows: list[Any] = []
    for column_filter, edge_filter in filters:
        rows += (await conn.execute(select(*fields).where(column_filter))).mappings()
        edge_rows += await conn.execute(
            select(*edge_fields).where(edge_filter, E.transformation.in_(_CARRYING))
        )
    columns, before = [], {}
    for r in sorted(rows, key=lambda r: r["id"]):
        column = Column(r["urn"], r["capsule_urn"], r["name"], data_type=r["data_type"], meta=r["meta"] or {},
                        tags=tuple(r["dbt_tags"] or ()), is_masked=r["is_masked"])  # fmt: skip
        columns.append(column)
        before[column.urn] = {"urn": column.urn, **{f: r[f] for f in FINDING_FIELDS}}
    edges = [ColumnLineageEdge(s, t, KIND_BY_VALUE[k], f) for _, s, t, k, f in sorted(edge_rows)]
    return columns, before, edges


async def _rescan(
    session: AsyncSession, columns: list[Column], before: dict[str, dict[str, Any]],
    edges: list[ColumnLineageEdge], write: set[str] | None,
) -> int:  # fmt: skip
    apply_findings(columns, detect_pii(columns, edges, await manual_classifications(session)))
    changed = [
        row
        for c in columns
        if (write is None or c.urn in write) and (row := _finding_row(c)) != before[c.urn]
    ]
    await PiiRepository(session).write_findings(changed)
    return len(changed)


async def rescan_project(session: AsyncSession, project: str) -> int:
    """Recompute the stored project's findings; returns changes."""
    conn = await session.connection()  # Core: no ORM machinery per row
    columns, before, edges = await _load(conn, [(K.project == project, E.project == project)])
    return await _rescan(session, columns, before, edges, None)


async def rescan_downstream(session: AsyncSession, urn: str) -> int:
    """Recompute the findings a classification of ``urn`` can change: its own and those of every
    column downstream of it along carrying edges; returns changes.

    A finding depends only on the column itself and its carrying ancestors, so detection runs on
    those columns and the edges into them: the same answer as a whole-project rescan, without
    reading the project (seconds at 10k models).
    """
    conn = await session.connection()
    affected = await _closure(conn, {urn}, downstream=True)
    needed = sorted(await _closure(conn, affected, downstream=False))
    batches = chunked(needed, _IN_BATCH)
    columns, before, edges = await _load(conn, ((K.urn.in_(b), E.target_urn.in_(b)) for b in batches))
    return await _rescan(session, columns, before, edges, affected)
