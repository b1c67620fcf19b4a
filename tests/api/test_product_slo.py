"""SLO status from stored evidence, against answers computed by hand, on a clock the test controls.

Evidence (three ingestions, each a dbt invocation):
- inv-0 (2026-10-01, outside the 30-day window): customers error.
- inv-1: orders success 2026-11-30T00:00Z, customers error 2026-11-30T00:00Z.
- inv-2: orders success 2026-12-01T00:00Z, customers success 2026-11-30T12:00Z;
  sources.json: jaffle_shop.orders max_loaded_at 2026-12-01T06:00Z.
Members: orders, customers and the source jaffle_shop.orders, all outputs; stg_orders as input.

At now = 2026-12-01T12:00Z:
- freshness: ages orders 12 h, customers 24 h, source 6 h; the product is as fresh as its stalest
  output: 24.0 h.
- availability (30 days): orders 3 success (inv-0 keeps the fixture's run of 2026-11-26);
  customers 1 error + 1 success; stg_orders 3 success (the fixture's run, in every invocation)
  -> 7 of 8 = 87.5 %. Over 90 days inv-0's error counts too: 7 of 9 = 77.7778 %.
- quality (latest results): orders 7 tests (5 pass, 1 warn, 1 fail), customers 2 pass, the
  source 2 pass, stg_orders 5 pass -> 15 of 16 with warn passing = 0.9375.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.api.governance_helpers import (
    CUSTOMERS,
    CUSTOMERS_ID,
    ORDERS,
    ORDERS_ID,
    RAW_ORDERS,
    RAW_ORDERS_ID,
    STG_ORDERS,
    add_member,
    create_product,
    ingest,
    with_runs,
)

from dab.api.deps import get_clock

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock(client: TestClient) -> Iterator[Clock]:
    clock = Clock()
    client.app.dependency_overrides[get_clock] = clock  # type: ignore[attr-defined]
    yield clock
    client.app.dependency_overrides.clear()  # type: ignore[attr-defined]


@pytest.fixture
def history(client: TestClient) -> None:
    ingest(client, with_runs("inv-0", {CUSTOMERS_ID: ("error", "2026-10-01T00:00:00Z")}))
    ingest(
        client,
        with_runs(
            "inv-1",
            {ORDERS_ID: ("success", "2026-11-30T00:00:00Z"), CUSTOMERS_ID: ("error", "2026-11-30T00:00:00Z")},
        ),
    )
    ingest(
        client,
        with_runs(
            "inv-2",
            {
                ORDERS_ID: ("success", "2026-12-01T00:00:00Z"),
                CUSTOMERS_ID: ("success", "2026-11-30T12:00:00Z"),
            },
            loaded={RAW_ORDERS_ID: "2026-12-01T06:00:00+00:00"},
        ),
    )


def _product(client: TestClient, name: str, **targets: Any) -> str:
    product_id = str(create_product(client, name, **targets)["id"])
    for urn in (ORDERS, CUSTOMERS, RAW_ORDERS):
        add_member(client, product_id, urn, "output")
    add_member(client, product_id, STG_ORDERS, "input")
    return product_id


def _slo(client: TestClient, product_id: str, **params: Any) -> dict[str, Any]:
    response = client.get(f"/api/v1/products/{product_id}/slo-status", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


TARGETS = {
    "healthy": {"slo_freshness_hours": 36, "slo_availability_percent": 80, "slo_quality_threshold": 0.9},
    "degraded": {"slo_freshness_hours": 36, "slo_availability_percent": 99.9, "slo_quality_threshold": 0.95},
    "unhealthy": {"slo_freshness_hours": 12, "slo_availability_percent": 99.9, "slo_quality_threshold": 0.95},
}


@pytest.mark.usefixtures("history")
class TestSloStatus:
    def test_actuals_and_evidence_match_the_hand_computed_answers(
        self, client: TestClient, clock: Clock
    ) -> None:
        body = _slo(client, _product(client, "Orders", **TARGETS["degraded"]))
        assert body["freshness"]["actual"] == 24.0
        ages = {c["urn"]: (c["age_hours"], c["source"]) for c in body["freshness"]["evidence"]["capsules"]}
        assert ages == {
            ORDERS: (12.0, "run_results"),
            CUSTOMERS: (24.0, "run_results"),
            RAW_ORDERS: (6.0, "sources.json"),
        }
        assert body["availability"]["actual"] == 87.5
        assert body["availability"]["evidence"]["by_status"] == {"error": 1, "success": 7}
        assert body["quality"]["actual"] == 0.9375
        assert body["quality"]["evidence"]["by_status"] == {"fail": 1, "pass": 14, "warn": 1}
        assert len(body["quality"]["evidence"]["failing"]) == 1
        assert body["evaluated_at"].startswith("2026-12-01T12:00:00")

    @pytest.mark.parametrize("expected", ["healthy", "degraded", "unhealthy"])
    def test_overall_status(self, client: TestClient, clock: Clock, expected: str) -> None:
        body = _slo(client, _product(client, expected, **TARGETS[expected]))
        met = (body["freshness_met"], body["availability_met"], body["quality_met"])
        assert body["overall_status"] == expected
        assert (
            met
            == {
                "healthy": (True, True, True),
                "degraded": (True, False, False),
                "unhealthy": (False, False, False),
            }[expected]
        )

    def test_unknown_when_nothing_is_measurable(self, client: TestClient, clock: Clock) -> None:
        empty = create_product(client, "Empty", **TARGETS["healthy"])
        body = _slo(client, empty["id"])
        assert body["overall_status"] == "unknown"
        assert [body[f"{m}_met"] for m in ("freshness", "availability", "quality")] == [None, None, None]
        assert body["freshness"]["reason"] == "the product has no capsules"
        assert body["availability"]["actual"] is None

    def test_no_target_is_null_with_the_reason_but_still_measured(
        self, client: TestClient, clock: Clock
    ) -> None:
        body = _slo(client, _product(client, "No targets"))
        assert body["overall_status"] == "unknown"
        assert body["quality"]["actual"] == 0.9375
        assert body["quality"]["met"] is None
        assert "no target" in body["quality"]["reason"]

    def test_freshness_follows_the_clock(self, client: TestClient, clock: Clock) -> None:
        product_id = _product(client, "Orders", **TARGETS["healthy"])
        assert _slo(client, product_id)["freshness_met"] is True
        clock.now = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
        later = _slo(client, product_id)
        assert later["freshness"]["actual"] == 48.0
        assert later["freshness_met"] is False
        assert later["overall_status"] == "degraded"

    def test_the_window_decides_which_runs_count(self, client: TestClient, clock: Clock) -> None:
        product_id = _product(client, "Orders", **TARGETS["healthy"])
        assert _slo(client, product_id, window_days=90)["availability"]["actual"] == 77.7778
        clock.now = datetime(2027, 3, 1, tzinfo=UTC)  # every run is older than 30 days
        body = _slo(client, product_id)
        assert body["availability"]["actual"] is None
        assert body["availability"]["reason"] == "no runs of the product's capsules in the window"

    def test_freshness_uses_outputs_only(self, client: TestClient, clock: Clock) -> None:
        product_id = str(create_product(client, "Source only", slo_freshness_hours=8)["id"])
        add_member(client, product_id, RAW_ORDERS, "output")
        add_member(client, product_id, CUSTOMERS, "input")  # 24 h old, but not an output
        body = _slo(client, product_id)
        assert (body["freshness"]["actual"], body["freshness_met"]) == (6.0, True)
        assert body["freshness"]["evidence"]["capsules_judged"] == "output capsules"

    def test_a_membership_change_is_seen_at_once_through_the_cache(
        self, client: TestClient, clock: Clock
    ) -> None:
        product_id = _product(client, "Orders", **TARGETS["healthy"])
        first = client.get(f"/api/v1/products/{product_id}/slo-status")
        assert client.get(f"/api/v1/products/{product_id}/slo-status").headers["X-Cache"] == "hit"
        assert first.json()["quality"]["actual"] == 0.9375
        removed = client.delete(f"/api/v1/products/{product_id}/capsules/{ORDERS}")
        assert removed.status_code == 204
        after = _slo(client, product_id)
        assert after["quality"]["actual"] == 1.0  # orders' failing test no longer counts
        assert after["quality"]["evidence"]["tests_total"] == 9
