"""Capsules: the data assets of the graph (dbt models, sources, seeds, snapshots, exposures;
OpenLineage jobs and datasets)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

CONFIG_KEYS: tuple[str, ...] = (
    "unique_key", "incremental_strategy", "strategy", "updated_at", "check_cols", "on_schema_change",
)  # fmt: skip
"""dbt config keys kept on a capsule for the conformance rules (incremental and snapshot setup)."""


class CapsuleType(StrEnum):
    MODEL = "model"
    SOURCE = "source"
    SEED = "seed"
    SNAPSHOT = "snapshot"
    EXPOSURE = "exposure"
    JOB = "job"
    """A process seen by an event source (an OpenLineage job: a loader, an Airflow task, ...)."""
    DATASET = "dataset"
    """A relation or file seen by an event source that no dbt project declares (yet)."""


DBT_TYPES: frozenset[str] = frozenset(
    t.value
    for t in (
        CapsuleType.MODEL,
        CapsuleType.SOURCE,
        CapsuleType.SEED,
        CapsuleType.SNAPSHOT,
        CapsuleType.EXPOSURE,
    )
)
"""The types a conformance rule that names no ``capsule_types`` applies to: the built-in rules
judge dbt definitions (descriptions, owners, tests, SQL), which jobs and datasets do not have."""


class Layer(StrEnum):
    BRONZE = "bronze"
    SILVER = "silver"
    GOLD = "gold"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Inference:
    """A value that was inferred, and how: e.g. ``gold`` from ``folder:marts``."""

    value: str | None
    evidence: str | None = None


@dataclass(frozen=True, slots=True)
class RunResult:
    """The latest dbt run of a capsule (from run_results.json)."""

    status: str
    execution_time: float | None = None
    completed_at: datetime | None = None
    message: str | None = None
    rows_affected: int | None = None


@dataclass(frozen=True, slots=True)
class Freshness:
    """Source freshness: the configured thresholds and the latest check (sources.json)."""

    warn_after: str | None = None
    error_after: str | None = None
    loaded_at_field: str | None = None
    status: str | None = None
    max_loaded_at: datetime | None = None
    snapshotted_at: datetime | None = None

    @property
    def is_configured(self) -> bool:
        return bool(self.warn_after or self.error_after)


@dataclass(frozen=True, slots=True)
class Capsule:
    urn: str
    name: str
    capsule_type: CapsuleType
    namespace: str
    source: str = "dbt"
    unique_id: str | None = None
    description: str | None = None
    database: str | None = None
    schema: str | None = None
    relation_name: str | None = None
    materialization: str | None = None
    path: str | None = None
    layer: Inference = field(default_factory=lambda: Inference(Layer.UNKNOWN.value))
    domain: Inference = field(default_factory=lambda: Inference(None))
    owner: Inference = field(default_factory=lambda: Inference(None))
    tags: tuple[str, ...] = ()
    meta: Mapping[str, Any] = field(default_factory=dict)
    access: str | None = None
    group: str | None = None
    version: str | None = None
    contract_enforced: bool = False
    language: str | None = None
    compiled_sql: str | None = None
    exposure_type: str | None = None
    maturity: str | None = None
    url: str | None = None
    freshness: Freshness | None = None
    last_run: RunResult | None = None
    source_name: str | None = None
    alias: str | None = None
    config: Mapping[str, Any] | None = None
    """The dbt config keys rules read (``CONFIG_KEYS``); ``None`` when unknown (stored before 0007)."""

    @property
    def layer_value(self) -> str:
        return self.layer.value or Layer.UNKNOWN.value
