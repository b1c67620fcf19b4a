"""The web console in a real browser: Debian's Chromium driven by Playwright against a live
`dab serve` (SQLite file loaded with the demo dbt project). Screenshots go to .ci/artifacts/."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.api.ingest_helpers import artifacts
from tests.live_server import running_server
from tests.tools import in_ci, require_executable, require_module

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / ".ci" / "artifacts" / "console"
AXE = REPO / ".ci" / "node" / "node_modules" / "axe-core" / "axe.min.js"
INSTALL = "bash scripts/ci/install-browser.sh"
KEY = "console-test-key"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
CLS = """() => new Promise((resolve) => {
  let total = 0;
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) if (!entry.hadRecentInput) total += entry.value;
  }).observe({ type: "layout-shift", buffered: true });
  setTimeout(() => resolve(total), 300);
})"""
MARKUP = '<img src=x onerror="window.owned=1"><script>window.owned=2</script> Staged orders'
FAN_OUT = 2000  # downstream models added to `orders` for the large-graph server


def _load(base: str, body: dict[str, Any], key: str | None) -> None:
    headers = {"X-API-Key": key} if key else {}
    with httpx.Client(base_url=f"{base}/api/v1", headers=headers, timeout=300) as client:
        response = client.post("/ingest/dbt", params={"wait": "true"}, json=body)
        assert response.status_code == 201, response.text
        response = client.post("/conformance/evaluate", json={"scope": "full"})
        assert response.status_code == 200, response.text


def demo_artifacts() -> dict[str, Any]:
    """The demo project, with a dbt tag on one column (the demo itself tags no column) and markup
    in one description (metadata is text: it must be shown, never run)."""
    body = artifacts()
    nodes = body["manifest"]["nodes"]
    nodes["model.jaffle_shop.customers"]["columns"]["email"]["tags"] = ["sensitive"]
    nodes["model.jaffle_shop.stg_orders"]["description"] = MARKUP
    return body


def wide_artifacts(count: int = FAN_OUT) -> dict[str, Any]:
    """The demo project plus `count` models that each select from `orders` (a 2,000-node view)."""
    body = artifacts()
    nodes = body["manifest"]["nodes"]
    base = nodes["model.jaffle_shop.orders"]
    for i in range(count):
        name = f"fan_{i:04d}"
        node = copy.deepcopy(base)
        node.update(
            unique_id=f"model.jaffle_shop.{name}",
            name=name,
            alias=name,
            path=f"marts/{name}.sql",
            original_file_path=f"models/marts/{name}.sql",
            fqn=["jaffle_shop", "marts", name],
            columns={},
            depends_on={"macros": [], "nodes": ["model.jaffle_shop.orders"]},
        )
        nodes[node["unique_id"]] = node
    body.pop("catalog", None)
    return body


@pytest.fixture(scope="session")
def live_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The demo project behind API-key auth (the usual production shape)."""
    home = tmp_path_factory.mktemp("console-home")
    with running_server(home, {"API_KEYS": KEY, "RATE_LIMIT_DEFAULT": "100000/minute"}) as server:
        _load(server.base, demo_artifacts(), KEY)
        yield server.base


@pytest.fixture(scope="session")
def open_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Auth disabled, and `orders` with 2,000 downstream models."""
    home = tmp_path_factory.mktemp("console-open-home")
    with running_server(home, {"AUTH_ENABLED": "false", "RATE_LIMIT_ENABLED": "false"}) as server:
        _load(server.base, wide_artifacts(), None)
        yield server.base


def api_get(base: str, path: str, **params: Any) -> Any:
    response = httpx.get(f"{base}/api/v1{path}", params=params, headers={"X-API-Key": KEY}, timeout=30)
    response.raise_for_status()
    return response.json()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    # Module scope, not session: while Playwright's sync API runs it holds an event loop in this
    # thread, and other tests of the same xdist worker call asyncio.run().
    require_executable("chromium", INSTALL)
    require_module("playwright", "pip install -e '.[dev]'")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=require_executable("chromium", INSTALL), args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@dataclass
class Console:
    """One browser tab on the console, recording what must never happen."""

    page: Any
    base: str
    console_errors: list[str] = field(default_factory=list)
    external_requests: list[str] = field(default_factory=list)

    def goto(self, path: str) -> None:
        self.page.goto(self.base + path)

    def sign_in(self, key: str = KEY) -> None:
        self.page.locator("#api-key").fill(key)
        self.page.get_by_role("button", name="Sign in").click()

    def open_signed_in(self, path: str) -> None:
        """Open `path` in a fresh tab: the console asks for the key first, then shows the page."""
        self.goto(path)
        self.page.locator("#api-key").wait_for()
        self.sign_in()

    def nodes(self, frame: str = "#lineage-graph") -> set[str]:
        self.page.locator(f"{frame} [data-urn]").first.wait_for()
        return set(
            self.page.locator(f"{frame} [data-urn]").evaluate_all("els => els.map(e => e.dataset.urn)")
        )

    def layout_shift(self) -> float:
        """Cumulative layout shift since the page loaded (the browser's own Layout Instability API)."""
        total: float = self.page.evaluate(CLS)
        return total

    def screenshot(self, name: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

    def serious_accessibility_violations(self) -> list[str]:
        if not AXE.exists():
            message = f"axe-core is not installed at {AXE.relative_to(REPO)} ({INSTALL})"
            if in_ci():
                pytest.fail(message)
            pytest.skip(message)
        self.page.evaluate(AXE.read_text(encoding="utf-8"))
        result = self.page.evaluate("axe.run(document, {resultTypes: ['violations']})")
        return [
            f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
            for v in result["violations"]
            if v["impact"] in ("serious", "critical")
        ]

    def unexpected_errors(self, *allowed: str) -> list[str]:
        return [e for e in self.console_errors if not any(re.search(a, e) for a in allowed)]


def _console(browser: Any, base: str, viewport: dict[str, int]) -> Iterator[Console]:
    context = browser.new_context(viewport=viewport, base_url=base)
    page = context.new_page()
    console = Console(page=page, base=base)

    def guard(route: Any) -> None:
        if route.request.url.startswith(base + "/"):
            route.continue_()
        else:
            console.external_requests.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    page.on("console", lambda m: console.console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: console.console_errors.append(f"uncaught: {e}"))
    yield console
    context.close()
    assert console.external_requests == [], "the console asked for something outside the server"


@pytest.fixture
def ui(browser: Any, live_url: str) -> Iterator[Console]:
    yield from _console(browser, live_url, {"width": 1280, "height": 900})


@pytest.fixture
def phone(browser: Any, live_url: str) -> Iterator[Console]:
    yield from _console(browser, live_url, {"width": 390, "height": 844})


@pytest.fixture
def open_ui(browser: Any, open_url: str) -> Iterator[Console]:
    yield from _console(browser, open_url, {"width": 1280, "height": 900})
