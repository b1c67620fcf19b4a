"""Column lineage of a whole parsed project: every model's SQL against its parents' columns.

Relations in the compiled SQL are matched to capsules by their relation name; ephemeral
parents have none (dbt inlines them as CTEs), so their own parents' tables join the schema.
Every model ends up counted as full, partial or none, each miss with its reason.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from dab.columnlineage.kinds import MASKING_FUNCTIONS
from dab.columnlineage.sql import TreeHook, derive_model_lineage, table_key
from dab.domain.capsule import Capsule, CapsuleType
from dab.domain.column import Column
from dab.domain.graph import Graph
from dab.domain.lineage import KIND_BY_VALUE, VALUE_OF_KIND, ColumnLineageEdge

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


LINEAGE_VERSION = "1"
"""Part of every model's input digest: bump it when derivation changes, so stored lineage is redone."""


@dataclass(slots=True)
class ModelCoverage:
    status: str  # full | partial | none
    misses: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"status": self.status, "misses": self.misses}


def coverage_summary(models: Mapping[str, ModelCoverage]) -> dict[str, Any]:
    """Models with full, partial and no column lineage, and every miss with its reason."""
    statuses = Counter(m.status for m in models.values())
    misses = [miss for urn in sorted(models) for miss in models[urn].misses]
    return {
        "models": len(models),
        "full": statuses["full"],
        "partial": statuses["partial"],
        "none": statuses["none"],
        "by_reason": dict(sorted(Counter(m["reason"] for m in misses).items())),
        "misses": misses,
    }


@dataclass(slots=True)
class GraphLineage:
    edges: list[ColumnLineageEdge] = field(default_factory=list)
    models: dict[str, ModelCoverage] = field(default_factory=dict)

    @property
    def coverage(self) -> dict[str, Any]:
        return coverage_summary(self.models)


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

    def digest(self, capsule: Capsule, dialect: str | None, masking: frozenset[str]) -> str:
        """Everything the model's column lineage depends on; equal digests, equal lineage."""
        parents = sorted(
            (self.key_of.get(p, ""), p, sorted(self.columns.get(p, {}))) for p in self.readable(capsule.urn)
        )
        own = sorted(self.columns.get(capsule.urn, {}))
        payload = (LINEAGE_VERSION, dialect, sorted(masking), capsule.compiled_sql, own, parents)
        return hashlib.blake2b(orjson.dumps(payload), digest_size=16).hexdigest()

    def schema(self, urn: str) -> dict[str, dict[str, str]]:
        out: dict[str, dict[str, str]] = {}
        for parent in self.readable(urn):
            key = self.key_of.get(parent)
            if key is not None:
                cols = self.columns.get(parent, {})
                out[key] = {name: c.data_type or "unknown" for name, c in cols.items()}
        return out


def _edges_of(
    index: _Index, capsule: Capsule, lineage: Packed, misses: list[dict[str, str]]
) -> list[ColumnLineageEdge]:
    targets = index.columns.get(capsule.urn, {})
    outputs, derived, _, parsed, _ = lineage

    def miss(reason: str, detail: str) -> None:
        misses.append({"capsule_urn": capsule.urn, "reason": reason, "detail": detail})

    for output in outputs:
        if output not in targets and output != "*":
            miss("unknown_column", f"output column {output!r} is not among the model's known columns")
    if parsed and "*" not in outputs:
        for name in sorted(set(targets) - set(outputs)):
            miss("unknown_column", f"column {name!r} of the model is not in its SQL's output")
    edges: list[ColumnLineageEdge] = []
    by_key, columns = index.by_key, index.columns
    for table, column, output, kind, function in derived:
        target = targets.get(output)
        if target is None:
            continue
        source = columns.get(by_key.get(table) or "", {}).get(column)
        if source is None:
            miss("unknown_column", f"{table}.{column} is not in the catalog")
            continue
        edges.append(ColumnLineageEdge(source.urn, target.urn, KIND_BY_VALUE[kind], function))
    return edges


def masking_set(extra: Iterable[str]) -> frozenset[str]:
    """The masking functions a task names: the built-in ones and the setting's ``extra``."""
    return MASKING_FUNCTIONS | {f.lower() for f in extra}


def _dialect(graph: Graph) -> str | None:
    return dialect_of(graph.project.adapter_type if graph.project else None)


def traced_models(graph: Graph) -> list[Capsule]:
    return [c for c in graph.capsules.values() if c.capsule_type in TRACED_TYPES]


def input_digests(graph: Graph, *, extra_masking_functions: Iterable[str] = ()) -> dict[str, str]:
    """Per traced model, the digest of its lineage inputs (SQL, dialect, its and its parents' columns)."""
    index, dialect, masking = _Index(graph), _dialect(graph), masking_set(extra_masking_functions)
    return {c.urn: index.digest(c, dialect, masking) for c in traced_models(graph)}


PARALLEL_MIN_MODELS = 400
"""Below this many models a second process costs more (start-up, pickling) than it saves."""
AUTO_WORKERS_MAX = 4
"""``workers=0`` means the cores this process may use, up to this many (the API serves meanwhile)."""


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))  # honours taskset/cgroup cpusets, unlike cpu_count
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def worker_count(workers: int) -> int:
    """Processes to derive with: ``workers``, or for 0 the usable cores (at most AUTO_WORKERS_MAX)."""
    return workers if workers > 0 else min(usable_cores(), AUTO_WORKERS_MAX)


Task = tuple[str | None, dict[str, dict[str, str]], str | None, frozenset[str]]
Packed = tuple[list[str], list[tuple[str, str, str, str, str | None]], list[tuple[str, str]], bool, Any]
"""A model's lineage as plain tuples: (outputs, edges, misses, parsed, what ``on_tree`` returned
for its parsed tree, or None); ~5x cheaper to unpickle."""


def task_digest(task: Task) -> str:
    """Equal digests, equal tasks: the parents' tables in any order (their order is a set's in
    ``_Index.schema``), each table's columns in order (a star expands in that order)."""
    sql, schema, dialect, masking = task
    tables = sorted((key, list(columns.items())) for key, columns in schema.items())
    payload = (sql, tables, dialect, sorted(masking))
    return hashlib.blake2b(orjson.dumps(payload), digest_size=16).hexdigest()


def _derive_task(task: Task, on_tree: TreeHook | None = None) -> Packed:
    noted: list[object] = []
    hook = None if on_tree is None else (lambda tree, nodes: noted.append(on_tree(tree, nodes)))
    lineage = derive_model_lineage(*task, on_tree=hook)
    # Unpacked, and the kind's value by look-up: attribute reads of the named tuples and the
    # enum's ``value`` property were ~60% of this packing (~50 edges a model).
    value = VALUE_OF_KIND
    edges = [
        (table, column, target, value[kind], function)
        for (table, column), target, kind, function in lineage.edges
    ]
    misses = [(m.reason, m.detail) for m in lineage.misses]
    return lineage.outputs, edges, misses, lineage.parsed, noted[0] if noted else None


def derive_tasks(tasks: list[Task], on_tree: TreeHook | None = None) -> list[Packed]:
    """Each task's lineage, in order; picklable (with a module-level ``on_tree``), so a worker
    process can run a share of them."""
    return [_derive_task(t, on_tree) for t in tasks]


@dataclass(slots=True)
class LineagePlan:
    """The models to derive and, in the same order, the picklable task of each."""

    index: _Index
    models: list[Capsule]
    tasks: list[Task]


def plan_lineage(
    graph: Graph, *, only: Iterable[str] | None = None, extra_masking_functions: Iterable[str] = ()
) -> LineagePlan:
    """The derivation of the models in ``only`` (all traced models when None), ready to run."""
    dialect, masking = _dialect(graph), masking_set(extra_masking_functions)
    index = _Index(graph)
    wanted = set(only) if only is not None else None
    models = [c for c in traced_models(graph) if wanted is None or c.urn in wanted]
    tasks: list[Task] = [(c.compiled_sql, index.schema(c.urn), dialect, masking) for c in models]
    return LineagePlan(index, models, tasks)


def assemble_lineage(plan: LineagePlan, results: Iterable[Packed]) -> GraphLineage:
    """Column edges and coverage from the plan's results (one per task, in order)."""
    out = GraphLineage()
    for capsule, lineage in zip(plan.models, results, strict=True):
        urn = capsule.urn
        misses = [{"capsule_urn": urn, "reason": reason, "detail": detail} for reason, detail in lineage[2]]
        edges = _edges_of(plan.index, capsule, lineage, misses)
        out.edges.extend(edges)
        if not lineage[3] or (not edges and misses):
            status = "none"
        elif misses:
            status = "partial"
        else:
            status = "full"
        out.models[urn] = ModelCoverage(status, misses)
    return out


def derive_graph_lineage(
    graph: Graph, *, only: Iterable[str] | None = None, extra_masking_functions: Iterable[str] = ()
) -> GraphLineage:
    """Column edges of the models in ``only`` (all traced models when None) and their coverage,
    derived in this process (``services.lineage_workers`` spreads a big plan over processes)."""
    plan = plan_lineage(graph, only=only, extra_masking_functions=extra_masking_functions)
    return assemble_lineage(plan, derive_tasks(plan.tasks))
