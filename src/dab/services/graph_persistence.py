"""Write a parsed Graph for one project: capsules, columns, tests, lineage, tags, runs."""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from anyio import to_thread
from sqlalchemy import bindparam, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from dab.domain.capsule import Capsule
from dab.domain.gc_pause import gc_paused
from dab.domain.graph import Graph
from dab.domain.lineage import VALUE_OF_KIND, ColumnLineageEdge
from dab.errors import Conflict
from dab.services import first_write
from dab.services.first_write import Digests, FirstWrite, item_digests, nothing_stored
from dab.storage.graph_writer import (
    ColumnEdge,
    DiffStats,
    Entry,
    StoredEdges,
    insert_new_column_edges,
    insert_new_rows,
    sync_by_urn,
    sync_capsule_edges,
    sync_column_edges,
    update_by_urn,
)
from dab.storage.mappers import capsule_row, column_row, content_hash, test_row
from dab.storage.provenance import hand_over, reclaim
from dab.storage.records import (
    CapsuleRecord,
    CapsuleRunRecord,
    ColumnRecord,
    DataTestRecord,
    DomainRecord,
    OwnerRecord,
    ProjectRecord,
    TestResultRecord,
    utcnow,
)
from dab.storage.repositories.pii import FINDING_FIELDS
from dab.storage.tag_writer import ensure_named, sync_dbt_tag_links


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


def _advisory_key(project: str) -> int:
    return int.from_bytes(hashlib.blake2b(project.encode(), digest_size=8).digest(), "big", signed=True)


async def lock_project(session: AsyncSession, project: str) -> str | None:
    """Serialise writes of one project across processes, for the transaction's life.

    PostgreSQL: an advisory transaction lock. SQLite: writing the project row first takes
    the database write lock before anything is read, so two diffs never interleave.
    Returns the job that last wrote the project.
    """
    dialect = _dialect(session)
    if dialect == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _advisory_key(project)})
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(ProjectRecord).values(name=project)
    await session.execute(stmt.on_conflict_do_update(index_elements=["name"], set_={"name": project}))
    row = (
        await session.execute(
            select(ProjectRecord.source, ProjectRecord.last_job_id).where(ProjectRecord.name == project)
        )
    ).one()
    if row.source != "dbt":  # a snapshot of it would delete everything that source wrote
        raise Conflict(f"project name {project!r} is taken by the {row.source} source; choose another")
    last_job: str | None = row.last_job_id
    return last_job


async def set_last_job(session: AsyncSession, project: str, job_id: str) -> None:
    await session.execute(
        update(ProjectRecord).where(ProjectRecord.name == project).values(last_job_id=job_id)
    )


async def _update_project(session: AsyncSession, graph: Graph, project: str) -> None:
    record = await session.scalar(select(ProjectRecord).where(ProjectRecord.name == project))
    assert record is not None  # lock_project created it
    info = graph.project
    if info is not None:
        record.adapter_type = info.adapter_type
        record.dbt_version = info.dbt_version
        record.manifest_schema_version = info.manifest_schema_version
        record.generated_at = info.generated_at
    record.last_ingested_at = utcnow()


async def touch_project(session: AsyncSession, project: str, generated_at: Any) -> None:
    """What a write of input equal to the last one changes: the manifest's stamp and the time."""
    stamp = generated_at if isinstance(generated_at, str) and generated_at else None
    await session.execute(
        update(ProjectRecord)
        .where(ProjectRecord.name == project)
        .values(generated_at=stamp, last_ingested_at=utcnow())
    )


async def _record_history(
    session: AsyncSession, graph: Graph, invocation: str | None, *, fresh: bool = False
) -> None:
    """Append this invocation's runs and test results to the history (once per invocation).

    ``fresh``: every capsule and test row of the graph was created by this transaction, so no
    history row can name them yet (their foreign keys) and the rows go in without ``ON CONFLICT``.
    """
    if not invocation:
        return
    recorded = await session.scalar(
        select(CapsuleRunRecord.id).where(CapsuleRunRecord.invocation_id == invocation).limit(1)
    )
    if recorded is not None:  # the same run_results.json again: its history is already there
        return
    runs = [
        {
            "capsule_urn": c.urn,
            "invocation_id": invocation,
            "status": c.last_run.status,
            "execution_time": c.last_run.execution_time,
            "completed_at": c.last_run.completed_at,
        }
        for c in graph.capsules.values()
        if c.last_run is not None
    ]
    results = [
        {
            "test_urn": t.urn,
            "invocation_id": invocation,
            "status": t.status,
            "failures": t.failures,
            "executed_at": t.executed_at,
        }
        for t in graph.tests.values()
        if t.status is not None
    ]
    for record, rows, key in (
        (CapsuleRunRecord, runs, "capsule_urn"),
        (TestResultRecord, results, "test_urn"),
    ):
        if not rows:
            continue
        if fresh:
            await insert_new_rows(session, record, rows)
            continue
        insert = postgresql.insert if _dialect(session) == "postgresql" else sqlite.insert
        stmt = insert(record).on_conflict_do_nothing(index_elements=[key, "invocation_id"])
        await session.execute(stmt, rows)


@dataclass
class _Subtrees:
    """Columns and tests grouped by capsule, each item's digest, and one digest per capsule over
    its items' digests (each item is serialised once for both)."""

    columns: dict[str, list[Entry]] = field(default_factory=lambda: defaultdict(list))
    tests: dict[str, list[Entry]] = field(default_factory=lambda: defaultdict(list))
    digests: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, graph: Graph, digests: Digests | None = None, *, summed: bool = True) -> _Subtrees:
        """``digests``: each column's and test's, in the graph's order (computed when None);
        ``summed=False`` leaves the capsules' digests out (only the grouping is wanted)."""
        out = cls()
        # Entries hold no cycles: young collections scanning the 250k new ones cost ~20%.
        with gc_paused():
            columns, tests = digests or item_digests(graph)
            for column, digest in zip(graph.columns.values(), columns, strict=True):
                out.columns[column.capsule_urn].append(Entry(column.urn, digest, column))
            for test, digest in zip(graph.tests.values(), tests, strict=True):
                out.tests[test.capsule_urn].append(Entry(test.urn, digest, test))
            for urn in graph.capsules if summed else ():
                out.digests[urn] = subtree_digest(out.columns.get(urn, ()), out.tests.get(urn, ()))
        return out


def subtree_digest(columns: Iterable[Entry], tests: Iterable[Entry]) -> str:
    """One digest over a capsule's column and test digests, in order (URNs included, so a
    renamed item with equal content still changes it)."""
    digest = hashlib.blake2b(b"subtree-2", digest_size=16)
    for part in (columns, tests):
        digest.update(b"\x00")
        for entry in part:
            digest.update(b"%s %s\n" % (entry.urn.encode(), entry.digest.encode()))
    return digest.hexdigest()


Counts = dict[str, tuple[int, int]]
"""Per capsule: its column count and how many of its columns have a PII type."""


def _counts_of(subtrees: _Subtrees, urns: Iterable[str]) -> Counts:
    out = {}
    for urn in urns:
        columns = subtrees.columns.get(urn, ())
        out[urn] = (len(columns), sum(1 for c in columns if c.item.pii_type))
    return out


def _graph_counts(graph: Graph) -> Counts:
    """``_counts_of`` the graph's subtrees, without their digests."""
    columns: Counter[str] = Counter()
    pii: Counter[str] = Counter()
    for column in graph.columns.values():
        columns[column.capsule_urn] += 1
        if column.pii_type:
            pii[column.capsule_urn] += 1
    return {urn: (columns[urn], pii[urn]) for urn in graph.capsules}


def _capsule_items(graph: Graph, counts: Counts) -> list[Entry]:
    """The capsules of ``counts`` with their content digests (which need no item digest)."""
    with gc_paused():
        return [
            Entry(urn, content_hash((graph.capsules[urn], count)), (graph.capsules[urn], count))
            for urn, count in counts.items()
        ]


def _capsule_to_row(project: str, subtrees: _Subtrees) -> Callable[[Any, str], dict[str, Any]]:
    def to_row(item: tuple[Capsule, tuple[int, int]], digest: str) -> dict[str, Any]:
        capsule, (column_count, pii_count) = item
        row = capsule_row(capsule, project, digest, column_count=column_count, pii_count=pii_count)
        row["subtree_hash"] = subtrees.digests[capsule.urn]
        return row

    return to_row


async def _changed_subtrees(session: AsyncSession, subtrees: _Subtrees, project: str) -> list[str] | None:
    """Capsules whose columns or tests differ from what is stored; None means all of them."""
    stored = dict(
        (
            await session.execute(
                select(CapsuleRecord.urn, CapsuleRecord.subtree_hash).where(CapsuleRecord.project == project)
            )
        ).all()
    )
    if not stored:
        return None
    return sorted(urn for urn, digest in subtrees.digests.items() if stored.get(urn) != digest)


async def _store_subtree_digests(session: AsyncSession, subtrees: _Subtrees, urns: Sequence[str]) -> None:
    if not urns:
        return
    conn = await session.connection()
    table: Any = CapsuleRecord.__table__
    stmt = update(table).where(table.c.urn == bindparam("capsule")).values(subtree_hash=bindparam("digest"))
    await conn.execute(stmt, [{"capsule": urn, "digest": subtrees.digests[urn]} for urn in urns])


def _scoped(subtrees: _Subtrees, scope: Sequence[str]) -> dict[str, list[Entry]]:
    """The columns and tests of the capsules ``scope``, in the order they are written."""
    return {
        "columns": [e for urn in scope for e in subtrees.columns.get(urn, ())],
        "tests": [e for urn in scope for e in subtrees.tests.get(urn, ())],
    }


def _all_items(graph: Graph, digests: Digests) -> dict[str, list[Entry]]:
    return _scoped(_Subtrees.of(graph, digests, summed=False), list(graph.capsules))


async def _first_write(
    session: AsyncSession, graph: Graph, project: str, fork_rows: bool
) -> FirstWrite | None:
    """A child encoding the rows of a big first write on SQLite (``services/first_write.py``)."""
    big = len(graph.columns) + len(graph.tests) >= first_write.FORK_MIN_ROWS
    if not (fork_rows and big and _dialect(session) == "sqlite"):
        return None
    if not await nothing_stored(session, project):
        return None
    capsules = graph.capsules  # the items ``_scoped`` writes: those of a parsed capsule
    counts = {
        "columns": sum(1 for c in graph.columns.values() if c.capsule_urn in capsules),
        "tests": sum(1 for t in graph.tests.values() if t.capsule_urn in capsules),
    }
    first = FirstWrite(graph, project, session.get_bind().dialect, _all_items, counts)
    return first if first.forked else None


def _mapped(mapper: Callable[..., dict[str, Any]], project: str) -> Callable[[Any, str], dict[str, Any]]:
    return lambda item, digest: mapper(item, project, digest)


async def _sync_items(
    session: AsyncSession,
    subtrees: _Subtrees,
    project: str,
    changed: list[str] | None,
    written: dict[str, str] | None,
    first: FirstWrite | None,
) -> tuple[DiffStats, DiffStats]:
    """Columns and tests; only capsules whose subtree digest moved have theirs compared row by row."""
    scope = list(subtrees.digests) if changed is None else changed  # digests: every parsed capsule
    entries = _scoped(subtrees, scope)
    if first is not None and changed is None:  # nothing stored: every row is new, encoded by the child
        columns = await first.insert(session, "columns", entries["columns"], project)
        if written is not None:
            written.update({e.urn: "" for e in entries["columns"]})
        return columns, await first.insert(session, "tests", entries["tests"], project)
    kinds: tuple[tuple[str, Any, Callable[..., dict[str, Any]], dict[str, Any]], ...] = (
        ("columns", ColumnRecord, column_row, {"keep_manual_pii": True, "written": written}),
        ("tests", DataTestRecord, test_row, {}),
    )
    columns, tests = [
        await sync_by_urn(
            session,
            record,
            entries[kind],
            _mapped(mapper, project),
            project=project,
            within_capsules=changed,
            **options,
        )
        for kind, record, mapper, options in kinds
    ]
    return columns, tests


async def persist_graph(
    session: AsyncSession,
    graph: Graph,
    *,
    project: str,
    run_invocation_id: str | None = None,
    stored_column_edges: StoredEdges | None = None,
    with_column_edges: bool = True,
    memo: WriteMemo | None = None,
    fork_rows: bool = False,
) -> dict[str, Any]:
    """Diff-write ``graph`` as the new state of ``project``; returns per-kind stats.

    A snapshot: what the graph no longer holds is removed, except nodes another source also
    asserts, which are handed to it (``storage/provenance.py``). ``with_column_edges=False``
    leaves the column lineage to a later ``write_column_edges`` (it is still being derived);
    ``memo`` keeps what a later ``store_refreshed_findings`` needs. ``fork_rows``: the caller
    runs one job in its own process, so a big first write may encode its rows in a forked child.
    """
    capsules_in = graph.capsules.values()
    reclaimed = await reclaim(session, project, "dbt", graph.capsules)
    handed_over = await hand_over(session, project, graph.capsules)
    domains = await ensure_named(
        session, DomainRecord, (c.domain.value for c in capsules_in if c.domain.value)
    )
    owners = await ensure_named(session, OwnerRecord, (c.owner.value for c in capsules_in if c.owner.value))
    first = await _first_write(session, graph, project, fork_rows)
    try:
        # Content hashing is CPU work over every capsule, column and test: off the event loop.
        digests, capsule_entries = None, None
        if first is not None:  # capsule digests need no item digest: computed while the child makes those
            capsule_entries = await to_thread.run_sync(lambda: _capsule_items(graph, _graph_counts(graph)))
            digests = await to_thread.run_sync(first.digests)
        subtrees = await to_thread.run_sync(_Subtrees.of, graph, digests)
        written = None
        if memo is not None:
            memo.subtrees, written = subtrees, memo.written
        changed = await _changed_subtrees(session, subtrees, project)
        if capsule_entries is None:
            capsule_entries = await to_thread.run_sync(
                lambda: _capsule_items(graph, _counts_of(subtrees, graph.capsules))
            )
        capsules = await sync_by_urn(
            session,
            CapsuleRecord,
            capsule_entries,
            _capsule_to_row(project, subtrees),
            project=project,
            written=written,
        )
        columns, tests = await _sync_items(session, subtrees, project, changed, written, first)
    finally:
        if first is not None:
            first.close()
    await _store_subtree_digests(session, subtrees, changed or [])
    edges = await sync_capsule_edges(
        session, ((e.source_urn, e.target_urn) for e in graph.edges), project=project
    )
    column_edges = (
        await write_column_edges(session, graph, project, stored_column_edges)
        if with_column_edges
        else DiffStats()
    )
    tags = await sync_dbt_tag_links(
        session,
        {c.urn: c.tags for c in capsules_in if c.tags},
        {c.urn: c.tags for c in graph.columns.values() if c.tags},
        project=project,
    )
    # Nothing of the project was stored and nothing taken back from another source: every
    # capsule and test row is this transaction's own.
    await _record_history(session, graph, run_invocation_id, fresh=changed is None and not reclaimed)
    await _update_project(session, graph, project)
    by_type = Counter(c.capsule_type.value for c in capsules_in)
    return {
        "capsules": capsules.as_dict(),
        "columns": columns.as_dict(),
        "tests": tests.as_dict(),
        "lineage_edges": edges.as_dict(),
        "column_lineage_edges": column_edges.as_dict(),
        "tag_links": tags.as_dict(),
        "domains_created": domains,
        "owners_created": owners,
        "totals": {
            "capsules": len(graph.capsules),
            "columns": len(graph.columns),
            "tests": len(graph.tests),
            "lineage_edges": len(graph.edges),
            "column_lineage_edges": len(graph.column_edges),
            "by_type": dict(sorted(by_type.items())),
        },
        "warnings": len(graph.issues),
        "provenance": {"handed_over": handed_over, "reclaimed": reclaimed},
    }


def _edge_tuples(edges: Iterable[ColumnLineageEdge]) -> Iterator[ColumnEdge]:
    value = VALUE_OF_KIND  # the enum's ``value`` property costs ~2x the look-up, per edge
    return ((e.source_urn, e.target_urn, value[e.transformation], e.function) for e in edges)


async def write_column_edges(
    session: AsyncSession,
    graph: Graph,
    project: str,
    stored: StoredEdges | None,
    *,
    new_inserted: bool = False,
) -> DiffStats:
    """Make the project's stored column lineage equal ``graph.column_edges`` (whose new pairs
    ``insert_column_edges`` may have inserted already: ``new_inserted``)."""
    return await sync_column_edges(
        session, _edge_tuples(graph.column_edges), project=project, stored=stored, new_inserted=new_inserted
    )


async def insert_column_edges(
    session: AsyncSession, edges: Iterable[ColumnLineageEdge], project: str, stored: StoredEdges
) -> int:
    """Insert the new pairs among ``edges`` (the lineage of some models) ahead of the rest;
    returns how many were inserted."""
    return await insert_new_column_edges(session, _edge_tuples(edges), project=project, stored=stored)


_FINDING_COLUMNS = (*FINDING_FIELDS, "content_hash")
_CAPSULE_PII_COLUMNS = ("pii_column_count", "content_hash", "subtree_hash")


@dataclass
class WriteMemo:
    """What ``persist_graph`` leaves for ``store_refreshed_findings``: the digest each row it
    overwrote had ("" for a created row) and its own digests of columns and tests."""

    written: dict[str, str] = field(default_factory=dict)
    subtrees: _Subtrees | None = None

    def rehash(self, columns: set[str], capsules: set[str]) -> _Subtrees:
        """The digests after the ``columns`` (of ``capsules``) changed: only those are hashed again."""
        assert self.subtrees is not None, "persist_graph(..., memo=) first"
        out = _Subtrees()
        for urn in sorted(capsules):
            mine = self.subtrees.columns.get(urn, [])
            out.columns[urn] = [
                Entry(e.urn, content_hash(e.item), e.item) if e.urn in columns else e for e in mine
            ]
            out.tests[urn] = self.subtrees.tests.get(urn, [])
            out.digests[urn] = subtree_digest(out.columns[urn], out.tests[urn])
        return out


def _recount(stats: dict[str, Any], kind: str, rows: list[dict[str, Any]], written: dict[str, str]) -> None:
    """Count ``rows`` (rewritten after ``persist_graph``) as a write of the final graph would have:
    updated when their final digest differs from the one stored before the ingestion."""
    for row in rows:
        before = written.get(row["urn"])
        if before is None:  # untouched by persist_graph: what was stored equals its earlier guess
            stats[kind]["updated"] += 1
        elif before and before == row["content_hash"]:  # the guess changed it, the final graph not
            stats[kind]["updated"] -= 1


async def store_refreshed_findings(
    session: AsyncSession,
    graph: Graph,
    project: str,
    urns: set[str],
    memo: WriteMemo,
    stats: dict[str, Any],
) -> None:
    """Rewrite what depends on the PII findings of the columns ``urns`` after they changed
    (written by ``persist_graph`` with an earlier guess): their finding fields and digests, and
    their capsules' PII counts and digests, so the rows equal a write of the final graph; the
    ``stats`` of ``persist_graph`` are corrected to count what that write would have.

    A column classified by hand never gets here: its finding is the manual one either way.
    """
    if not urns:
        return
    capsules = {graph.columns[urn].capsule_urn for urn in urns}
    subtrees = await to_thread.run_sync(memo.rehash, urns, capsules)
    columns = [
        column_row(e.item, project, e.digest)
        for urn in sorted(capsules)
        for e in subtrees.columns.get(urn, ())
        if e.urn in urns
    ]
    now = {"updated_at": utcnow()}  # as an update by ``persist_graph`` stamps it
    _recount(stats, "columns", columns, memo.written)
    await update_by_urn(
        session, ColumnRecord, [{**r, **now} for r in columns], (*_FINDING_COLUMNS, "updated_at")
    )
    entries = _capsule_items(graph, _counts_of(subtrees, sorted(capsules)))
    to_row = _capsule_to_row(project, subtrees)
    rows = [{**to_row(e.item, e.digest), **now} for e in entries]
    _recount(stats, "capsules", rows, memo.written)
    await update_by_urn(session, CapsuleRecord, rows, (*_CAPSULE_PII_COLUMNS, "updated_at"))
