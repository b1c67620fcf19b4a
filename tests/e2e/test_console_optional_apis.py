"""PII and products pages against the real APIs, and the explicit "not available" state of a
server without them."""

from __future__ import annotations

import httpx
import pytest
from tests.e2e.conftest import KEY, Console, api_get

pytestmark = pytest.mark.browser


def test_pii_page_shows_inventory_counts_and_exposure_paths(ui: Console) -> None:
    ui.open_signed_in("/ui/pii")
    page = ui.page
    inventory = api_get(ui.base, "/compliance/pii-inventory", limit=200)
    assert inventory["total"] > 0, "the demo project has PII columns"
    region = page.get_by_role("region", name=f"PII columns ({inventory['total']})")
    region.wait_for()
    assert region.locator("tbody tr").count() == len(inventory["data"])
    for item in inventory["data"][:3]:
        assert region.locator("tr", has_text=item["pii_type"]).count() >= 1
    by_type = page.get_by_role("region", name="PII columns by pii type")
    grouped = api_get(ui.base, "/compliance/pii-inventory", group_by="pii_type")["groups"]
    assert by_type.locator("tbody tr").count() == len(grouped) >= 1
    first_group = by_type.locator("tbody tr").first.inner_text()
    assert grouped[0]["pii_type"] in first_group and str(grouped[0]["count"]) in first_group
    exposure = api_get(ui.base, "/compliance/pii-exposure", limit=200)
    exposures = page.get_by_role("region", name=f"Exposures ({exposure['total']})")
    assert exposures.locator("tbody tr").count() == len(exposure["data"])
    for index, item in enumerate(exposure["data"][:3]):
        steps = exposures.locator("tbody tr").nth(index).locator("ol.path li")
        assert [step.get_attribute("data-urn") for step in steps.all()] == [
            hop["urn"] for hop in item["path"]
        ]
        assert steps.first.inner_text().startswith(item["path"][0]["urn"])
    ui.screenshot("pii")
    assert ui.unexpected_errors() == []


def test_products_page_shows_products_with_slo_status(ui: Console) -> None:
    created = httpx.post(
        f"{ui.base}/api/v1/products",
        json={"name": "Console orders", "description": "Orders for finance", "slo_freshness_hours": 24},
        headers={"X-API-Key": KEY},
        timeout=30,
    )
    assert created.status_code in (201, 409), created.text
    ui.open_signed_in("/ui/products")
    page = ui.page
    products = api_get(ui.base, "/products", limit=200)
    assert products["total"] >= 1
    region = page.get_by_role("region", name=f"Products ({products['total']})")
    region.wait_for()
    assert region.locator("tbody tr").count() == len(products["data"])
    first = products["data"][0]
    status = api_get(ui.base, f"/products/{first['id']}/slo-status")
    row = region.locator("tbody tr", has_text=first["name"]).first
    assert status["overall_status"] in row.inner_text()
    ui.screenshot("products")
    assert ui.unexpected_errors() == []


@pytest.mark.parametrize(
    ("path", "endpoint", "text"),
    [
        ("/ui/pii", "**/api/v1/compliance/**", "The PII inventory is not available on this server"),
        ("/ui/products", "**/api/v1/products**", "Data products are not available on this server"),
    ],
)
def test_a_server_without_the_api_says_so(ui: Console, path: str, endpoint: str, text: str) -> None:
    # A server without these routes answers 404; once they exist that cannot be caused for
    # real, so the 404 is fulfilled here (the only faked response in the browser tests).
    ui.page.route(
        endpoint, lambda route: route.fulfill(status=404, content_type="application/problem+json", body="{}")
    )
    ui.open_signed_in(path)
    ui.page.get_by_text(text).wait_for()
    assert ui.page.locator("#not-available").is_visible()
    ui.screenshot(f"unavailable-{path.rsplit('/', 1)[-1]}")
    assert ui.unexpected_errors("status of 404") == []
