"""The console end to end: sign-in, search, capsule, lineage, conformance, in Chromium."""

from __future__ import annotations

import re
from typing import Any

import pytest
from tests.e2e.conftest import KEY, MARKUP, Console, api_get

pytestmark = pytest.mark.browser

ORDERS = "urn:dab:dbt:model:jaffle_shop:orders"
CUSTOMERS = "urn:dab:dbt:model:jaffle_shop:customers"
STG_ORDERS = "urn:dab:dbt:model:jaffle_shop:stg_orders"
SOURCE = "urn:dab:dbt:source:jaffle_shop:jaffle_shop."
# The demo's capsule lineage, by hand: each source feeds its staging model; orders reads
# stg_orders and stg_payments; customers reads all three staging models.
UPSTREAM_OF_ORDERS = {
    ORDERS,
    STG_ORDERS,
    "urn:dab:dbt:model:jaffle_shop:stg_payments",
    SOURCE + "orders",
    SOURCE + "payments",
}
DOWNSTREAM_OF_SOURCE_ORDERS = {SOURCE + "orders", STG_ORDERS, ORDERS, CUSTOMERS}


def test_sign_in_search_and_open_a_capsule_with_the_keyboard(ui: Console) -> None:
    ui.goto("/ui/")
    key = ui.page.locator("#api-key")
    key.wait_for()
    assert key.get_attribute("type") == "password"
    ui.screenshot("signin")
    ui.sign_in("not-the-key")
    ui.page.get_by_text("That API key was not accepted.").wait_for()
    ui.sign_in()
    search = ui.page.get_by_role("searchbox", name="Search capsules and columns")
    assert search.get_attribute("type") == "search"
    search.press_sequentially("orde")
    first = ui.page.locator("#search-results a").first
    first.wait_for()
    assert first.get_attribute("href") == f"/ui/capsules/{ORDERS}"
    ui.screenshot("search")
    search.press("ArrowDown")
    assert ui.page.evaluate("document.activeElement.getAttribute('href')") == f"/ui/capsules/{ORDERS}"
    ui.page.keyboard.press("Enter")
    ui.page.get_by_role("heading", level=1, name=re.compile("^orders")).wait_for()
    assert ui.page.url.endswith(f"/ui/capsules/{ORDERS}")
    assert ui.page.url.endswith("?q=orde") is False
    # Only the wrong key's 401s were logged.
    assert ui.unexpected_errors("status of 401") == []


def test_capsule_page_shows_what_the_api_knows(ui: Console) -> None:
    ui.open_signed_in(f"/ui/capsules/{ORDERS}")
    page = ui.page
    page.get_by_role("heading", level=1, name=re.compile("^orders")).wait_for()
    capsule = api_get(ui.base, f"/capsules/{ORDERS}")
    columns = api_get(ui.base, f"/capsules/{ORDERS}/columns", limit=1000)["data"]
    violations = api_get(ui.base, f"/capsules/{ORDERS}/violations", limit=200)["data"]
    meta = page.locator("dl.meta").inner_text()
    for value in (capsule["capsule_type"], capsule["layer"], capsule["domain"], capsule["owner"]):
        assert value in meta
    column_table = page.get_by_role("region", name=f"Columns ({len(columns)})")
    assert column_table.locator("tbody tr").count() == len(columns)
    assert column_table.locator("tbody tr").first.inner_text().startswith(columns[0]["name"])
    tests = page.get_by_role("region", name=f"Tests ({len(capsule['tests'])})")
    failed = [t["name"] for t in capsule["tests"] if t["status"] == "fail"]
    assert failed, "the demo has a failing test on orders"
    assert tests.locator("tr", has_text=failed[0]).locator(".st-fail").inner_text() == "fail"
    open_violations = [v for v in violations if v["status"] == "open"]
    region = page.get_by_role("region", name=f"Open violations ({len(open_violations)})")
    assert region.locator("tbody tr").count() == len(open_violations)
    upstream = page.locator(".card", has=page.get_by_role("heading", name="Upstream")).locator("a")
    assert set(upstream.evaluate_all("els => els.map(e => e.getAttribute('href'))")) == {
        f"/ui/capsules/{STG_ORDERS}",
        "/ui/capsules/urn:dab:dbt:model:jaffle_shop:stg_payments",
    }
    ui.screenshot("capsule")
    page.get_by_role("link", name="Open the lineage graph").click()
    assert ui.nodes() == UPSTREAM_OF_ORDERS
    assert ui.unexpected_errors() == []


def test_markup_in_metadata_is_shown_as_text(ui: Console) -> None:
    ui.open_signed_in(f"/ui/capsules/{STG_ORDERS}")
    ui.page.get_by_text("Staged orders").wait_for()
    assert MARKUP in ui.page.locator("main").inner_text()
    assert ui.page.locator("main img, main script").count() == 0
    assert ui.page.evaluate("window.owned === undefined")
    assert ui.unexpected_errors() == []


def test_columns_show_pii_masking_and_tags(ui: Console) -> None:
    ui.open_signed_in(f"/ui/capsules/{CUSTOMERS}#col-email")
    email = ui.page.locator("#col-email")
    email.wait_for()
    cells = email.locator("td").all_inner_texts()
    assert cells[0] == "email"
    assert cells[3] == "email not masked"
    assert cells[4] == "sensitive"
    assert ui.page.locator("#col-first_name td").nth(4).inner_text() == "—"
    assert ui.unexpected_errors() == []


@pytest.mark.parametrize(
    ("urn", "query", "expected"),
    [
        (ORDERS, "direction=upstream&depth=3", UPSTREAM_OF_ORDERS),
        (
            ORDERS,
            "direction=upstream&depth=1",
            {ORDERS, STG_ORDERS, "urn:dab:dbt:model:jaffle_shop:stg_payments"},
        ),
        (ORDERS, "direction=downstream&depth=3", {ORDERS}),
        (SOURCE + "orders", "direction=downstream&depth=5", DOWNSTREAM_OF_SOURCE_ORDERS),
        (STG_ORDERS, "direction=both&depth=1", {SOURCE + "orders", STG_ORDERS, ORDERS, CUSTOMERS}),
    ],
)
def test_lineage_page_draws_exactly_the_expected_nodes(
    ui: Console, urn: str, query: str, expected: set[str]
) -> None:
    ui.open_signed_in(f"/ui/lineage/{urn}?{query}")
    assert ui.nodes() == expected
    assert ui.page.locator("#lineage-graph [data-urn]").count() == len(expected)  # each exactly once
    assert ui.page.locator("#lineage-graph .root").get_attribute("data-urn") == urn
    assert ui.unexpected_errors() == []


def test_lineage_controls_pan_zoom_and_click_to_open(ui: Console) -> None:
    ui.open_signed_in(f"/ui/lineage/{ORDERS}")
    page = ui.page
    assert ui.nodes() == UPSTREAM_OF_ORDERS  # default: both directions, depth 3
    ui.screenshot("lineage")
    page.get_by_label("Direction").select_option("upstream")
    page.get_by_label("Depth").fill("1")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(re.compile(r"direction=upstream&depth=1$"))
    assert ui.nodes() == {ORDERS, STG_ORDERS, "urn:dab:dbt:model:jaffle_shop:stg_payments"}
    svg = page.locator("#lineage-svg")
    before = svg.get_attribute("viewBox")
    page.get_by_role("button", name="Zoom in").click()
    zoomed = svg.get_attribute("viewBox")
    assert zoomed != before
    svg.focus()
    page.keyboard.press("ArrowRight")
    assert svg.get_attribute("viewBox") != zoomed
    page.keyboard.press("0")
    box = svg.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + 40, box["y"] + 40)
    page.mouse.down()
    page.mouse.move(box["x"] + 140, box["y"] + 90, steps=5)
    page.mouse.up()
    assert svg.get_attribute("viewBox") != before, "dragging pans"
    page.locator(f'#lineage-graph [data-urn="{STG_ORDERS}"]').click()
    page.wait_for_url(f"**/ui/capsules/{STG_ORDERS}")
    page.get_by_role("heading", level=1, name=re.compile("^stg_orders")).wait_for()
    page.go_back()
    assert ui.nodes() == {ORDERS, STG_ORDERS, "urn:dab:dbt:model:jaffle_shop:stg_payments"}
    assert ui.unexpected_errors() == []


def test_graph_nodes_are_reached_and_opened_with_the_keyboard(ui: Console) -> None:
    ui.open_signed_in(f"/ui/lineage/{ORDERS}?direction=upstream&depth=1")
    page = ui.page
    ui.nodes()
    page.locator("#lineage-svg").focus()
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.dataset.urn")
    assert focused in {ORDERS, STG_ORDERS, "urn:dab:dbt:model:jaffle_shop:stg_payments"}
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/ui/capsules/{focused}")
    page.locator("dl.meta").wait_for()
    assert ui.unexpected_errors() == []


def test_lineage_of_a_column_is_offered_and_an_empty_one_is_said(ui: Console) -> None:
    ui.open_signed_in(f"/ui/lineage/{ORDERS}?direction=upstream&depth=2")
    page = ui.page
    ui.nodes()
    page.get_by_label("Column lineage of").select_option("order_id")
    page.wait_for_url(re.compile(r"column=order_id"))
    column = "urn:dab:dbt:column:jaffle_shop:orders.order_id"
    lineage = api_get(ui.base, f"/columns/{column}/lineage", direction="upstream", depth=2)
    if lineage["edges"]:
        expected = {node["urn"] for node in lineage["nodes"]}
        assert ui.nodes("#column-graph") == expected
    else:
        page.get_by_text("No column-level lineage is recorded for order_id.").wait_for()
    assert ui.unexpected_errors() == []


@pytest.mark.parametrize(
    ("path", "named", "status"),
    [
        (f"/ui/lineage/{ORDERS}?depth=99", "depth", 422),
        ("/ui/capsules/urn:dab:dbt:model:jaffle_shop:nope", "urn:dab:dbt:model:jaffle_shop:nope", 404),
    ],
)
def test_a_refused_request_shows_the_api_problem(ui: Console, path: str, named: str, status: int) -> None:
    ui.open_signed_in(path)
    alert = ui.page.get_by_role("alert")
    alert.wait_for()
    assert named in alert.inner_text()
    assert "Request id:" in alert.inner_text()
    assert ui.unexpected_errors(f"status of {status}") == []


def test_conformance_page_scores_filters_and_links(ui: Console) -> None:
    ui.open_signed_in("/ui/conformance")
    page = ui.page
    score = api_get(ui.base, "/conformance/score")
    page.locator("#score").wait_for()
    assert page.locator("#score").inner_text() == f"{score['score'] * 100:.1f} %"
    open_total = api_get(ui.base, "/conformance/violations", status="open", limit=1)["total"]
    page.get_by_role("region", name=f"Violations ({open_total})").wait_for()
    ui.screenshot("conformance")
    page.locator("#f-severity").select_option("critical")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(r"severity=critical"))
    critical = api_get(ui.base, "/conformance/violations", status="open", severity="critical", limit=50)
    region = page.get_by_role("region", name=f"Violations ({critical['total']})")
    region.wait_for()
    assert critical["total"] > 0
    assert set(region.locator("tbody tr td:first-child").all_inner_texts()) == {"critical"}
    link = region.locator("tbody a").first
    capsule = critical["data"][0]["capsule_urn"]
    assert link.get_attribute("href") == f"/ui/capsules/{capsule}"
    link.click()
    page.wait_for_url(f"**/ui/capsules/{capsule}")
    page.locator("dl.meta").wait_for()
    assert ui.unexpected_errors() == []


def test_an_expired_key_leads_back_to_sign_in_and_then_to_the_page(ui: Console) -> None:
    ui.open_signed_in("/ui/")
    page = ui.page
    page.locator("#capsule-total").wait_for()
    page.evaluate("sessionStorage.setItem('dab.apiKey', 'revoked-key')")
    ui.goto(f"/ui/capsules/{CUSTOMERS}")
    page.get_by_text("Your API key was not accepted any more").wait_for()
    assert "/ui/signin?" in page.url
    ui.sign_in()
    page.wait_for_url(f"**/ui/capsules/{CUSTOMERS}")
    page.get_by_role("heading", level=1, name=re.compile("^customers")).wait_for()
    assert ui.unexpected_errors("status of 401") == []


def test_sign_out_forgets_the_key(ui: Console) -> None:
    ui.open_signed_in("/ui/")
    ui.page.locator("#capsule-total").wait_for()
    ui.page.get_by_role("button", name="Sign out").click()
    ui.page.locator("#api-key").wait_for()
    assert ui.page.evaluate("sessionStorage.getItem('dab.apiKey')") is None


def test_home_summarises_the_graph(ui: Console) -> None:
    ui.open_signed_in("/ui/")
    page = ui.page
    total = api_get(ui.base, "/capsules", limit=1)["total"]
    assert page.locator("#capsule-total").inner_text() == str(total)
    layers = page.get_by_role("region", name="Capsules per layer")
    for layer in ("bronze", "gold"):
        count = api_get(ui.base, "/capsules", limit=1, layer=layer)["total"]
        assert layers.locator("tr", has_text=layer).locator("td").nth(1).inner_text() == str(count)
    assert page.locator("#conformance-score").inner_text().endswith("%")
    assert ui.unexpected_errors() == []


def test_with_auth_disabled_there_is_no_sign_in(open_ui: Console) -> None:
    open_ui.goto("/ui/")
    open_ui.page.locator("#capsule-total").wait_for()
    assert open_ui.page.locator("#api-key").count() == 0
    assert open_ui.page.get_by_role("button", name="Sign out").is_hidden()
    assert open_ui.unexpected_errors() == []


def test_a_2000_node_lineage_is_limited_and_says_what_was_left_out(open_ui: Console) -> None:
    open_ui.goto(f"/ui/lineage/{ORDERS}?direction=downstream&depth=1")
    drawn = open_ui.nodes()
    assert len(drawn) == 500
    assert ORDERS in drawn
    notice = open_ui.page.locator("#omitted").inner_text()
    assert "of 2001" in notice
    assert "1501 at distance 1" in notice
    assert open_ui.layout_shift() < 0.01, "drawing the graph moves nothing on the page"
    # Too big to read whole: the first view is the start node at natural size, in the frame.
    frame = open_ui.page.locator("#lineage-graph").bounding_box()
    root = open_ui.page.locator(f'#lineage-graph [data-urn="{ORDERS}"]').bounding_box()
    assert frame is not None and root is not None
    assert frame["x"] < root["x"] and root["x"] + root["width"] < frame["x"] + frame["width"]
    assert frame["y"] < root["y"] and root["y"] + root["height"] < frame["y"] + frame["height"]
    assert 30 < root["height"] < 60, "drawn at about its natural 42 px height"
    open_ui.screenshot("lineage-2000")
    # Still responsive: zooming and focusing a node work right away.
    open_ui.page.get_by_role("button", name="Zoom in").click()
    open_ui.page.locator("#lineage-graph [data-urn]").nth(10).focus()
    assert open_ui.unexpected_errors() == []


PAGES: list[tuple[str, str]] = [
    ("home", "/ui/?q=customer"),
    ("capsule", f"/ui/capsules/{CUSTOMERS}"),
    ("lineage", f"/ui/lineage/{CUSTOMERS}?direction=both&depth=3"),
    ("conformance", "/ui/conformance"),
    ("pii", "/ui/pii"),
    ("products", "/ui/products"),
]


def _ready(console: Console) -> None:
    console.page.locator("main:not([aria-busy])").wait_for()
    console.page.locator("main h1").first.wait_for()


@pytest.mark.parametrize(("name", "path"), PAGES)
def test_every_page_has_no_serious_accessibility_violation(ui: Console, name: str, path: str) -> None:
    ui.open_signed_in(path)
    _ready(ui)
    assert ui.serious_accessibility_violations() == []


@pytest.mark.parametrize(("name", "path"), PAGES)
def test_every_page_is_readable_on_a_phone(phone: Console, name: str, path: str) -> None:
    phone.open_signed_in(path)
    _ready(phone)
    width: Any = phone.page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"{name} scrolls sideways on a phone"
    phone.screenshot(f"phone-{name}")


def test_signed_in_key_is_sent_as_header(ui: Console) -> None:
    ui.open_signed_in("/ui/")
    with ui.page.expect_request(re.compile(r"/api/v1/search\?")) as request:
        ui.page.get_by_role("searchbox").fill("cust")
    assert request.value.headers.get("x-api-key") == KEY
