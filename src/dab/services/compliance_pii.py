"""Use cases: where is our PII (inventory), where is it exposed unmasked, where does it flow (trace)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from dab.errors import InvalidInput, NotFound
from dab.pii.detect import CARRYING
from dab.pii.taxonomy import RISK_ORDER, TAXONOMY, normalize_type, risk_of
from dab.services.catalog_capsules import page
from dab.services.catalog_lineage import check_depth
from dab.services.pii_scan import rescan_downstream
from dab.storage.records import CapsuleLineageRecord, CapsuleRecord, ColumnLineageRecord, ColumnRecord
from dab.storage.repositories.columns import ColumnRepository
from dab.storage.repositories.lineage import LineageRepository
from dab.storage.repositories.pii import InventoryFilters, PiiRepository

GroupBy = Literal["pii_type", "layer", "domain"]
CARRYING_KINDS = frozenset(k.value for k in CARRYING)
MAX_PATH = 50
E, L, X = ColumnLineageRecord, CapsuleLineageRecord, CapsuleRecord


def check_pii_type(pii_type: str | None, location: str = "query.pii_type") -> str | None:
    if pii_type is None or pii_type in TAXONOMY:
        return pii_type
    raise InvalidInput(
        f"unknown pii_type {pii_type!r}; known types: {', '.join(sorted(TAXONOMY))}", location=location
    )


def _item(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "risk": risk_of(row["pii_type"])}


async def pii_inventory(
    session: AsyncSession,
    filters: InventoryFilters,
    *,
    limit: int = 50,
    offset: int = 0,
    group_by: GroupBy | None = None,
) -> dict[str, Any]:
    check_pii_type(filters.pii_type)
    repo = PiiRepository(session)
    rows, total = await repo.inventory_page(filters, limit=limit, offset=offset)
    body = page([_item(r) for r in rows], total, limit, offset)
    if group_by is not None:
        body["groups"] = await repo.counts(filters, group_by)
    return body


async def pii_inventory_all(session: AsyncSession, filters: InventoryFilters) -> list[dict[str, Any]]:
    check_pii_type(filters.pii_type)
    return [_item(r) for r in await PiiRepository(session).inventory_all(filters)]


async def _pii_edges(session: AsyncSession) -> dict[str, list[tuple[str, str, str | None]]]:
    """Carrying edges between PII columns, by target: target -> [(source, kind, function)]."""
    S, T = aliased(ColumnRecord), aliased(ColumnRecord)  # noqa: N806
    stmt = (
        select(E.source_urn, E.target_urn, E.transformation, E.function)
        .join(S, S.urn == E.source_urn)
        .join(T, T.urn == E.target_urn)
        .where(S.pii_type.is_not(None), T.pii_type.is_not(None), E.transformation.in_(CARRYING_KINDS))
    )
    out: dict[str, list[tuple[str, str, str | None]]] = defaultdict(list)
    for source, target, kind, function in await session.execute(stmt):
        out[target].append((source, kind, function))
    for sources in out.values():
        sources.sort(key=lambda s: (s[1] == "masking", s[0]))  # a clear hop first
    return out


def _origin_path(urn: str, incoming: dict[str, list[tuple[str, str, str | None]]]) -> list[dict[str, Any]]:
    """Hops from the PII's origin down to ``urn`` (first hop: the origin, with no kind)."""
    hops: list[dict[str, Any]] = [{"urn": urn, "kind": None, "function": None}]
    seen = {urn}
    while len(hops) < MAX_PATH:
        options = [s for s in incoming.get(hops[-1]["urn"], ()) if s[0] not in seen]
        if not options:
            break
        source, kind, function = options[0]
        hops[-1]["kind"], hops[-1]["function"] = kind, function
        hops.append({"urn": source, "kind": None, "function": None})
        seen.add(source)
    hops.reverse()  # origin first; each hop's kind says how its value came from the one before
    return hops


async def _exposures_fed(session: AsyncSession) -> dict[str, list[str]]:
    """Capsule -> exposures that read it directly."""
    stmt = (
        select(L.source_urn, L.target_urn)
        .join(X, X.urn == L.target_urn)
        .where(X.capsule_type == "exposure")
        .order_by(L.target_urn)
    )
    out: dict[str, list[str]] = defaultdict(list)
    for source, target in await session.execute(stmt):
        out[source].append(target)
    return out


def _recommendation(row: dict[str, Any], reasons: list[str]) -> str:
    where = " and ".join("the gold layer" if r == "gold_layer" else "an exposure" for r in reasons)
    return (
        f"Mask {row['name']} ({row['pii_type']}) before it reaches {where}: hash it (sha256/md5), "
        f"apply a masking function or policy, or drop the column. If it holds no PII, record that "
        f"with PUT /api/v1/columns/{{column_urn}}/classification."
    )


async def pii_exposure(session: AsyncSession, *, pii_type: str | None = None) -> dict[str, Any]:
    """Unmasked PII in the gold layer or in a capsule an exposure reads; masked PII never is."""
    check_pii_type(pii_type)
    rows = await PiiRepository(session).inventory_all(InventoryFilters(pii_type=pii_type, masked=False))
    fed = await _exposures_fed(session)
    incoming = await _pii_edges(session)
    items = []
    for row in rows:
        exposures = fed.get(row["capsule_urn"], [])
        reasons = (["gold_layer"] if row["layer"] == "gold" else []) + (["exposure"] if exposures else [])
        if not reasons:
            continue
        risk = risk_of(row["pii_type"])
        items.append(
            {
                **_item(row),
                "severity": risk,
                "reasons": reasons,
                "exposures": exposures,
                "path": _origin_path(row["urn"], incoming),
                "recommendation": _recommendation(row, reasons),
            }
        )
    items.sort(key=lambda i: (-RISK_ORDER.get(i["severity"], 0), i["urn"]))
    return {"data": items, "total": len(items)}


async def _walk(
    repo: LineageRepository, root: str, direction: Literal["upstream", "downstream"], depth: int
) -> tuple[dict[str, int], set[tuple[str, str, str]]]:
    """Carrying hops are followed; an aggregation hop is shown (where the PII stops), not followed."""
    sign = 1 if direction == "downstream" else -1
    distance = {root: 0}
    edges: set[tuple[str, str, str]] = set()
    frontier = [root]
    for level in range(1, depth + 1):
        reached = []
        for source, target, kind in await repo.neighbours(frontier, direction):
            if kind not in CARRYING_KINDS and kind != "aggregation":
                continue
            edges.add((source, target, kind))
            there = target if direction == "downstream" else source
            if there not in distance:
                distance[there] = sign * level
                if kind in CARRYING_KINDS:
                    reached.append(there)
        frontier = reached
        if not frontier:
            break
    return distance, edges


async def pii_trace(
    session: AsyncSession, urn: str, *, depth: int = 20, max_depth: int = 50
) -> dict[str, Any]:
    """Upstream to the origin, downstream to every consumer, with the kind at each hop."""
    check_depth(depth, max_depth)
    if not await ColumnRepository(session).exists(urn):
        raise NotFound(f"column {urn!r} not found")
    repo = LineageRepository(session, level="column")
    up, up_edges = await _walk(repo, urn, "upstream", depth)
    down, down_edges = await _walk(repo, urn, "downstream", depth)
    distances = {**up, **down}
    details = await PiiRepository(session).details(distances)
    nodes = [
        {
            **details.get(u, {"urn": u}),
            "risk": risk_of(details[u]["pii_type"]) if details.get(u, {}).get("pii_type") else None,
            "distance": d,
        }
        for u, d in distances.items()
    ]
    nodes.sort(key=lambda n: (n["distance"], n["urn"]))
    functions = await _edge_functions(session, up_edges | down_edges)
    edges = [
        {"source": s, "target": t, "kind": k, "function": functions.get((s, t))}
        for s, t, k in sorted(up_edges | down_edges)
    ]
    carried = {t for _, t, k in down_edges if k in CARRYING_KINDS}  # aggregation stops the PII
    capsules = {n["capsule_urn"] for n in nodes if n["urn"] in carried and n.get("capsule_urn")}
    fed = await _exposures_fed(session)
    consumers = sorted(capsules | {x for c in capsules for x in fed.get(c, [])})
    pii = {n["urn"] for n in nodes if n.get("pii_type")}
    fed_by_pii = {t for s, t, k in up_edges if k in CARRYING_KINDS and s in pii}
    # Where the PII enters: a finding of its own, with no PII column feeding it.
    origins = [
        n["urn"] for n in nodes if n["distance"] <= 0 and n["urn"] in pii and n["urn"] not in fed_by_pii
    ]
    return {
        "root": urn,
        "origins": origins,
        "nodes": nodes,
        "edges": edges,
        "masking_points": [e for e in edges if e["kind"] == "masking"],
        "consumers": consumers,
    }


async def _edge_functions(
    session: AsyncSession, edges: set[tuple[str, str, str]]
) -> dict[tuple[str, str], str]:
    masking = {(s, t) for s, t, k in edges if k == "masking"}
    if not masking:
        return {}
    targets = sorted({t for _, t in masking})
    rows = await session.execute(
        select(E.source_urn, E.target_urn, E.function).where(E.target_urn.in_(targets))
    )
    return {(s, t): f for s, t, f in rows if (s, t) in masking and f}


async def classify_column(
    session: AsyncSession, urn: str, *, pii: bool, pii_type: str | None, masked: bool, reason: str | None
) -> dict[str, Any]:
    """Store a person's answer (wins over detection, survives re-ingestion) and re-derive findings."""
    repo = PiiRepository(session)
    project = await repo.project_of(urn)
    if project is None:
        raise NotFound(f"column {urn!r} not found")
    normalized = None
    if pii_type is not None:
        normalized = normalize_type(pii_type)
        if normalized is None:
            check_pii_type(pii_type, location="body.pii_type")
    await repo.put_classification(
        urn, is_pii=pii, pii_type=normalized if pii else None, masked=masked if pii else False, reason=reason
    )
    changed = await rescan_downstream(session, urn)
    detail = (await repo.details([urn]))[urn]
    return {
        **detail,
        "risk": risk_of(detail["pii_type"]) if detail["pii_type"] else None,
        "columns_changed": changed,
    }


async def pii_report(session: AsyncSession) -> dict[str, Any]:
    """The whole inventory with counts by type and the number of exposed columns."""
    items = await pii_inventory_all(session, InventoryFilters())
    by_type: dict[str, dict[str, Any]] = {}
    for item in items:
        group = by_type.setdefault(
            item["pii_type"], {"pii_type": item["pii_type"], "risk": item["risk"], "count": 0, "masked": 0}
        )
        group["count"] += 1
        group["masked"] += item["masked"]
    exposed = (await pii_exposure(session))["total"]
    groups = sorted(by_type.values(), key=lambda g: (-RISK_ORDER.get(g["risk"], 0), g["pii_type"]))
    return {"total": len(items), "exposed": exposed, "by_type": groups, "items": items}
