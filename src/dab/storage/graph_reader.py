"""Stored rows -> a domain Graph (the inverse of mappers.py), for the rules engine.

A handful of set-based selects of plain columns (no ORM object per row), one per table,
optionally restricted to one project. Domain objects are built in Python afterwards.
"""

from __future__ import annotations

import typing
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, TypeVar

import orjson
from anyio import to_thread
from sqlalchemy import Text, cast, select
from sqlalchemy.ext.asyncio import AsyncSession

from dab.domain.capsule import Capsule, CapsuleType, Freshness, Inference, RunResult
from dab.domain.column import Column
from dab.domain.graph import Graph, ProjectInfo
from dab.domain.lineage import ColumnLineageEdge, LineageEdge, TransformationKind
from dab.domain.quality import DataTest, TestKind
from dab.storage.records import (
    CapsuleLineageRecord,
    CapsuleRecord,
    ColumnLineageRecord,
    ColumnRecord,
    DataTestRecord,
    ProjectRecord,
)

S = TypeVar("S")
TEST_KINDS = {k.value: k for k in TestKind}
CAPSULE_TYPES = {t.value: t for t in CapsuleType}
TRANSFORMATIONS = {t.value: t for t in TransformationKind}


def _raw(column: Any) -> Any:
    """A JSON column as its text: parsed below with orjson, common values memoised."""
    return cast(column, Text).label(column.key)


C = CapsuleRecord
CAPSULE_COLUMNS = (
    C.urn, C.name, C.capsule_type, C.namespace, C.source, C.unique_id, C.description,
    C.database_name, C.schema_name, C.relation_name, C.materialization, C.path, C.layer,
    C.layer_evidence, C.domain_name, C.domain_evidence, C.owner, C.owner_evidence, _raw(C.dbt_tags),
    _raw(C.meta), C.access, C.group_name, C.version, C.contract_enforced, C.language, C.compiled_sql,
    C.exposure_type, C.maturity, C.url, _raw(C.freshness), C.last_run_status,
    C.last_run_execution_time, C.last_run_completed_at, C.source_name, _raw(C.dbt_config),
)  # fmt: skip
K = ColumnRecord
COLUMN_COLUMNS = (
    K.urn, K.capsule_urn, K.name, K.description, K.data_type, K.ordinal, _raw(K.meta),
    _raw(K.dbt_tags), _raw(K.constraints), _raw(K.stats), K.pii_type, K.semantic_type, K.is_masked,
)  # fmt: skip
T = DataTestRecord
TEST_COLUMNS = (
    T.urn, T.name, T.kind, T.capsule_urn, T.column_name, T.column_urn, T.severity, T.unique_id,
    T.test_name, _raw(T.depends_on), _raw(T.config), T.status, T.failures, T.message, T.executed_at,
    T.path,
)  # fmt: skip
EDGE = CapsuleLineageRecord
EDGE_COLUMNS = (EDGE.source_urn, EDGE.target_urn, EDGE.edge_type)
COLUMN_EDGE = ColumnLineageRecord
COLUMN_EDGE_COLUMNS = (COLUMN_EDGE.source_urn, COLUMN_EDGE.target_urn, COLUMN_EDGE.transformation)


class _Json:
    """orjson over stored JSON text; short documents (``{}``, ``[]``, tag lists) are parsed once.

    Memoised values are shared between objects, which is safe because domain objects are
    frozen and nothing mutates their ``meta``/``tags``.
    """

    def __init__(self) -> None:
        self.memo: dict[str, Any] = {}

    def __call__(self, text: str | None) -> Any:
        if text is None:
            return None
        found = self.memo.get(text)
        if found is None:
            found = orjson.loads(text)
            if len(text) <= 64 and len(self.memo) < 100_000:
                self.memo[text] = found
        return found


def _when(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return None


def _freshness(raw: dict[str, Any] | None) -> Freshness | None:
    if not raw:
        return None
    return Freshness(
        warn_after=raw.get("warn_after"),
        error_after=raw.get("error_after"),
        loaded_at_field=raw.get("loaded_at_field"),
        status=raw.get("status"),
        max_loaded_at=_when(raw.get("max_loaded_at")),
        snapshotted_at=_when(raw.get("snapshotted_at")),
    )


def _capsule(r: Any, js: _Json) -> Capsule:
    run = RunResult(r.last_run_status, r.last_run_execution_time, r.last_run_completed_at)
    return Capsule(
        urn=r.urn,
        name=r.name,
        capsule_type=CAPSULE_TYPES[r.capsule_type],
        namespace=r.namespace,
        source=r.source,
        unique_id=r.unique_id,
        description=r.description,
        database=r.database_name,
        schema=r.schema_name,
        relation_name=r.relation_name,
        materialization=r.materialization,
        path=r.path,
        layer=Inference(r.layer, r.layer_evidence),
        domain=Inference(r.domain_name, r.domain_evidence),
        owner=Inference(r.owner, r.owner_evidence),
        tags=tuple(js(r.dbt_tags) or ()),
        meta=js(r.meta) or {},
        access=r.access,
        group=r.group_name,
        version=r.version,
        contract_enforced=bool(r.contract_enforced),
        language=r.language,
        compiled_sql=r.compiled_sql,
        exposure_type=r.exposure_type,
        maturity=r.maturity,
        url=r.url,
        freshness=_freshness(js(r.freshness)),
        last_run=run if r.last_run_status else None,
        source_name=r.source_name,
        config=js(r.dbt_config),
    )


def _columns(rows: Iterable[Any], js: _Json) -> dict[str, Column]:
    """Positional construction in the dataclass's field order: the hot path (200k+ rows).

    The memo is read inline because most values are ``{}``/``[]``: a dict lookup, no call.
    """
    memo = js.memo
    tags: dict[str | None, tuple[str, ...]] = {None: ()}
    constraint_tuples: dict[str | None, tuple[Any, ...]] = {None: ()}
    out: dict[str, Column] = {}
    for row in rows:
        meta = memo.get(row[6])
        if meta is None:
            meta = js(row[6]) or {}
        stats = memo.get(row[9])
        if stats is None:
            stats = js(row[9]) or {}
        tag_tuple = tags.get(row[7])
        if tag_tuple is None:
            tag_tuple = tags.setdefault(row[7], tuple(js(row[7]) or ()))
        constraints = constraint_tuples.get(row[8])
        if constraints is None:
            constraints = tuple(js(row[8]) or ())
            if len(row[8]) <= 64:
                constraint_tuples[row[8]] = constraints
        out[row[0]] = Column(
            row[0], row[1], row[2], row[3], row[4], row[5], meta, tag_tuple, constraints, stats,
            row[10], row[11], bool(row[12]),
        )  # fmt: skip
    return out


def _test(r: Any, js: _Json) -> DataTest:
    return DataTest(
        urn=r.urn,
        name=r.name,
        kind=TEST_KINDS.get(r.kind, TestKind.GENERIC),
        capsule_urn=r.capsule_urn,
        column_name=r.column_name,
        column_urn=r.column_urn,
        severity=r.severity,
        unique_id=r.unique_id,
        test_name=r.test_name,
        depends_on=tuple(js(r.depends_on) or ()),
        config=js(r.config) or {},
        status=r.status,
        failures=r.failures,
        message=r.message,
        executed_at=r.executed_at,
        path=r.path,
    )


def _in_project(stmt: S, column: Any, project: str | None) -> S:
    if project is None:
        return stmt
    restricted: S = typing.cast(Any, stmt).where(column == project)
    return restricted


async def _rows(session: AsyncSession, stmt: Any) -> Sequence[Any]:
    """Core execution on the session's connection, fetched at once: no ORM machinery per row."""
    connection = await session.connection()
    return (await connection.execute(stmt)).all()


async def _project_info(session: AsyncSession, project: str | None) -> ProjectInfo | None:
    """The project's metadata; for all projects, only when they agree on one adapter."""
    stmt = _in_project(
        select(ProjectRecord.name, ProjectRecord.adapter_type, ProjectRecord.dbt_version),
        ProjectRecord.name,
        project,
    )
    rows = await _rows(session, stmt)
    if len(rows) == 1:
        return ProjectInfo(rows[0].name, rows[0].adapter_type, rows[0].dbt_version)
    adapters = {r.adapter_type for r in rows}
    if len(adapters) == 1:
        return ProjectInfo("*", adapters.pop())
    return None


async def load_graph(
    session: AsyncSession, project: str | None = None, *, column_edges: bool = True
) -> Graph:
    """The stored graph of one project, or of every project when ``project`` is None.

    Rows become domain objects in a worker thread: on a big graph that is seconds of CPU the
    event loop (health, reads) must not wait for. ``column_edges=False`` leaves out column
    lineage (about 2 edges per column), which no conformance rule reads.
    """
    js = _Json()
    capsules = await _rows(session, _in_project(select(*CAPSULE_COLUMNS), C.project, project))
    graph = Graph(capsules=await to_thread.run_sync(lambda: {r.urn: _capsule(r, js) for r in capsules}))
    columns = await _rows(session, _in_project(select(*COLUMN_COLUMNS), K.project, project))
    graph.columns = await to_thread.run_sync(_columns, columns, js)
    edges = await _rows(session, _in_project(select(*EDGE_COLUMNS), EDGE.project, project))
    graph.edges = [LineageEdge(s, t, e) for s, t, e in edges]
    if column_edges:
        rows = await _rows(session, _in_project(select(*COLUMN_EDGE_COLUMNS), COLUMN_EDGE.project, project))
        graph.column_edges = [ColumnLineageEdge(s, t, TRANSFORMATIONS[k]) for s, t, k in rows]
    tests = await _rows(session, _in_project(select(*TEST_COLUMNS), T.project, project))
    graph.tests = await to_thread.run_sync(lambda: {r.urn: _test(r, js) for r in tests})
    graph.project = await _project_info(session, project)
    return graph


__all__ = ["load_graph"]
