"""Column lineage of a whole parsed project: every model's SQL against its parents' columns.

Relations in the compiled SQL are matched to capsules by their relation name; ephemeral
parents have none (dbt inlines them as CTEs), so their own parents' tables join the schema.
Every model ends up counted as full, partial or none, each miss with its reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from dab.columnlineage.kinds import MASKING_FUNCTIONS
from dab.columnlineage.sql import ModelLineage, derive_model_lineage, table_key
from dab.domain.capsule import Capsule, CapsuleType
from dab.domain.column import Column
from dab.domain.graph import Graph
from dab.domain.lineage import ColumnLineageEdge
from dab.domain.lineage import TransformationKind as Kind

# dbt adapter -> sqlglot dialect, where the names differ.
DIALECTS = {
    "postgres": "postgres",
    "sqlserver": "tsql",
    "fabric": "tsql",
    "synapse": "tsql",
    "databricks": "databricks",
    "spark": "spark",
    "redshift": "redshift",
    "snowflake": "snowflake",
    "bigquery": "bigquery",
    "duckdb": "duckdb",
    "trino": "trino",
    "athena": "athena",
    "clickhouse": "clickhouse",
    "oracle": "oracle",
    "mysql": "mysql",
    "sqlite": "sqlite",
    "teradata": "teradata",
}
_QUOTES = re.compile(r'["`\[\]]')
TRACED_TYPES = (CapsuleType.MODEL, CapsuleType.SNAPSHOT)


def dialect_of(adapter_type: str | None) -> str | None:
    return DIALECTS.get((adapter_type or "").lower())


def relation_key(relation_name: str) -> str:
    """``"db"."schema"."t"`` / `` `p.d.t` `` -> ``db.schema.t`` (the key ``sql.table_key`` builds)."""
    return table_key(_QUOTES.sub("", relation_name).split("."))


@dataclass(slots=True)
class Coverage:
    """Models with full, partial and no column lineage, and every miss with its reason."""

    models: int = 0
    full: int = 0
    partial: int = 0
    none: int = 0
    misses: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        reasons: dict[str, int] = {}
        for miss in self.misses:
            reasons[miss["reason"]] = reasons.get(miss["reason"], 0) + 1
        return {
            "models": self.models,
            "full": self.full,
            "partial": self.partial,
            "none": self.none,
            "by_reason": dict(sorted(reasons.items())),
            "misses": self.misses,
        }


@dataclass(slots=True)
class GraphLineage:
    edges: list[ColumnLineageEdge] = field(default_factory=list)
    coverage: Coverage = field(default_factory=Coverage)


class _Index:
    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self.by_key: dict[str, str] = {}
        for capsule in graph.capsules.values():
            if capsule.relation_name and capsule.materialization != "ephemeral":
                self.by_key[relation_key(capsule.relation_name)] = capsule.urn
        self.key_of = {urn: key for key, urn in self.by_key.items()}
        self.columns: dict[str, dict[str, Column]] = {
            urn: {c.name.lower(): c for c in cols} for urn, cols in graph.columns_by_capsule.items()
        }

    def readable(self, urn: str) -> set[str]:
        """Capsules whose tables the SQL of ``urn`` can read: parents, through ephemeral ones."""
        out: set[str] = set()
        stack = list(self.graph.parents.get(urn, ()))
        while stack:
            parent = stack.pop()
            if parent in out:
                continue
            out.add(parent)
            capsule = self.graph.capsules.get(parent)
            if capsule is not None and capsule.materialization == "ephemeral":
                stack.extend(self.graph.parents.get(parent, ()))
        return out

    def schema(self, urn: str) -> dict[str, dict[str, str]]:
        out: dict[str, dict[str, str]] = {}
        for parent in self.readable(urn):
            key = self.key_of.get(parent)
            if key is not None:
                cols = self.columns.get(parent, {})
                out[key] = {name: c.data_type or "unknown" for name, c in cols.items()}
        return out


def _edges_of(
    index: _Index, capsule: Capsule, lineage: ModelLineage, misses: list[dict[str, str]]
) -> list[ColumnLineageEdge]:
    targets = index.columns.get(capsule.urn, {})

    def miss(reason: str, detail: str) -> None:
        misses.append({"capsule_urn": capsule.urn, "reason": reason, "detail": detail})

    for output in lineage.outputs:
        if output not in targets and output != "*":
            miss("unknown_column", f"output column {output!r} is not among the model's known columns")
    edges: list[ColumnLineageEdge] = []
    for edge in lineage.edges:
        target = targets.get(edge.target)
        source_capsule = index.by_key.get(edge.source.table)
        source = index.columns.get(source_capsule or "", {}).get(edge.source.column)
        if target is None:
            continue
        if source is None:
            miss("unknown_column", f"{edge.source.table}.{edge.source.column} is not in the catalog")
            continue
        edges.append(ColumnLineageEdge(source.urn, target.urn, Kind(edge.kind), edge.function))
    return edges


def derive_graph_lineage(
    graph: Graph,
    *,
    only: Iterable[str] | None = None,
    extra_masking_functions: Iterable[str] = (),
) -> GraphLineage:
    """Column edges of the models in ``only`` (all models when None) and their coverage."""
    dialect = dialect_of(graph.project.adapter_type if graph.project else None)
    masking = MASKING_FUNCTIONS | {f.lower() for f in extra_masking_functions}
    index = _Index(graph)
    wanted = set(only) if only is not None else None
    out = GraphLineage()
    for capsule in graph.capsules.values():
        if capsule.capsule_type not in TRACED_TYPES or (wanted is not None and capsule.urn not in wanted):
            continue
        lineage = derive_model_lineage(capsule.compiled_sql, index.schema(capsule.urn), dialect, masking)
        misses: list[dict[str, str]] = []
        for found in lineage.misses:
            misses.append({"capsule_urn": capsule.urn, "reason": found.reason, "detail": found.detail})
        edges = _edges_of(index, capsule, lineage, misses)
        out.edges.extend(edges)
        out.coverage.models += 1
        if not lineage.parsed or (not edges and misses):
            out.coverage.none += 1
        elif misses:
            out.coverage.partial += 1
        else:
            out.coverage.full += 1
        out.coverage.misses.extend(misses)
    return out
