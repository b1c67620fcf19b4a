"""Findings for every column: manual classification, then metadata, then name, then lineage.

Precedence per column: a manual classification (``PUT .../classification``) wins, then the
dbt metadata (``pii: false`` suppresses), then propagation along column lineage (identity and
transformation edges carry the PII, masking edges make it *masked*, aggregation and filter
edges stop it), then the column's own name. Where several upstream paths reach a column the
least protected one wins: one clear path is enough to expose the value.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from dab.domain.column import Column
from dab.domain.lineage import ColumnLineageEdge
from dab.domain.lineage import TransformationKind as Kind
from dab.pii.names import detect_by_name
from dab.pii.taxonomy import RISK_ORDER, normalize_type, risk_of

CARRYING = {Kind.IDENTITY, Kind.TRANSFORMATION, Kind.MASKING}
_FALSE = frozenset({"false", "no", "0", "off", "none", ""})
_SENSITIVE = frozenset({"pii", "sensitive", "confidential", "restricted", "secret", "high", "personal"})


@dataclass(frozen=True, slots=True)
class Classification:
    """A person's answer for one column; ``pii=False`` says it holds none."""

    pii: bool
    pii_type: str | None = None
    masked: bool = False
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class Finding:
    column_urn: str
    pii_type: str | None  # None: suppressed (explicitly not PII)
    method: str  # manual | metadata | lineage | name
    confidence: float
    evidence: str
    masked: bool = False
    masking_function: str | None = None
    upstream_urn: str | None = None

    @property
    def risk(self) -> str:
        return risk_of(self.pii_type or "unknown")


def _falsy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in _FALSE
    return not value


def _declared(meta: Mapping[str, Any], tags: Iterable[str]) -> tuple[str | None, str] | None:
    """(type or None if only flagged, evidence) that the metadata declares, else None."""
    for key in ("pii_type", "pii"):
        value = meta.get(key)
        if isinstance(value, str) and not _falsy(value) and value.strip().lower() not in ("true", "yes"):
            return normalize_type(value) or "unknown", f"meta.{key}={value}"
    for tag in tags:
        lowered = tag.lower()
        if lowered.startswith("pii:") and len(lowered) > 4:
            return normalize_type(lowered[4:]) or "unknown", f"tag {tag}"
    sensitivity = meta.get("sensitivity")
    if isinstance(sensitivity, str) and sensitivity.strip().lower() in _SENSITIVE:
        return None, f"meta.sensitivity={sensitivity}"
    if meta.get("pii") is not None:
        return None, "meta.pii"
    if not _falsy(meta.get("contains_pii", False)):
        return None, "meta.contains_pii"
    if any(t.lower() == "pii" for t in tags):
        return None, "tag pii"
    return None


def from_metadata(column: Column) -> Finding | None:
    meta, urn = column.meta, column.urn
    if ("pii" in meta and _falsy(meta["pii"])) or _falsy(meta.get("contains_pii", True)):
        return Finding(urn, None, "metadata", 1.0, "meta.pii=false")
    declared = _declared(meta, column.tags)
    if declared is None:
        return None
    pii_type, evidence = declared
    if pii_type is None:  # flagged without a type: the name may still say which
        match = detect_by_name(column.name, column.data_type)
        pii_type = match.pii_type if match else "unknown"
        evidence += f" + {match.rule}" if match else ""
    masked = not _falsy(meta.get("masked", False)) or not _falsy(meta.get("masking", False))
    return Finding(urn, pii_type, "metadata", 1.0, evidence, masked=masked)


def from_manual(urn: str, manual: Classification) -> Finding:
    evidence = f"manual: {manual.reason}" if manual.reason else "manual"
    if not manual.pii:
        return Finding(urn, None, "manual", 1.0, evidence)
    return Finding(urn, manual.pii_type or "unknown", "manual", 1.0, evidence, masked=manual.masked)


def from_name(column: Column) -> Finding | None:
    match = detect_by_name(column.name, column.data_type)
    if match is None:
        return None
    return Finding(column.urn, match.pii_type, "name", match.confidence, match.rule, masked=match.masked)


def _better(candidate: Finding, current: Finding | None) -> bool:
    """Unmasked beats masked, then higher risk, then higher confidence."""
    if current is None:
        return True
    a = (not candidate.masked, RISK_ORDER.get(candidate.risk, 2), candidate.confidence)
    b = (not current.masked, RISK_ORDER.get(current.risk, 2), current.confidence)
    return a > b


def _carried(source: Finding, edge: ColumnLineageEdge) -> Finding:
    masking = edge.transformation is Kind.MASKING
    return Finding(
        edge.target_urn,
        source.pii_type,
        "lineage",
        round(max(0.5, source.confidence * 0.95), 3),
        f"{edge.transformation.value} from {source.column_urn}",
        masked=source.masked or masking,
        masking_function=edge.function if masking else source.masking_function,
        upstream_urn=source.column_urn,
    )


def detect_pii(
    columns: Iterable[Column],
    edges: Iterable[ColumnLineageEdge],
    manual: Mapping[str, Classification] | None = None,
) -> dict[str, Finding]:
    """Findings by column URN; suppressed columns are kept with ``pii_type=None``."""
    manual = manual or {}
    fixed: dict[str, Finding] = {}  # manual and metadata: lineage never overrides them
    named: dict[str, Finding] = {}
    for column in columns:
        found = from_manual(column.urn, manual[column.urn]) if column.urn in manual else None
        if found is None and (column.meta or column.tags):
            found = from_metadata(column)
        if found is not None:
            fixed[column.urn] = found
        elif (by_name := from_name(column)) is not None:
            named[column.urn] = by_name
    return _propagate(fixed, named, edges)


def _propagate(
    fixed: dict[str, Finding], named: dict[str, Finding], edges: Iterable[ColumnLineageEdge]
) -> dict[str, Finding]:
    outgoing: dict[str, list[ColumnLineageEdge]] = defaultdict(list)
    for edge in edges:
        if edge.transformation in CARRYING:
            outgoing[edge.source_urn].append(edge)
    via_lineage: dict[str, Finding] = {}

    def current(urn: str) -> Finding | None:
        return fixed.get(urn) or via_lineage.get(urn) or named.get(urn)

    queue = deque(urn for urn, f in (*fixed.items(), *named.items()) if f.pii_type is not None)
    budget = 50 * (len(queue) + sum(len(v) for v in outgoing.values()) + 1)
    while queue and budget > 0:
        source = current(queue.popleft())
        if source is None or source.pii_type is None:
            continue
        for edge in outgoing.get(source.column_urn, ()):
            budget -= 1
            if edge.target_urn in fixed:
                continue
            candidate = _carried(source, edge)
            if _better(candidate, via_lineage.get(edge.target_urn)):
                via_lineage[edge.target_urn] = candidate
                queue.append(edge.target_urn)
    out = {**named, **via_lineage, **fixed}
    return {urn: _named_hint(f, named.get(urn)) for urn, f in out.items()}


def _named_hint(finding: Finding, named: Finding | None) -> Finding:
    """A lineage finding keeps a more specific type the column's own name gives."""
    if finding.method == "lineage" and finding.pii_type == "unknown" and named is not None:
        return replace(finding, pii_type=named.pii_type, evidence=f"{finding.evidence} + {named.evidence}")
    return finding
