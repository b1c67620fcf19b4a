"""SLO metrics from evidence: boundaries, unmeasurable metrics and the overall status."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from dab.domain import slo
from dab.domain.slo import DataArrival, Metric, RunOutcome, TestOutcome

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


class TestFreshness:
    def test_exactly_at_the_target_is_met(self) -> None:
        metric = slo.freshness([DataArrival("a", NOW - timedelta(hours=24), "run_results")], 24, NOW)
        assert (metric.actual, metric.met) == (24.0, True)

    def test_the_stalest_output_decides_and_unmeasured_ones_are_listed(self) -> None:
        arrivals = [
            DataArrival("a", NOW - timedelta(hours=2), "run_results"),
            DataArrival("b", NOW - timedelta(hours=30), "sources.json"),
            DataArrival("c", None, "run_results"),
        ]
        metric = slo.freshness(arrivals, 24, NOW)
        assert (metric.actual, metric.met) == (30.0, False)
        assert metric.evidence["unmeasured"] == ["c"]

    def test_no_evidence_is_null_with_a_reason(self) -> None:
        metric = slo.freshness([DataArrival("a", None, "run_results")], 24, NOW)
        assert (metric.actual, metric.met) == (None, None)
        assert metric.reason is not None


class TestAvailabilityAndQuality:
    def test_runs_outside_the_window_do_not_count(self) -> None:
        runs = [
            RunOutcome("a", "success", NOW - timedelta(days=1)),
            RunOutcome("a", "error", NOW - timedelta(days=2)),
            RunOutcome("a", "skipped", NOW - timedelta(days=3)),
            RunOutcome("a", "error", NOW - timedelta(days=40)),
            RunOutcome("a", "success", None),
        ]
        metric = slo.availability(runs, 30.0, NOW - timedelta(days=30))
        assert (metric.actual, metric.met) == (33.3333, True)
        assert metric.evidence["by_status"] == {"error": 1, "skipped": 1, "success": 1}

    def test_warn_passes_fail_and_error_count_against_not_run_is_ignored(self) -> None:
        tests = [
            TestOutcome("t1", "a", "pass"),
            TestOutcome("t2", "a", "warn"),
            TestOutcome("t3", "a", "fail"),
            TestOutcome("t4", "a", "error"),
            TestOutcome("t5", "a", None),
            TestOutcome("t6", "a", "skipped"),
        ]
        metric = slo.quality(tests, 0.5)
        assert (metric.actual, metric.met) == (0.5, True)
        assert metric.evidence["failing"] == ["t3", "t4"]
        assert metric.evidence["not_run"] == 2


met_values = st.sampled_from([True, False, None])


@given(st.lists(met_values, min_size=3, max_size=3))
def test_overall_status_follows_the_judged_metrics(mets: list[bool | None]) -> None:
    status = slo.overall_status([Metric(m, 1.0, None) for m in mets])
    judged = [m for m in mets if m is not None]
    expected = (
        "unknown"
        if not judged
        else "healthy"
        if all(judged)
        else "unhealthy"
        if not any(judged)
        else "degraded"
    )
    assert status == expected
