"""Data product SLO status from evidence: freshness, availability and quality, never invented.

Each metric is measured from what dbt recorded (run_results, sources.json, test results) and
compared with the product's target. A metric without evidence is ``None`` with the reason; the
overall status only weighs the metrics that could be judged.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

OverallStatus = Literal["healthy", "degraded", "unhealthy", "unknown"]

SUCCESSFUL_RUN = "success"
PASSING_TESTS = frozenset({"pass", "warn"})
"""A ``warn`` result counts as passing: dbt itself does not fail a build on a warning test."""
FAILING_TESTS = frozenset({"fail", "error", "runtime error"})


def _stamp(at: datetime) -> str:
    """An evidence time as the API writes every other time: RFC 3339, UTC as ``Z`` (pydantic's form).

    >>> from datetime import UTC
    >>> _stamp(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
    '2026-01-02T03:04:05Z'
    """
    text = at.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


@dataclass(frozen=True, slots=True)
class SloTargets:
    freshness_hours: float | None = None
    availability_percent: float | None = None
    quality_threshold: float | None = None


@dataclass(frozen=True, slots=True)
class DataArrival:
    """When an output capsule last got new data, and where that fact comes from."""

    capsule_urn: str
    at: datetime | None
    evidence: str  # "run_results" (last successful run) or "sources.json" (max_loaded_at)


@dataclass(frozen=True, slots=True)
class RunOutcome:
    capsule_urn: str
    status: str
    completed_at: datetime | None


@dataclass(frozen=True, slots=True)
class TestOutcome:
    __test__ = False

    test_urn: str
    capsule_urn: str
    status: str | None


@dataclass(frozen=True, slots=True)
class Metric:
    met: bool | None
    target: float | None
    actual: float | None
    reason: str | None = None
    evidence: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "met": self.met,
            "target": self.target,
            "actual": self.actual,
            "reason": self.reason,
            "evidence": self.evidence,
        }


def _judge(actual: float | None, target: float | None, *, at_most: bool) -> bool | None:
    if actual is None or target is None:
        return None
    return actual <= target if at_most else actual >= target


def freshness(arrivals: Sequence[DataArrival], target: float | None, now: datetime) -> Metric:
    """Hours since the stalest output last got data (the product is as fresh as its oldest output).

    Example:
        >>> from datetime import UTC
        >>> now = datetime(2026, 1, 2, tzinfo=UTC)
        >>> freshness([DataArrival("a", datetime(2026, 1, 1, tzinfo=UTC), "run_results")], 24, now).met
        True
    """
    measured = [a for a in arrivals if a.at is not None]
    evidence: dict[str, Any] = {
        "capsules": [
            {
                "urn": a.capsule_urn,
                "last_data_at": _stamp(a.at),
                "source": a.evidence,
                "age_hours": _hours(now - a.at),
            }
            for a in sorted(measured, key=lambda a: a.capsule_urn)
            if a.at is not None
        ],
        "unmeasured": sorted(a.capsule_urn for a in arrivals if a.at is None),
        "as_of": _stamp(now),
    }
    if not arrivals:
        return Metric(None, target, None, "the product has no capsules", evidence)
    if not measured:
        reason = "no successful run in run_results and no max_loaded_at in sources.json for its outputs"
        return Metric(None, target, None, reason, evidence)
    actual = max(_hours(now - a.at) for a in measured if a.at is not None)
    return _with_target(actual, target, evidence, at_most=True)


def availability(runs: Sequence[RunOutcome], target: float | None, window_start: datetime) -> Metric:
    """Percentage of successful runs (``success``; errors and skips count against) in the window."""
    in_window = [r for r in runs if r.completed_at is not None and r.completed_at >= window_start]
    by_status = Counter(r.status for r in in_window)
    evidence: dict[str, Any] = {
        "window_start": _stamp(window_start),
        "runs_total": len(in_window),
        "runs_successful": by_status.get(SUCCESSFUL_RUN, 0),
        "by_status": dict(sorted(by_status.items())),
    }
    if not in_window:
        return Metric(None, target, None, "no runs of the product's capsules in the window", evidence)
    actual = round(100.0 * by_status.get(SUCCESSFUL_RUN, 0) / len(in_window), 4)
    return _with_target(actual, target, evidence, at_most=False)


def quality(tests: Sequence[TestOutcome], target: float | None) -> Metric:
    """Share of the capsules' data tests passing in their latest results (warn counts as passing)."""
    judged = [t for t in tests if t.status in PASSING_TESTS or t.status in FAILING_TESTS]
    by_status = Counter(t.status for t in judged)
    passed = sum(n for s, n in by_status.items() if s in PASSING_TESTS)
    evidence: dict[str, Any] = {
        "tests_total": len(judged),
        "tests_passed": passed,
        "by_status": dict(sorted((str(s), n) for s, n in by_status.items())),
        "failing": sorted(t.test_urn for t in judged if t.status in FAILING_TESTS),
        "not_run": len(tests) - len(judged),
        "warn_policy": "warn counts as passing",
    }
    if not judged:
        return Metric(None, target, None, "no test results for the product's capsules", evidence)
    actual = round(passed / len(judged), 4)
    return _with_target(actual, target, evidence, at_most=False)


def overall_status(metrics: Sequence[Metric]) -> OverallStatus:
    """healthy: every judged metric met; unhealthy: none met; degraded: some; unknown: none judged.

    Example:
        >>> overall_status([Metric(True, 1, 1), Metric(None, 1, None), Metric(False, 1, 0)])
        'degraded'
    """
    judged = [m.met for m in metrics if m.met is not None]
    if not judged:
        return "unknown"
    if all(judged):
        return "healthy"
    return "unhealthy" if not any(judged) else "degraded"


def evaluate(
    targets: SloTargets,
    *,
    arrivals: Sequence[DataArrival],
    runs: Sequence[RunOutcome],
    tests: Sequence[TestOutcome],
    now: datetime,
    window_days: int,
) -> dict[str, Any]:
    """The runbook's ``{freshness_met, availability_met, quality_met, overall_status}`` plus detail."""
    metrics = {
        "freshness": freshness(arrivals, targets.freshness_hours, now),
        "availability": availability(runs, targets.availability_percent, window_start(now, window_days)),
        "quality": quality(tests, targets.quality_threshold),
    }
    out: dict[str, Any] = {f"{name}_met": m.met for name, m in metrics.items()}
    out["overall_status"] = overall_status(list(metrics.values()))
    out.update({name: m.as_dict() for name, m in metrics.items()})
    out["evaluated_at"] = _stamp(now)
    out["window_days"] = window_days
    return out


def window_start(now: datetime, window_days: int) -> datetime:
    return now - timedelta(days=window_days)


def _with_target(actual: float, target: float | None, evidence: dict[str, Any], *, at_most: bool) -> Metric:
    reason = None if target is not None else "the product sets no target for this metric"
    return Metric(_judge(actual, target, at_most=at_most), target, actual, reason, evidence)


def _hours(delta: timedelta) -> float:
    return round(delta.total_seconds() / 3600.0, 4)
