"""Use case: the column lineage of an ingestion, re-derived only where its inputs changed.

Each traced model stores the digest of what its lineage was derived from (its SQL, the dialect,
its own and its readable parents' column names) and its coverage. A model whose digest is
unchanged keeps its stored edges and coverage; only the others are parsed again (sqlglot is the
expensive part of an ingestion), inside the ingestion's transaction, over as many processes as
the setting allows (``lineage_workers``). The rules' SQL facts of each parsed model are taken
from the same parse (``rules._sqlparse.from_tree``) and kept on the ``LineageWork`` for ``sql_fact``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import Any

import anyio
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dab.columnlineage.graph import (
    PARALLEL_MIN_MODELS,
    GraphLineage,
    LineagePlan,
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
from dab.domain.gc_pause import rare_full_collections
from dab.domain.graph import Graph
from dab.domain.lineage import KIND_BY_VALUE, ColumnLineageEdge
from dab.rules._sqlparse import from_tree
from dab.rules.sqlfacts import SqlFacts, digest, graph_dialect
from dab.services.lineage_workers import start_helpers
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
    parallel_min: int = PARALLEL_MIN_MODELS
    """Re-derived models from which helper processes join (tests lower it to reach that path)."""
    early_min_bytes: int = 256 * 1024
    """A job whose stored manifest has this many bytes (gzip) starts deriving while it parses
    (``lineage_early``): ~700 models of a typical project (tests lower it to reach that path)."""


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


@dataclass(slots=True)
class LineageWork:
    """What an ingestion derives (``plan``) and what it reuses, from its inputs' digests."""

    plan: LineagePlan
    digests: dict[str, str]
    stored: dict[str, tuple[str | None, Any]]
    reused: set[str]
    on_tree: TreeHook | None = None
    """``from_tree`` where the rules parse in the lineage's dialect: their SQL facts come from
    the same parse (module-level, so helper processes can unpickle it)."""
    facts_dialect: str | None = None
    sql_facts: list[tuple[str, SqlFacts]] = field(default_factory=list)
    """The rules' facts of the SQL parsed so far, by ``sqlfacts.digest`` (for ``sql_fact``)."""

    def note_facts(self, start: int, results: list[Packed]) -> None:
        """Keep the facts of the plan's models ``start`` to ``start + len(results)``."""
        models = self.plan.models[start : start + len(results)]
        self.sql_facts.extend(
            (digest(c.compiled_sql, self.facts_dialect), r[4])
            for c, r in zip(models, results, strict=True)
            if r[4] is not None and c.compiled_sql
        )


def _facts_hook(graph: Graph) -> tuple[TreeHook | None, str | None]:
    """The hook and the rules' dialect: facts from the lineage's own parse only where the rules
    would parse in the same dialect."""
    dialect = graph_dialect(graph)
    same = dialect == dialect_of(graph.project.adapter_type if graph.project else None)
    return (from_tree if same else None), dialect


async def plan_column_lineage(
    session: AsyncSession, graph: Graph, *, project: str, options: LineageOptions | None = None
) -> LineageWork:
    """The models whose lineage inputs changed since the stored state, ready to derive."""
    options = options or LineageOptions()
    masking = options.masking_functions
    start_helpers(
        options.workers, len(traced_models(graph)), options.parallel_min
    )  # they import while we read and plan
    stored = await _stored_state(session, project)
    digests = await anyio.to_thread.run_sync(partial(input_digests, graph, extra_masking_functions=masking))
    reused = {urn for urn, digest in digests.items() if stored.get(urn, (None,))[0] == digest}
    with rare_full_collections():
        plan = await anyio.to_thread.run_sync(
            partial(plan_lineage, graph, only=set(digests) - reused, extra_masking_functions=masking)
        )
    return LineageWork(plan, digests, stored, reused, *_facts_hook(graph))


class ChunkAssembly:
    """Edges and coverage of a plan assembled chunk by chunk, as the chunks finish."""

    def __init__(self, work: LineageWork) -> None:
        self.work = work
        self.plan = work.plan
        self.parts: dict[int, GraphLineage] = {}

    async def add(self, start: int, results: list[Packed]) -> GraphLineage:
        """The lineage of the plan's models ``start`` to ``start + len(results)``."""
        end = start + len(results)
        self.work.note_facts(start, results)
        part = LineagePlan(self.plan.index, self.plan.models[start:end], self.plan.tasks[start:end])
        with rare_full_collections():
            self.parts[start] = await anyio.to_thread.run_sync(assemble_lineage, part, results)
        return self.parts[start]

    def whole(self) -> GraphLineage:
        """Every part, in plan order: what ``assemble_lineage`` gives for all results at once."""
        out = GraphLineage()
        for start in sorted(self.parts):
            out.edges.extend(self.parts[start].edges)
            out.models.update(self.parts[start].models)
        return out


async def finish_column_lineage(
    graph: Graph, work: LineageWork, derived: GraphLineage, stored_edges: StoredEdges
) -> list[dict[str, Any]]:
    """Set ``graph.column_edges`` and its coverage from the ``derived`` lineage (assembled from
    the results) and the reused models' stored edges; returns the per-model state to store."""
    models = dict(derived.models)
    for urn in work.reused:
        state = work.stored[urn][1] or {}
        models[urn] = ModelCoverage(state.get("status", "none"), list(state.get("misses", [])))
    graph.column_edges = derived.edges + _reused_edges(stored_edges, graph, work.reused)
    graph.column_lineage_coverage = {
        **coverage_summary(models),
        "reused": len(work.reused),
        "derived": len(derived.models),
    }
    return [
        {"urn": urn, "lineage_hash": work.digests[urn], "column_lineage": coverage.as_dict()}
        for urn, coverage in derived.models.items()
    ]


def predicted_edges(stored_edges: StoredEdges, graph: Graph) -> list[ColumnLineageEdge]:
    """The stored edges whose two ends are still in the graph: the lineage as it was, which is
    the best guess of the PII propagation before the derivation has finished."""
    return _reused_edges(stored_edges, graph, {c.capsule_urn for c in graph.columns.values()})


async def store_lineage_state(session: AsyncSession, states: list[dict[str, Any]]) -> None:
    """After the capsules are written: each re-derived model's digest and coverage."""
    await update_by_urn(session, C, states, ("lineage_hash", "column_lineage"))
