"""Prometheus metrics named as in the runbook.

Per-process instruments (requests, latencies, cache hits, query times) live in ``REGISTRY``;
with several workers ``PROMETHEUS_MULTIPROC_DIR`` makes them shared files that every worker's
``/metrics`` sums. What describes the system (ingestions, capsules, PII columns, conformance
score) is a ``SystemSnapshot`` read from the database at scrape time, so every process agrees.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

REGISTRY = CollectorRegistry(auto_describe=True)

HTTP_REQUESTS = Counter(
    "dab_http_requests_total", "Total HTTP requests", ["method", "route", "status"], registry=REGISTRY
)
HTTP_DURATION = Histogram(
    "dab_http_request_duration_seconds",
    "Request latency",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10),
    registry=REGISTRY,
)
CACHE_HITS = Counter("dab_cache_hits_total", "Cache hit count", registry=REGISTRY)
CACHE_MISSES = Counter("dab_cache_misses_total", "Cache miss count", registry=REGISTRY)
DB_QUERY_DURATION = Histogram(
    "dab_db_query_duration_seconds",
    "DB query latency",
    buckets=(0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5),
    registry=REGISTRY,
)

_INSTRUMENTED: set[int] = set()


def observe_query(started: float) -> None:
    """A statement run on the driver outside SQLAlchemy (the tag batches), timed as the
    engine's statements are, so ``dab_db_query_duration_seconds`` still sees every write."""
    DB_QUERY_DURATION.observe(time.perf_counter() - started)


def instrument_engine(engine: AsyncEngine) -> None:
    """Time every statement the engine runs into dab_db_query_duration_seconds."""
    sync_engine = engine.sync_engine
    if id(sync_engine) in _INSTRUMENTED:
        return
    _INSTRUMENTED.add(id(sync_engine))

    def _before(conn: Any, *_args: Any) -> None:
        conn.info.setdefault("dab_query_start", []).append(time.perf_counter())

    def _after(conn: Any, *_args: Any) -> None:
        starts = conn.info.get("dab_query_start")
        if starts:
            DB_QUERY_DURATION.observe(time.perf_counter() - starts.pop())

    event.listen(sync_engine, "before_cursor_execute", _before)
    event.listen(sync_engine, "after_cursor_execute", _after)


@dataclass(frozen=True)
class SystemSnapshot:
    ingestions: dict[tuple[str, str], int] = field(default_factory=dict)
    """Finished ingestion jobs by (source, status), from the jobs table."""
    capsules: int = 0
    pii_columns: dict[str, int] = field(default_factory=dict)
    conformance_score: float | None = None
    """None until a first full evaluation: the gauge is absent rather than a misleading 0."""


class _SnapshotCollector(Collector):
    def __init__(self, snapshot: SystemSnapshot) -> None:
        self._snapshot = snapshot

    def collect(self) -> Iterator[Any]:
        snap = self._snapshot
        ingestions = CounterMetricFamily(
            "dab_ingestion_total", "Ingestion job count", labels=["source", "status"]
        )
        for (source, status), count in sorted(snap.ingestions.items()):
            ingestions.add_metric([source, status], count)
        yield ingestions
        yield GaugeMetricFamily("dab_capsule_count", "Total capsules in system", value=snap.capsules)
        pii = GaugeMetricFamily("dab_pii_column_count", "PII columns by type", labels=["pii_type"])
        for pii_type, count in sorted(snap.pii_columns.items()):
            pii.add_metric([pii_type], count)
        yield pii
        if snap.conformance_score is not None:
            yield GaugeMetricFamily(
                "dab_conformance_score", "Current conformance score (0..1)", value=snap.conformance_score
            )


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def exposition(snapshot: SystemSnapshot) -> bytes:
    """The text a scrape answers: every worker's instruments plus the system snapshot."""
    registry = CollectorRegistry(auto_describe=False)
    if multiprocess_dir():
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry.register(_Process())
    registry.register(_SnapshotCollector(snapshot))
    return generate_latest(registry)


class _Process(Collector):
    """This process's instruments, when it is the only worker."""

    def collect(self) -> Iterator[Any]:
        yield from REGISTRY.collect()
