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
from sqlalchemy.ext.asyncio import AsyncSession

from dab.domain.column import Column
from dab.domain.graph import Graph
from dab.domain.lineage import KIND_BY_VALUE, ColumnLineageEdge
from dab.pii.detect import Classification, Finding, detect_pii
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


async def apply_pii_findings(session: AsyncSession, graph: Graph) -> dict[str, Any]:
    """Detect PII over a freshly parsed graph (inside the ingestion transaction)."""
    manual = await manual_classifications(session)
    findings = detect_pii(graph.columns.values(), graph.column_edges, manual)
    return apply_findings(graph.columns.values(), findings)


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


async def rescan_project(session: AsyncSession, project: str) -> int:
    """Recompute the stored project's findings (after a manual classification); returns changes."""
    conn = await session.connection()  # Core: no ORM machinery per row
    rows = (
        await conn.execute(
            select(
                K.urn,
                K.capsule_urn,
                K.name,
                K.data_type,
                K.meta,
                K.dbt_tags,
                *(getattr(K, f) for f in FINDING_FIELDS),
            ).where(K.project == project)
        )
    ).mappings()
    columns, before = [], {}
    for r in rows:
        column = Column(r["urn"], r["capsule_urn"], r["name"], data_type=r["data_type"], meta=r["meta"] or {},
                        tags=tuple(r["dbt_tags"] or ()), is_masked=r["is_masked"])  # fmt: skip
        columns.append(column)
        before[column.urn] = {"urn": column.urn, **{f: r[f] for f in FINDING_FIELDS}}
    edge_rows = await conn.execute(
        select(E.source_urn, E.target_urn, E.transformation, E.function).where(E.project == project)
    )
    edges = [ColumnLineageEdge(s, t, KIND_BY_VALUE[k], f) for s, t, k, f in edge_rows]
    apply_findings(columns, detect_pii(columns, edges, await manual_classifications(session)))
    changed = [row for c in columns if (row := _finding_row(c)) != before[c.urn]]
    await PiiRepository(session).write_findings(changed)
    return len(changed)
