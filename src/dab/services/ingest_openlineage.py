"""Use case: apply a batch of OpenLineage events to the graph (an incremental source).

The whole batch is validated first (an invalid event refuses the batch, naming its JSON path,
and nothing is stored); events already applied (same run id, event type and event time) are
skipped; the rest are written set-based in the caller's transaction. Datasets that name the
relation of a stored dbt source/seed/model/snapshot are that node (``match_relations``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from anyio import to_thread
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dab.domain.column import Column
from dab.domain.gc_pause import gc_paused
from dab.domain.relations import relation_key
from dab.domain.urns import column_urn_of, encode_component
from dab.errors import InvalidInput
from dab.ingest.openlineage import SOURCE, LineageBatch, collect, validate_events
from dab.ingest.openlineage.parser import TERMINAL, Field, dataset_capsule
from dab.storage import lineage_writer as w
from dab.storage.batch_db import BatchDb, in_driver_thread, run_batch
from dab.storage.mappers import column_row
from dab.storage.records import utcnow
from dab.storage.sqlite_pragmas import BATCH_WRITE

PROJECT = "openlineage"
"""The project OpenLineage nodes and edges are written under (``capsule.project``)."""
MAX_EVENTS = 10_000
"""Events per request: bigger batches belong in several requests (or ``dab ingest`` of a file)."""


_COLUMN_ROW = column_row(Column(urn="", capsule_urn="", name=""), PROJECT, "")
"""What every event column's row holds beside its name, type, text and place (events carry no
tags, tests or PII verdicts): mapped once, not per column."""

Checked = list[tuple[str, Any]]
"""Validated events with their idempotency keys, in input order."""


def check_events(events: Sequence[Any]) -> Checked:
    """Validate every event (the first invalid one refuses the batch) and key it.

    CPU-bound: run it in a worker thread before the write transaction opens.
    """
    if not events:
        raise InvalidInput("no OpenLineage events in the body", location="body")
    if len(events) > MAX_EVENTS:
        raise InvalidInput(f"{len(events)} events in one request; at most {MAX_EVENTS}", location="body")
    return validate_events(events)


async def ingest_lineage_events(
    session: AsyncSession, events: Sequence[Any], namespaces: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Validate, de-duplicate and write ``events``; returns what was applied."""
    return await apply_events(session, await to_thread.run_sync(check_events, events), namespaces)


async def apply_events(
    session: AsyncSession, checked: Checked, namespaces: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Write the events not applied before (by key) in the caller's transaction.

    ``namespaces``: dataset namespace -> the dbt project whose nodes alone it may match
    (DAB_OPENLINEAGE_NAMESPACES); other namespaces match where the engine agrees."""
    wanted = namespaces or {}
    if await in_driver_thread(session):
        # SQLite: look-up, collection and writes in one hand-off to the connection's thread.
        return await run_batch(
            session, lambda db: _apply(db, checked, wanted, collect), sqlite_tuning=BATCH_WRITE
        )
    # Elsewhere the statements run on the event loop: collecting (pure CPU) goes to a worker
    # thread between the look-up and the writes.
    projects, fresh, out = await run_batch(session, lambda db: _fresh_events(db, checked))
    if fresh:
        batch = await to_thread.run_sync(collect, list(fresh.values()))
        out.update(await run_batch(session, lambda db: _write_fresh(db, batch, fresh, projects, wanted)))
    return out


def _fresh_events(
    db: BatchDb, checked: Checked
) -> tuple[dict[str, str | None], dict[str, Any], dict[str, Any]]:
    """The dbt projects (adapters), the events not applied before by key, and the counts."""
    projects = w.ensure_source_project(db, PROJECT, SOURCE)
    known = w.known_events(db, {key for key, _ in checked})
    fresh: dict[str, Any] = {}
    for key, event in checked:
        if key not in known:
            fresh.setdefault(key, event)
    out = {"received": len(checked), "applied": len(fresh), "duplicates": len(checked) - len(fresh)}
    return projects, fresh, out


def _apply(
    db: BatchDb,
    checked: Checked,
    namespaces: Mapping[str, str],
    collector: Callable[[list[Any]], LineageBatch],
) -> dict[str, Any]:
    # A batch allocates tens of thousands of short-lived, cycle-free objects (dicts, rows,
    # dataclasses): young collections would only scan them (~5 % of the batch's CPU).
    with gc_paused():
        projects, fresh, out = _fresh_events(db, checked)
        if fresh:  # collected after the look-up, so that re-sent events cost no collection
            with db.tuned():  # for the writes only: a re-sent batch would pay for nothing
                out.update(_write_fresh(db, collector(list(fresh.values())), fresh, projects, namespaces))
    return out


def _write_fresh(
    db: BatchDb,
    batch: LineageBatch,
    fresh: Mapping[str, Any],
    projects: Mapping[str, str | None],
    namespaces: Mapping[str, str],
) -> dict[str, Any]:
    out = _write(db, batch, projects, namespaces)
    w.record_events(db, fresh)
    return out


async def ingest_lineage_batches(
    factory: async_sessionmaker[AsyncSession],
    events: Sequence[Any],
    *,
    batch_size: int = 1_000,
    namespaces: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Apply many events (a file) in batches, one transaction each; sums what was applied.

    Re-running after a failure is safe: batches already written are recognised as duplicates.
    """
    totals: dict[str, int] = {"received": 0, "applied": 0, "duplicates": 0, "batches": 0}
    for start in range(0, len(events), batch_size):
        async with factory.begin() as session:
            out = await ingest_lineage_events(session, events[start : start + batch_size], namespaces)
        totals["batches"] += 1
        for key in ("received", "applied", "duplicates"):
            totals[key] += out[key]
    return totals


def _write(
    db: BatchDb,
    batch: LineageBatch,
    dbt_projects: Mapping[str, str | None],
    namespaces: Mapping[str, str],
) -> dict[str, Any]:
    queries = [
        w.RelationQuery(d.urn, d.relation, d.scheme, namespaces.get(d.namespace), relation_key(d.name))
        for d in batch.datasets.values()
    ]
    resolved = w.match_relations(db, queries, dbt_projects)

    def node(urn: str) -> str:
        return resolved.get(urn, urn)

    _capsules(db, batch, resolved)
    # The source's own nodes say so through their owner; another source's nodes get a row.
    w.assert_nodes(db, resolved.values(), source=SOURCE, project=PROJECT)
    columns, skipped = _columns(db, batch, resolved)
    w.upsert_edges(db, {(node(s), node(t)) for s, t in batch.edges}, source=SOURCE, project=PROJECT)
    column_edges = []
    for edge in batch.field_edges.values():
        source = columns.get((edge.source_dataset, edge.source_field.lower()))
        target = columns.get((edge.target_dataset, edge.target_field.lower()))
        if source and target and source != target:
            column_edges.append((source, target, edge.kind.value))
    w.upsert_column_edges(db, column_edges, source=SOURCE, project=PROJECT)
    runs = []
    for run in batch.runs:
        done = run.event_time if run.status in TERMINAL else None
        runs.append(w.RunRow(run.job_urn, run.run_id, run.status, done))
        if done is not None:  # a finished run is a data arrival for what it wrote
            runs.extend(w.RunRow(node(o), run.run_id, run.status, done) for o in run.outputs)
    w.upsert_runs(db, runs)
    w.set_last_runs(db, runs)
    return {
        "jobs": len(batch.jobs),
        "datasets": len(batch.datasets),
        "matched_dbt_nodes": dict(sorted(resolved.items())),
        "lineage_edges": len(batch.edges),
        "column_lineage_edges": len(column_edges),
        "fields_not_in_dbt": skipped,
        "runs": len(batch.runs),
    }


def _capsules(db: BatchDb, batch: LineageBatch, resolved: Mapping[str, str]) -> None:
    """New jobs and datasets, and jobs whose documentation changed; known ones are not rebuilt."""
    own = [d for d in batch.datasets.values() if d.urn not in resolved]
    known = w.capsule_descriptions(db, [*batch.jobs, *(d.urn for d in own)])
    changed = [
        job
        for urn, job in batch.jobs.items()
        if urn not in known or (job.description and job.description != known[urn])
    ]
    fresh = [dataset_capsule(d) for d in own if d.urn not in known]
    # A new dataset's fields are all new columns (``_columns``): its row starts with their count.
    counts = Counter(dataset for dataset, _ in batch.fields)
    w.upsert_capsules(db, [*changed, *fresh], PROJECT, {c.urn: counts[c.urn] for c in fresh})


def _columns(
    db: BatchDb, batch: LineageBatch, resolved: dict[str, str]
) -> tuple[dict[tuple[str, str], str], int]:
    """Column URN per (dataset, lower-cased field). A dbt node's columns are dbt's to declare:
    fields it does not have are skipped (counted), never added under a dbt URN. The event
    source's own columns are written when new or when the event brings a new type or text."""
    capsules = {resolved.get(ds, ds) for ds, _ in batch.fields}
    stored = w.stored_columns(db, capsules)
    now = utcnow()
    prefixes: dict[str, str] = {}
    urns: dict[tuple[str, str], str] = {}
    new_rows, changed = [], []
    skipped = 0
    for (dataset, lowered), field in sorted(batch.fields.items()):
        capsule = resolved.get(dataset, dataset)
        known = stored.get((capsule, lowered))
        if known is not None:
            urns[(dataset, lowered)] = known[0]
            if dataset not in resolved and (update := _changed(known, field)) is not None:
                changed.append({**update, "updated_at": now})
            continue
        if dataset in resolved:
            skipped += 1
            continue
        if capsule not in prefixes:
            prefixes[capsule] = column_urn_of(capsule, "")
        urn = urns[(dataset, lowered)] = prefixes[capsule] + encode_component(field.name)
        new_rows.append(
            {
                **_COLUMN_ROW,
                "urn": urn,
                "capsule_urn": capsule,
                "name": field.name,
                "description": field.description or None,
                "data_type": field.data_type,
                "ordinal": field.ordinal or None,
                "created_at": now,
                "updated_at": now,
            }
        )
    w.upsert_columns(db, new_rows)
    w.update_columns(db, changed)
    w.count_columns(db, {row["capsule_urn"] for row in new_rows})
    return urns, skipped


def _changed(known: w.StoredColumn, field: Field) -> dict[str, Any] | None:
    """The update of a stored column when the event brings another type or description
    (the description only when it changes: setting it re-indexes the column for search)."""
    urn, data_type, description = known
    update: dict[str, Any] = {"urn": urn, "data_type": field.data_type or data_type}
    if field.description and field.description != description:
        update["description"] = field.description
    elif update["data_type"] == data_type:
        return None
    return update
