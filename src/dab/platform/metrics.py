"""Prometheus metrics named as in the runbook. One registry per process."""

from __future__ import annotations

import time
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
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
INGESTIONS = Counter("dab_ingestion_total", "Ingestion job count", ["source", "status"], registry=REGISTRY)
CONFORMANCE_SCORE = Gauge("dab_conformance_score", "Current conformance score (0..1)", registry=REGISTRY)
CAPSULE_COUNT = Gauge("dab_capsule_count", "Total capsules in system", registry=REGISTRY)
PII_COLUMN_COUNT = Gauge("dab_pii_column_count", "PII columns by type", ["pii_type"], registry=REGISTRY)
CACHE_HITS = Counter("dab_cache_hits_total", "Cache hit count", registry=REGISTRY)
CACHE_MISSES = Counter("dab_cache_misses_total", "Cache miss count", registry=REGISTRY)
DB_QUERY_DURATION = Histogram(
    "dab_db_query_duration_seconds",
    "DB query latency",
    buckets=(0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5),
    registry=REGISTRY,
)

_INSTRUMENTED: set[int] = set()


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
