"""run_results.json and sources.json: the latest outcome per dbt unique_id."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from dab.domain.capsule import Freshness, RunResult


@dataclass(frozen=True, slots=True)
class NodeResult:
    status: str
    execution_time: float | None
    completed_at: datetime | None
    message: str | None
    failures: int | None
    rows_affected: int | None

    def as_run_result(self) -> RunResult:
        return RunResult(
            status=self.status,
            execution_time=self.execution_time,
            completed_at=self.completed_at,
            message=self.message,
            rows_affected=self.rows_affected,
        )


def parse_datetime(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _execute_completed_at(timing: Any) -> datetime | None:
    if not isinstance(timing, list):
        return None
    for step in timing:
        if isinstance(step, dict) and step.get("name") == "execute":
            return parse_datetime(step.get("completed_at"))
    return None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _node_result(raw: dict[str, Any]) -> NodeResult:
    adapter = raw.get("adapter_response")
    exec_time = raw.get("execution_time")
    message = raw.get("message")
    return NodeResult(
        status=str(raw.get("status") or "unknown").lower(),
        execution_time=float(exec_time) if isinstance(exec_time, int | float) else None,
        completed_at=_execute_completed_at(raw.get("timing")),
        message=message if isinstance(message, str) else None,
        failures=_int(raw.get("failures")),
        rows_affected=_int(adapter.get("rows_affected")) if isinstance(adapter, dict) else None,
    )


def index_run_results(run_results: dict[str, Any] | None) -> dict[str, NodeResult]:
    """unique_id -> result; when an id repeats, the one completed last wins."""
    out: dict[str, NodeResult] = {}
    if not run_results:
        return out
    for raw in run_results.get("results") or ():
        if not isinstance(raw, dict) or not isinstance(raw.get("unique_id"), str):
            continue
        result = _node_result(raw)
        previous = out.get(raw["unique_id"])
        if previous is None or _later(result, previous):
            out[raw["unique_id"]] = result
    return out


def _later(new: NodeResult, old: NodeResult) -> bool:
    if new.completed_at is None or old.completed_at is None:
        return True
    try:
        return new.completed_at >= old.completed_at
    except TypeError:  # naive vs aware timestamps
        return True


def index_sources(sources: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    if not sources:
        return {}
    return {
        raw["unique_id"]: raw
        for raw in sources.get("results") or ()
        if isinstance(raw, dict) and isinstance(raw.get("unique_id"), str)
    }


def _threshold(value: Any) -> str | None:
    if not isinstance(value, dict):
        return None
    count, period = value.get("count"), value.get("period")
    if count is None or not period:
        return None
    return f"{count} {period}"


def build_freshness(source: dict[str, Any], result: dict[str, Any] | None) -> Freshness | None:
    """Thresholds from the manifest source, the latest check from sources.json; None if neither."""
    config = source.get("freshness")
    if not isinstance(config, dict):
        node_config = source.get("config")
        config = node_config.get("freshness") if isinstance(node_config, dict) else None
    config = config if isinstance(config, dict) else {}
    loaded_at = source.get("loaded_at_field")
    freshness = Freshness(
        warn_after=_threshold(config.get("warn_after")),
        error_after=_threshold(config.get("error_after")),
        loaded_at_field=loaded_at if isinstance(loaded_at, str) and loaded_at else None,
    )
    if result is None:
        return freshness if freshness.is_configured or freshness.loaded_at_field else None
    status = result.get("status")
    return Freshness(
        warn_after=freshness.warn_after,
        error_after=freshness.error_after,
        loaded_at_field=freshness.loaded_at_field,
        status=str(status).lower() if status else None,
        max_loaded_at=parse_datetime(result.get("max_loaded_at")),
        snapshotted_at=parse_datetime(result.get("snapshotted_at")),
    )
