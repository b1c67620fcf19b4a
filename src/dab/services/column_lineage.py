"""Use case: the column lineage of an ingestion, re-derived only where its inputs changed.

Each traced model stores the digest of what its lineage was derived from (its SQL, the dialect,
its own and its readable parents' column names) and its coverage. A model whose digest is
unchanged keeps its stored edges and coverage; only the others are parsed again (sqlglot is the
expensive part of an ingestion), inside the ingestion's transaction, over as many processes as
the setting allows (``lineage_workers``). The rules' SQL facts of each parsed model are taken
from the same parse (``rules._sqlparse.from_tree``) and returned for ``sql_fact``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any, NamedTuple

import anyio
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dab.columnlineage.graph import (
    ModelCoverage,
    Packed,
    assemble_lineage,
    coverage_summary,
    dialect_of,
    input_digests,
    plan_lineage,
    traced_models,
)
from dab.columnlineage.sql import TreeHook
from dab.domain.capsule import Capsule
from dab.domain.gc_pause import rare_full_collections
from dab.domain.graph import Graph
from dab.domain.lineage import KIND_BY_VALUE, ColumnLineageEdge
from dab.rules._sqlparse import from_tree
from dab.rules.sqlfacts import SqlFacts, digest, graph_dialect
from dab.services.lineage_workers import derive_spread, start_helpers
from dab.storage.graph_writer import StoredEdges, update_by_urn
from dab.storage.records import CapsuleRecord, ColumnLineageRecord

C, E = CapsuleRecord, ColumnLineageRecord


@dataclass(frozen=True)
class LineageOptions:
    """From the settings: extra masking function names, processes for deriving lineage (0: auto),
    and the OpenLineage namespace -> dbt project map the adoption step honours."""

    masking_functions: tuple[str, ...] = ()
    workers: int = 0
    openlineage_namespaces: tuple[tuple[str, str], ...] = ()
    """DAB_OPENLINEAGE_NAMESPACES as pairs: which project adopts a namespace's datasets."""


async def _stored_state(session: AsyncSession, project: str) -> dict[str, tuple[str | None, Any]]:
    conn = await session.connection()  # Core: no ORM machinery per row
    rows = await conn.execute(
        select(C.urn, C.lineage_hash, C.column_lineage).where(
            C.project == project, C.lineage_hash.is_not(None)
        )
    )
    return {urn: (digest, coverage) for urn, digest, coverage in rows}


def _reused_edges(stored: StoredEdges, graph: Graph, models: set[str]) -> list[ColumnLineageEdge]:
    """Stored edges into the columns of ``models`` whose two ends are still in the graph."""
    if not models:
        return []
    columns = graph.columns
    out = []
    for (source, target), (_, kind, function) in stored.items():
        column = columns.get(target)
        if column is not None and column.capsule_urn in models and source in columns:
            out.append(ColumnLineageEdge(source, target, KIND_BY_VALUE[kind], function))
    return out


class DerivedLineage(NamedTuple):
    states: list[dict[str, Any]]
    """Per re-derived model, the digest and coverage to store (``store_lineage_state``)."""
    sql_facts: list[tuple[str, SqlFacts]]
    """The rules' facts of the SQL parsed here, by ``sqlfacts.digest`` (for ``sql_fact``)."""


def _facts_hook(graph: Graph) -> TreeHook | None:
    """Facts from the lineage's own parse, where the rules would parse in the same dialect."""
    return (
        from_tree
        if graph_dialect(graph) == dialect_of(graph.project.adapter_type if graph.project else None)
        else None
    )


def _parsed_facts(graph: Graph, models: list[Capsule], results: list[Packed]) -> list[tuple[str, SqlFacts]]:
    dialect = graph_dialect(graph)
    return [
        (digest(c.compiled_sql, dialect), r[4])
        for c, r in zip(models, results, strict=True)
        if r[4] is not None and c.compiled_sql
    ]


async def derive_column_lineage(
    session: AsyncSession,
    graph: Graph,
    *,
    project: str,
    stored_edges: StoredEdges,
    options: LineageOptions | None = None,
) -> DerivedLineage:
    """Set ``graph.column_edges`` and its coverage; returns the per-model state to store and
    the SQL facts taken from the parse (``sql_facts_stored``)."""
    options = options or LineageOptions()
    masking = options.masking_functions
    start_helpers(options.workers, len(traced_models(graph)))  # they import while we read and plan
    stored = await _stored_state(session, project)
    digests = await anyio.to_thread.run_sync(partial(input_digests, graph, extra_masking_functions=masking))
    reused = {urn for urn, digest in digests.items() if stored.get(urn, (None,))[0] == digest}
    with rare_full_collections():
        plan = await anyio.to_thread.run_sync(
            partial(plan_lineage, graph, only=set(digests) - reused, extra_masking_functions=masking)
        )
        results = await derive_spread(plan.tasks, options.workers, on_tree=_facts_hook(graph))
        derived = await anyio.to_thread.run_sync(assemble_lineage, plan, results)
        facts = _parsed_facts(graph, plan.models, results)
    models = dict(derived.models)
    for urn in reused:
        state = stored[urn][1] or {}
        models[urn] = ModelCoverage(state.get("status", "none"), list(state.get("misses", [])))
    graph.column_edges = derived.edges + _reused_edges(stored_edges, graph, reused)
    graph.column_lineage_coverage = {
        **coverage_summary(models),
        "reused": len(reused),
        "derived": len(derived.models),
    }
    states = [
        {"urn": urn, "lineage_hash": digests[urn], "column_lineage": coverage.as_dict()}
        for urn, coverage in derived.models.items()
    ]
    return DerivedLineage(states, facts)


async def store_lineage_state(session: AsyncSession, states: list[dict[str, Any]]) -> None:
    """After the capsules are written: each re-derived model's digest and coverage."""
    await update_by_urn(session, C, states, ("lineage_hash", "column_lineage"))
