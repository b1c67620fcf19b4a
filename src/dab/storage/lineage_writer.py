"""Write what OpenLineage events assert: upserts only, never a delete (incremental source).

Every statement is set-based over the whole batch (one per table), with ``ON CONFLICT`` so
re-sent events and concurrent batches naming the same nodes never fail. Rows are sorted by key
so that two PostgreSQL transactions lock them in the same order. Everything here is synchronous
over a ``batch_db.BatchDb``: on SQLite a whole batch runs in one hand-off to aiosqlite's thread.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import String, bindparam, func, literal_column, or_, select, update
from sqlalchemy.dialects.postgresql import ARRAY

from dab.domain.capsule import DBT_TYPES, CapsuleType
from dab.domain.relations import schemes_agree
from dab.errors import Conflict
from dab.storage.batch_db import BatchDb, by_key_list
from dab.storage.bulk_upsert import upsert_rows
from dab.storage.graph_writer import chunked, update_by_urn_statement
from dab.storage.mappers import capsule_row
from dab.storage.provenance import dbt_sources_named
from dab.storage.records import (
    CapsuleLineageRecord,
    CapsuleRecord,
    CapsuleRunRecord,
    ColumnLineageRecord,
    ColumnRecord,
    LineageEventRecord,
    ProjectRecord,
    SourceAssertionRecord,
    utcnow,
)

C = CapsuleRecord
_MATCHABLE = sorted(DBT_TYPES - {CapsuleType.EXPOSURE.value})
_PREFERENCE = {"model": 0, "snapshot": 1, "source": 2, "seed": 3}
"""When several dbt nodes name one relation: a model or snapshot builds it; a loader writes a
source (a seed naming the same table is dbt loading it, the rarer case)."""


_PROJECTS = select(ProjectRecord.name, ProjectRecord.source, ProjectRecord.adapter_type)
_PROJECT_OWNER = select(ProjectRecord.source).where(ProjectRecord.name == bindparam("name"))


def ensure_source_project(db: BatchDb, project: str, source: str) -> dict[str, str | None]:
    """The project an incremental source writes under (a dbt project of that name is a
    conflict); returns the dbt projects and their adapters, read in the same statement."""
    projects: dict[str, tuple[str | None, str | None]] = {
        name: (owner, adapter) for name, owner, adapter in db.rows(_PROJECTS)
    }
    if project not in projects:
        upsert_rows(db, ProjectRecord, [{"name": project, "source": source}], ["name"])
        owner = db.rows(_PROJECT_OWNER, {"name": project})[0][0]
        projects[project] = (owner, None)
    owner = projects[project][0]
    if owner != source:
        raise Conflict(f"project {project!r} belongs to source {owner!r}; {source} cannot write it")
    return {name: adapter for name, (kind, adapter) in projects.items() if kind == "dbt"}


_KNOWN_EVENTS = by_key_list(
    lambda match: select(LineageEventRecord.event_key).where(match(LineageEventRecord.event_key))
)


def known_events(db: BatchDb, keys: Collection[str]) -> set[str]:
    out: set[str] = set()
    for batch in chunked(sorted(keys), 500):
        out.update(key for (key,) in db.rows(_KNOWN_EVENTS[db.dialect.name], {"keys": list(batch)}))
    return out


def record_events(db: BatchDb, keys: Iterable[str]) -> None:
    now = utcnow()
    upsert_rows(
        db, LineageEventRecord, [{"event_key": k, "received_at": now} for k in set(keys)], ["event_key"]
    )


@dataclass(frozen=True, slots=True)
class RelationQuery:
    urn: str
    relation: str | None
    """The dataset's ``database.schema.table`` key, if its name has three parts."""
    scheme: str
    project: str | None = None
    """The dbt project configured for the dataset's namespace: only its nodes match (any engine)."""
    alias: str | None = None
    """The dataset's whole name as a key, matched against dbt sources' aliases when no relation does."""


_DBT_RELATIONS = by_key_list(
    lambda match: select(C.urn, C.capsule_type, C.relation_key, C.project).where(
        match(C.relation_key), C.capsule_type.in_(_MATCHABLE), C.source == "dbt"
    )
)


def match_relations(
    db: BatchDb, wanted: Sequence[RelationQuery], dbt_projects: Mapping[str, str | None]
) -> dict[str, str]:
    """The stored dbt node each dataset names (same relation key, agreeing engine), else the one
    dbt source it names by alias (``source_aliases``), by dataset URN. ``dbt_projects`` maps
    each dbt project to its adapter: none stored, nothing to read."""
    if not dbt_projects:
        return {}
    by_key: dict[str, list[RelationQuery]] = {}
    for query in wanted:
        if query.relation:
            by_key.setdefault(query.relation, []).append(query)
    found: dict[str, tuple[int, str]] = {}
    for batch in chunked(sorted(by_key), 500):
        for urn, capsule_type, key, project in db.rows(
            _DBT_RELATIONS[db.dialect.name], {"keys": list(batch)}
        ):
            for query in by_key.get(key or "", ()):
                rank = (_PREFERENCE.get(capsule_type, 9), urn)
                if _same_engine(query, project, dbt_projects) and rank < found.get(query.urn, (99, "")):
                    found[query.urn] = rank
    out = {ol_urn: urn for ol_urn, (_, urn) in found.items()}
    rest = [q for q in wanted if q.alias and q.urn not in out]
    return out | _match_source_aliases(db, rest, dbt_projects) if rest else out


def _match_source_aliases(
    db: BatchDb, wanted: Sequence[RelationQuery], dbt_projects: Mapping[str, str | None]
) -> dict[str, str]:
    """Datasets named like one dbt source (``database.schema.<table name>`` or
    ``<source name>.<table name>``) rather than its relation: matched when exactly one source
    of an agreeing engine (or the configured project) has that alias."""
    sources = dbt_sources_named(db, {q.alias for q in wanted if q.alias})
    out: dict[str, str] = {}
    for query in wanted:
        named = {u for u, p, keys in sources if query.alias in keys and _same_engine(query, p, dbt_projects)}
        if len(named) == 1:
            out[query.urn] = named.pop()
    return out


def _same_engine(query: RelationQuery, project: str, dbt_projects: Mapping[str, str | None]) -> bool:
    if query.project is not None:
        return query.project == project
    return schemes_agree(dbt_projects.get(project), query.scheme)


_DESCRIPTIONS = by_key_list(lambda match: select(C.urn, C.description).where(match(C.urn)))


def capsule_descriptions(db: BatchDb, urns: Collection[str]) -> dict[str, str | None]:
    """The stored description of each of ``urns`` that exists."""
    known: dict[str, str | None] = {}
    for batch in chunked(sorted(urns), 500):
        known.update(dict(db.rows(_DESCRIPTIONS[db.dialect.name], {"keys": list(batch)})))
    return known


def upsert_capsules(
    db: BatchDb, capsules: Iterable[Any], project: str, column_counts: Mapping[str, int] | None = None
) -> int:
    """Insert new capsules, update a known one's description (the caller sends only those:
    events repeat the same jobs and datasets, and SQLite pays for every row an upsert touches).
    ``column_counts``: the columns a new capsule is about to get, so that ``count_columns``
    need not rewrite the row it has just inserted."""
    now = utcnow()
    counts = column_counts or {}
    rows = [
        {
            **capsule_row(c, project, "", column_count=counts.get(c.urn, 0), pii_count=0),
            "created_at": now,
            "updated_at": now,
        }
        for c in capsules
    ]
    upsert_rows(
        db,
        C,
        rows,
        ["urn"],
        shape="capsule-description",
        set_=lambda ex: {"updated_at": ex.updated_at, "description": ex.description},
    )
    return len(rows)


def assert_nodes(db: BatchDb, urns: Iterable[str], *, source: str, project: str) -> None:
    now = utcnow()
    rows = [{"subject_urn": u, "source": source, "project": project, "asserted_at": now} for u in set(urns)]
    upsert_rows(db, SourceAssertionRecord, rows, ["subject_urn", "source"])


StoredColumn = tuple[str, str | None, str | None]
"""(URN, data type, description) of a stored column."""


_R = ColumnRecord
_COLUMNS_OF = by_key_list(
    lambda match: select(_R.capsule_urn, _R.name, _R.urn, _R.data_type, _R.description).where(
        match(_R.capsule_urn)
    )
)


def stored_columns(db: BatchDb, capsules: Collection[str]) -> dict[tuple[str, str], StoredColumn]:
    """(capsule URN, lower-cased column name) -> the stored column, for the given capsules."""
    out: dict[tuple[str, str], StoredColumn] = {}
    for batch in chunked(sorted(capsules), 500):
        rows = db.rows(_COLUMNS_OF[db.dialect.name], {"keys": list(batch)})
        out.update({(capsule, name.lower()): (urn, kind, text) for capsule, name, urn, kind, text in rows})
    return out


def upsert_columns(db: BatchDb, rows: Sequence[dict[str, Any]]) -> None:
    # The search trigger indexes them: fired once per multi-row statement it costs about what
    # the drop/index/re-create switch of search_index.sqlite_bulk_insert did at these batch
    # sizes, without its five statements, two of them DDL that made every connection
    # re-prepare its statements (PERFORMANCE.md, "OpenLineage, part 3").
    upsert_rows(
        db,
        ColumnRecord,
        rows,
        ["urn"],
        shape="column-type-text",
        set_=lambda ex: {
            "data_type": func.coalesce(ex.data_type, ColumnRecord.data_type),
            "description": func.coalesce(ex.description, ColumnRecord.description),
            "updated_at": ex.updated_at,
        },
    )


def update_columns(db: BatchDb, rows: Sequence[dict[str, Any]]) -> None:
    """Known columns with a new type (rows: urn, data_type, updated_at) and maybe description.

    Only rows that carry ``description`` set it: on SQLite setting a searched field re-indexes
    the row for search (a trigger), which an upsert of every known column used to do."""
    for fields in _TYPED, _TEXT:
        some = [row for row in rows if ("description" in row) == (fields is _TEXT)]
        if some:
            stmt, params = update_by_urn_statement(ColumnRecord, some, fields)
            db.execute(stmt, params)


_TYPED = ("data_type", "updated_at")
_TEXT = ("data_type", "description", "updated_at")
_COUNT = select(func.count(ColumnRecord.id)).where(ColumnRecord.capsule_urn == C.urn).scalar_subquery()


def _update_counts(match: Any) -> Any:
    """``capsule.column_count`` from a grouped count of the key list's columns, joined by URN."""
    counted = (
        select(ColumnRecord.capsule_urn.label("urn"), func.count(ColumnRecord.id).label("n"))
        .where(match(ColumnRecord.capsule_urn))
        .group_by(ColumnRecord.capsule_urn)
        .subquery("n")
    )
    return (
        update(C)
        .where(C.urn == counted.c.urn, C.column_count.is_distinct_from(counted.c.n))
        .values(column_count=counted.c.n)
    )


# Only a count that changes is written: a capsule inserted by this batch already has its count
# (``upsert_capsules``), and on PostgreSQL every rewritten row is a new version in each of
# ``capsule``'s indexes unless the page has room for a HOT update. On PostgreSQL the counts are
# a grouped join with the key list (``_update_counts``): with a correlated count in the
# ``WHERE`` the generic plan (a prepared statement's plan after five runs) filtered every row of
# ``capsule`` by its count before the join, ~4 µs per capsule in the table per batch
# (PERFORMANCE.md, "OpenLineage, part 7").
_COUNT_COLUMNS = {
    "sqlite": by_key_list(
        lambda match: (
            update(C).where(match(C.urn), C.column_count.is_distinct_from(_COUNT)).values(column_count=_COUNT)
        )
    )["sqlite"],
    "postgresql": by_key_list(_update_counts)["postgresql"],
}


def count_columns(db: BatchDb, capsules: Collection[str]) -> None:
    """Keep ``capsule.column_count`` true for the event source's own capsules (the caller's have
    columns: they got this batch's new ones; on PostgreSQL a capsule without any is not counted)."""
    for batch in chunked(sorted(capsules), 500):
        db.execute(_COUNT_COLUMNS[db.dialect.name], {"keys": list(batch)})


def upsert_edges(db: BatchDb, pairs: Iterable[tuple[str, str]], *, source: str, project: str) -> None:
    rows = [
        {"project": project, "source_urn": s, "target_urn": t, "edge_type": "FLOWS_TO", "source": source}
        for s, t in set(pairs)
    ]
    upsert_rows(db, CapsuleLineageRecord, rows, ["source_urn", "target_urn", "edge_type"])


def upsert_column_edges(
    db: BatchDb, edges: Iterable[tuple[str, str, str]], *, source: str, project: str
) -> None:
    """(source column, target column, kind); an edge this source asserted before takes the new kind."""
    rows = [
        {
            "project": project,
            "source_urn": s,
            "target_urn": t,
            "transformation": k,
            "function": None,
            "source": source,
        }
        for s, t, k in edges
    ]
    upsert_rows(
        db,
        ColumnLineageRecord,
        rows,
        ["source_urn", "target_urn"],
        shape=f"column-edge-kind:{source}",
        set_=lambda ex: {"transformation": ex.transformation},
        # Only a changed kind is written: an unchanged row must not be rewritten by every event.
        where=(ColumnLineageRecord.source == source)
        & (ColumnLineageRecord.transformation != literal_column("excluded.transformation")),
    )


@dataclass(frozen=True, slots=True)
class RunRow:
    capsule_urn: str
    run_id: str
    status: str
    completed_at: datetime | None


def upsert_runs(db: BatchDb, runs: Sequence[RunRow]) -> None:
    """One history row per capsule and run; a late START never overwrites a finished run.

    Of a batch's rows for one run the first finished one counts (else the first), as if they
    were applied one by one: one statement may write a key only once."""
    first: dict[tuple[str, str], RunRow] = {}
    for run in runs:
        key = (run.capsule_urn, run.run_id)
        if key not in first or (first[key].completed_at is None and run.completed_at is not None):
            first[key] = run
    rows = [
        {
            "capsule_urn": r.capsule_urn,
            "invocation_id": r.run_id,
            "status": r.status,
            "execution_time": None,
            "completed_at": r.completed_at,
        }
        for r in first.values()
    ]
    upsert_rows(
        db,
        CapsuleRunRecord,
        rows,
        ["capsule_urn", "invocation_id"],
        shape="run-finished",
        set_=lambda ex: {"status": ex.status, "completed_at": ex.completed_at},
        where=CapsuleRunRecord.status == "running",
    )


_TABLE: Any = C.__table__
_done = _TABLE.c.last_run_completed_at
_LAST_RUN = (
    update(_TABLE)
    .where(_TABLE.c.urn == bindparam("u"), or_(_done.is_(None), _done <= bindparam("t")))
    .values(last_run_status=bindparam("s"), last_run_completed_at=bindparam("t"))
)
_RUNS = (
    func.unnest(
        bindparam("u", type_=ARRAY(String)),
        bindparam("s", type_=ARRAY(String)),
        bindparam("t", type_=ARRAY(_done.type)),
    )
    .table_valued("u", "s", "t")
    .render_derived(name="r")
)
# PostgreSQL: one statement for the batch (arrays joined to ``capsule``) instead of an
# executemany, which asyncpg sends as one execution per capsule (~100 per batch).
_LAST_RUNS = (
    update(_TABLE)
    .where(_TABLE.c.urn == _RUNS.c.u, or_(_done.is_(None), _done <= _RUNS.c.t))
    .values(last_run_status=_RUNS.c.s, last_run_completed_at=_RUNS.c.t)
)


def set_last_runs(db: BatchDb, runs: Sequence[RunRow]) -> None:
    """A capsule's last run is the latest finished one (events may arrive out of order)."""
    latest: dict[str, RunRow] = {}
    for run in runs:
        if run.completed_at is not None and (
            run.capsule_urn not in latest
            or (latest[run.capsule_urn].completed_at or run.completed_at) <= run.completed_at
        ):
            latest[run.capsule_urn] = run
    if not latest:
        return
    # One row per capsule (one statement may not update a row twice), in key order.
    finished = [latest[urn] for urn in sorted(latest)]
    if db.dialect.name == "postgresql":
        columns = {"u": [r.capsule_urn for r in finished], "s": [r.status for r in finished]}
        db.execute(_LAST_RUNS, {**columns, "t": [r.completed_at for r in finished]})
        return
    params = [{"u": r.capsule_urn, "s": r.status, "t": r.completed_at} for r in finished]
    for batch in chunked(params):
        db.execute(_LAST_RUN, list(batch))
