"""Which source asserted a node, and what a snapshot source may remove.

A capsule row is owned by one project (``capsule.project``/``capsule.source``); other sources
that assert the same node add a ``source_assertion`` row. A snapshot write (dbt) that no longer
mentions a node it owns deletes it only when nobody else asserts it; otherwise it hands the node
(with its columns) to the asserting source and removes only its own part: its tests and, through
the usual diff, its edges and tags. When the snapshot mentions the node again it takes it back.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import bindparam, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from dab.domain.capsule import CapsuleType
from dab.domain.relations import (
    alias_lookup,
    namespace_scheme,
    relation_key,
    schemes_agree,
    source_aliases,
    unique_aliases,
)
from dab.storage.batch_db import BatchDb, run_batch
from dab.storage.graph_writer import chunked
from dab.storage.records import (
    CapsuleLineageRecord,
    CapsuleRecord,
    CapsuleRunRecord,
    ColumnLineageRecord,
    ColumnRecord,
    DataTestRecord,
    ProjectRecord,
    SourceAssertionRecord,
    utcnow,
)
from dab.storage.repositories._upsert import dialect_insert

C = CapsuleRecord
A = SourceAssertionRecord
_FORGET = {"content_hash": "", "subtree_hash": None, "lineage_hash": None, "column_lineage": None}
"""A moved row must be rewritten by its next owner's diff, whatever its content digest says."""


async def _move(session: AsyncSession, urns: Sequence[str], values: dict[str, Any]) -> None:
    for batch in chunked(urns, 500):
        await session.execute(update(C).where(C.urn.in_(batch)).values(**values, **_FORGET))
        await session.execute(
            update(ColumnRecord)
            .where(ColumnRecord.capsule_urn.in_(batch))
            .values(project=values["project"], content_hash="")
        )


async def reclaim(session: AsyncSession, project: str, source: str, urns: Collection[str]) -> list[str]:
    """Nodes of ``urns`` that were handed to another source come back to ``project``."""
    prefix = f"urn:dab:{source}:%"
    held = await session.scalars(select(C.urn).where(C.urn.like(prefix), C.source != source))
    back = sorted(urn for urn in held if urn in urns)
    await _move(session, back, {"project": project, "source": source})
    return back


async def hand_over(session: AsyncSession, project: str, wanted: Collection[str]) -> list[str]:
    """Nodes ``project`` owns but no longer mentions, asserted by another source: theirs now."""
    rows = await session.execute(
        select(A.subject_urn, A.source, A.project)
        .join(C, C.urn == A.subject_urn)
        .where(C.project == project, A.project != project)
        .order_by(A.subject_urn, A.source)
    )
    heirs: dict[str, tuple[str, str]] = {}
    for urn, source, owner in rows:
        if urn not in wanted:
            heirs.setdefault(urn, (source, owner))
    for urn, (source, owner) in heirs.items():
        await _move(session, [urn], {"project": owner, "source": source, "capsule_type": CapsuleType.DATASET})
    for batch in chunked(sorted(heirs), 500):
        await session.execute(delete(DataTestRecord).where(DataTestRecord.capsule_urn.in_(batch)))
    return sorted(heirs)


async def asserted_by(session: AsyncSession, urns: Iterable[str]) -> dict[str, list[str]]:
    """Sources asserting each capsule: its owner's source and every other asserting source."""
    out: dict[str, set[str]] = {}
    for batch in chunked(sorted(set(urns)), 500):
        for urn, source in await session.execute(select(C.urn, C.source).where(C.urn.in_(batch))):
            out.setdefault(urn, set()).add(source)
        for urn, source in await session.execute(
            select(A.subject_urn, A.source).where(A.subject_urn.in_(batch))
        ):
            out.setdefault(urn, set()).add(source)
    return {urn: sorted(sources) for urn, sources in out.items()}


async def adopt_datasets(
    session: AsyncSession, project: str, namespaces: Mapping[str, str] | None = None
) -> list[str]:
    """Datasets another source wrote before dbt declared the same relation become the dbt node:
    their edges, column edges (by column name) and runs move to it, the other source's assertion
    is recorded on it, and the stand-in dataset is deleted. Returns the adopted URNs.

    Reads the dbt side from the store, so it also runs when a re-ingestion is recognised as
    equal to the last write (a dataset may have arrived in between). A dataset whose namespace
    ``namespaces`` maps to a project is adopted by that project alone (any engine); any other
    needs an engine agreeing with the project's adapter. A dataset named like a dbt source
    rather than its relation (``source_aliases``) is adopted when one source alone has that name."""
    namespaces = namespaces or {}
    rows = await session.execute(
        select(C.urn, C.relation_key, C.name, C.namespace, C.source, C.project).where(
            C.capsule_type == CapsuleType.DATASET.value, C.project != project
        )
    )
    candidates = [row for row in rows.all() if namespaces.get(row.namespace, project) == project]
    if not candidates:
        return []
    adapter = await session.scalar(select(ProjectRecord.adapter_type).where(ProjectRecord.name == project))
    keys = {key for row in candidates for key in (row.relation_key, relation_key(row.name)) if key}
    targets = await _dbt_nodes_named(session, project, keys)
    adopted = []
    for urn, key, name, namespace, source, owner in candidates:
        if namespace not in namespaces and not schemes_agree(adapter, namespace_scheme(namespace)):
            continue
        target = targets.get(key or "") or targets.get(relation_key(name) or "")
        if target is None or urn == target:
            continue
        await _merge(session, urn, target)
        await session.execute(
            dialect_insert(session, A.__table__).on_conflict_do_nothing(
                index_elements=["subject_urn", "source"]
            ),
            [{"subject_urn": target, "source": source, "project": owner, "asserted_at": utcnow()}],
        )
        adopted.append(urn)
    return adopted


async def _dbt_nodes_named(session: AsyncSession, project: str, keys: Collection[str]) -> dict[str, str]:
    """Key -> the ``project`` node it names: by relation (a model before a snapshot, source,
    seed), else a source's alias that no other source of the project shares."""
    by_relation: dict[str, tuple[int, str]] = {}
    for batch in chunked(sorted(keys), 500):
        found = await session.execute(
            select(C.urn, C.capsule_type, C.relation_key).where(
                C.project == project, C.source == "dbt", C.relation_key.in_(batch)
            )
        )
        for urn, capsule_type, key in found:
            rank = (_RANK.get(capsule_type, 9), urn)
            if key and capsule_type in _RANK and rank < by_relation.get(key, (99, "")):
                by_relation[key] = rank
    sources = [(urn, aliases) for urn, _, aliases in await sources_named(session, keys, project)]
    named = {key: urn for key, urn in unique_aliases(sources).items() if key in keys}
    named.update({key: urn for key, (_, urn) in by_relation.items()})
    return named


_DBT_SOURCES = select(C.urn, C.project, C.database_name, C.schema_name, C.name).where(
    C.capsule_type == CapsuleType.SOURCE.value, C.source == "dbt"
)
_SOURCES_BY = (
    _DBT_SOURCES.where(func.lower(C.name).in_(bindparam("keys", expanding=True))),
    _DBT_SOURCES.where(func.lower(C.schema_name).in_(bindparam("keys", expanding=True))),
)


def dbt_sources_named(
    db: BatchDb, keys: Collection[str], project: str | None = None
) -> list[tuple[str, str, list[str]]]:
    """dbt sources (URN, project, alias keys) that ``keys`` may name by alias
    (``domain.relations.source_aliases``): read by source name or by schema, not all sources."""
    found: dict[str, tuple[str, str, list[str]]] = {}
    for stmt, values in zip(_SOURCES_BY, alias_lookup(keys), strict=True):
        for batch in chunked(sorted(values), 500):
            for urn, owner, db_name, schema, name in db.rows(stmt, {"keys": list(batch)}):
                if project is None or owner == project:
                    found[urn] = (urn, owner, source_aliases(db_name, schema, name))
    return list(found.values())


async def sources_named(
    session: AsyncSession, keys: Collection[str], project: str | None = None
) -> list[tuple[str, str, list[str]]]:
    return await run_batch(session, lambda db: dbt_sources_named(db, keys, project))


_RANK = {"model": 0, "snapshot": 1, "source": 2, "seed": 3}


async def _merge(session: AsyncSession, old: str, new: str) -> None:
    declared = await session.execute(
        select(ColumnRecord.urn, ColumnRecord.name).where(ColumnRecord.capsule_urn == new)
    )
    renamed = {name.lower(): urn for urn, name in declared}
    found = await session.execute(
        select(ColumnRecord.urn, ColumnRecord.name).where(ColumnRecord.capsule_urn == old)
    )
    old_columns: dict[str, str] = {urn: name for urn, name in found}  # noqa: C416 - Row -> tuple
    moved = {urn: renamed[name.lower()] for urn, name in old_columns.items() if name.lower() in renamed}
    e = CapsuleLineageRecord
    edges = await session.execute(
        select(e.project, e.source_urn, e.target_urn, e.edge_type, e.source).where(
            or_(e.source_urn == old, e.target_urn == old)
        )
    )
    await _insert_ignoring(
        session,
        e,
        [
            {"project": p, "source_urn": new if s == old else s, "target_urn": new if t == old else t,
             "edge_type": kind, "source": src}
            for p, s, t, kind, src in edges
        ],
        ["source_urn", "target_urn", "edge_type"],
    )  # fmt: skip
    if old_columns:
        ce = ColumnLineageRecord
        column_edges = await session.execute(
            select(ce.project, ce.source_urn, ce.target_urn, ce.transformation, ce.function, ce.source).where(
                or_(ce.source_urn.in_(list(old_columns)), ce.target_urn.in_(list(old_columns)))
            )
        )
        rows = []
        for p, s, t, kind, function, src in column_edges:
            s2, t2 = moved.get(s, s), moved.get(t, t)
            if s2 in old_columns or t2 in old_columns:
                continue  # a field dbt does not have: dbt declares this node's columns
            rows.append({"project": p, "source_urn": s2, "target_urn": t2, "transformation": kind,
                         "function": function, "source": src})  # fmt: skip
        await _insert_ignoring(session, ce, rows, ["source_urn", "target_urn"])
    r = CapsuleRunRecord
    runs = await session.execute(
        select(r.invocation_id, r.status, r.execution_time, r.completed_at).where(r.capsule_urn == old)
    )
    await _insert_ignoring(
        session,
        r,
        [{"capsule_urn": new, "invocation_id": i, "status": st, "execution_time": x, "completed_at": at}
         for i, st, x, at in runs],
        ["capsule_urn", "invocation_id"],
    )  # fmt: skip
    await session.execute(delete(C).where(C.urn == old))  # its columns, edges and runs cascade


async def _insert_ignoring(
    session: AsyncSession, record: Any, rows: list[dict[str, Any]], keys: list[str]
) -> None:
    if rows:
        stmt = dialect_insert(session, record.__table__).on_conflict_do_nothing(index_elements=keys)
        await session.execute(stmt, rows)
