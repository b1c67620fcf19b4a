"""Stored rows -> a domain Graph (the inverse of mappers.py), for the rules engine.

A handful of set-based selects of plain columns, one per table, optionally restricted to one
project, run in one hop and fetched as plain DBAPI rows (no ORM object, no SQLAlchemy row per
row). Domain objects are built in Python afterwards.
"""

from __future__ import annotations

import typing
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

import orjson
from anyio import to_thread
from sqlalchemy import Text, cast, select
from sqlalchemy.ext.asyncio import AsyncSession

from dab.domain.capsule import Capsule, CapsuleType, Freshness, Inference, RunResult
from dab.domain.column import Column
from dab.domain.gc_pause import rare_full_collections, rare_young_collections
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
RULE_COLUMN_COLUMNS = (
    K.urn, K.capsule_urn, K.name, K.description, K.data_type, K.ordinal, _raw(K.meta),
    _raw(K.dbt_tags), K.pii_type, K.is_masked,
)  # fmt: skip
"""What the rules read of a column (checks and CEL's ``column``); the rest keeps its default."""
COLUMN_COLUMNS = (*RULE_COLUMN_COLUMNS, _raw(K.constraints), _raw(K.stats), K.semantic_type)
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


def _utc(value: Any) -> datetime | None:
    """A stored timestamp as ``UTCDateTime`` reads it: SQLite hands back text, and naive is UTC."""
    found = _when(value)
    return found.replace(tzinfo=UTC) if found is not None and found.tzinfo is None else found


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


def _capsule(r: Sequence[Any], js: _Json) -> Capsule:
    """One row of ``CAPSULE_COLUMNS``, which lists the fields in ``Capsule``'s order, built
    positionally (a plain DBAPI row has positions, not names)."""
    return Capsule(
        r[0], r[1], CAPSULE_TYPES[r[2]], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11],
        Inference(r[12], r[13]), Inference(r[14], r[15]), Inference(r[16], r[17]),  # layer, domain, owner
        tuple(js(r[18]) or ()), js(r[19]) or {}, r[20], r[21], r[22], bool(r[23]), r[24], r[25],
        r[26], r[27], r[28],
        _freshness(js(r[29])), RunResult(r[30], r[31], _utc(r[32])) if r[30] else None, r[33],
        None, js(r[34]),  # alias is not stored; config
    )  # fmt: skip


def _columns(rows: Sequence[Sequence[Any]], js: _Json) -> dict[str, Column]:
    """Positional construction in the dataclass's field order: the hot path (200k+ rows).

    Rows of ``RULE_COLUMN_COLUMNS`` leave constraints, stats and semantic type at their
    defaults. The memo is read inline because most values are ``{}``/``[]``: a dict lookup.
    """
    memo = js.memo
    tags: dict[str | None, tuple[str, ...]] = {None: ()}
    full = bool(rows) and len(rows[0]) > len(RULE_COLUMN_COLUMNS)
    out: dict[str, Column] = {}
    for row in rows:
        meta = memo.get(row[6])
        if meta is None:
            meta = js(row[6]) or {}
        tag_tuple = tags.get(row[7])
        if tag_tuple is None:
            tag_tuple = tags.setdefault(row[7], tuple(js(row[7]) or ()))
        column = out[row[0]] = Column(
            row[0],
            row[1],
            row[2],
            row[3],
            row[4],
            row[5],
            meta,
            tag_tuple,
            (),
            {},
            row[8],
            None,
            bool(row[9]),
        )
        if full:
            _rest(column, row, js)
    return out


def _rest(column: Column, row: Sequence[Any], js: _Json) -> None:
    """Constraints, stats and semantic type: what only the full graph reads."""
    column.constraints = tuple(js(row[10]) or ())
    column.stats = js(row[11]) or {}
    column.semantic_type = row[12]


def _test(r: Sequence[Any], js: _Json) -> DataTest:
    """One row of ``TEST_COLUMNS``, which lists the fields in ``DataTest``'s order."""
    return DataTest(
        r[0], r[1], TEST_KINDS.get(r[2], TestKind.GENERIC), r[3], r[4], r[5], r[6], r[7], r[8],
        tuple(js(r[9]) or ()), js(r[10]) or {}, r[11], r[12], r[13], _utc(r[14]), r[15],
    )  # fmt: skip


def _in_project(stmt: S, column: Any, project: str | None) -> S:
    if project is None:
        return stmt
    restricted: S = typing.cast(Any, stmt).where(column == project)
    return restricted


async def _fetch(session: AsyncSession, statements: Sequence[Any]) -> list[list[Sequence[Any]]]:
    """Every statement's rows as the driver returns them, in one hop to the connection.

    Plain DBAPI rows skip SQLAlchemy's row objects and result processing: at 220k columns
    that was half the CPU of fetching them. The callers convert what the types would have
    (booleans, SQLite's text timestamps); JSON columns are read as text and parsed with orjson.
    """
    connection = await session.connection()
    compiled = [stmt.compile(dialect=connection.dialect) for stmt in statements]
    queries = [(str(c), tuple(c.params[name] for name in c.positiontup or ())) for c in compiled]

    def run(sync: Any) -> list[list[Sequence[Any]]]:
        cursor = sync.connection.dbapi_connection.cursor()
        try:
            out = []
            for sql, params in queries:
                cursor.execute(sql, params)
                out.append(cursor.fetchall())
            return out
        finally:
            cursor.close()

    fetched: list[list[Sequence[Any]]] = await connection.run_sync(run)
    return fetched


async def _project_info(session: AsyncSession, project: str | None) -> ProjectInfo | None:
    """The project's metadata; for all projects, only when they agree on one adapter."""
    stmt = _in_project(
        select(ProjectRecord.name, ProjectRecord.adapter_type, ProjectRecord.dbt_version),
        ProjectRecord.name,
        project,
    )
    (rows,) = await _fetch(session, [stmt])
    if len(rows) == 1:
        return ProjectInfo(*rows[0])
    adapters = {adapter for _, adapter, _ in rows}
    if len(adapters) == 1:
        return ProjectInfo("*", adapters.pop())
    return None


def _build(graph: Graph, rows: list[list[Sequence[Any]]], column_edges: bool) -> None:
    """Domain objects from the fetched rows (in a worker thread): acyclic, and kept until the
    graph is replaced, so young collections are made rare while they are built (at the default
    they rescanned them, ~half the CPU of building 220k columns)."""
    js = _Json()
    capsules, columns, edges, tests, *lineage = rows
    with rare_young_collections(), rare_full_collections():
        graph.capsules = {r[0]: _capsule(r, js) for r in capsules}
        graph.columns = _columns(columns, js)
        graph.edges = [LineageEdge(s, t, e) for s, t, e in edges]
        if column_edges:
            graph.column_edges = [ColumnLineageEdge(s, t, TRANSFORMATIONS[k]) for s, t, k in lineage[0]]
        graph.tests = {r[0]: _test(r, js) for r in tests}


async def load_graph(
    session: AsyncSession, project: str | None = None, *, column_edges: bool = True, for_rules: bool = False
) -> Graph:
    """The stored graph of one project, or of every project when ``project`` is None.

    Rows are fetched in one hop to the connection and become domain objects in a worker
    thread: on a big graph that is seconds of CPU the event loop (health, reads) must not wait
    for. ``column_edges=False`` leaves out column lineage (about 2 edges per column), which no
    conformance rule reads; ``for_rules`` reads of a column only what the rules read.
    """
    statements = [
        _in_project(select(*CAPSULE_COLUMNS), C.project, project),
        _in_project(select(*(RULE_COLUMN_COLUMNS if for_rules else COLUMN_COLUMNS)), K.project, project),
        _in_project(select(*EDGE_COLUMNS), EDGE.project, project),
        _in_project(select(*TEST_COLUMNS), T.project, project),
    ]
    if column_edges:
        statements.append(_in_project(select(*COLUMN_EDGE_COLUMNS), COLUMN_EDGE.project, project))
    with rare_young_collections(), rare_full_collections():  # the driver's rows too: kept until built
        rows = await _fetch(session, statements)
    graph = Graph()
    await to_thread.run_sync(_build, graph, rows, column_edges)
    graph.project = await _project_info(session, project)
    return graph


__all__ = ["load_graph"]
