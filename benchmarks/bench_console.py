"""Web console: how long Chromium takes to show a lineage view of N nodes, and to zoom it.

For each size, a fresh `dab serve` (SQLite, auth off) holds the demo project plus N models that
all select from `orders`; Chromium (Debian's, through Playwright) opens
`/ui/lineage/<orders>?direction=downstream&depth=1` and we record, per run:
- page: navigation start until every node the page draws is in the DOM (includes the API call);
- layout: the page's own `dab:lineage-layout` measure (node limit + dagre + building the SVG);
- zoom: a click on "Zoom in" until the next animation frame.

    python benchmarks/bench_console.py [--sizes 100 500 2000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.e2e.conftest import CHROMIUM_ARGS, _load, wide_artifacts  # noqa: E402
from tests.live_server import running_server  # noqa: E402

ORDERS = "urn:dab:dbt:model:jaffle_shop:orders"
DRAWN_MAX = 500  # graph.js MAX_NODES
ZOOM = """() => new Promise((resolve) => {
  const t0 = performance.now();
  document.querySelector('button[aria-label="Zoom in"]').click();
  requestAnimationFrame(() => resolve(performance.now() - t0));
})"""


def _run(page: Any, base: str, expected: int) -> tuple[float, float, float]:
    started = time.perf_counter()
    page.goto(f"{base}/ui/lineage/{ORDERS}?direction=downstream&depth=1")
    # The page adds every node at once; waiting for the last one (no eval: the console's CSP forbids it).
    page.locator("#lineage-graph [data-urn]").nth(expected - 1).wait_for(state="attached")
    total = (time.perf_counter() - started) * 1000
    layout = page.evaluate("performance.getEntriesByName('dab:lineage-layout')[0].duration")
    zoom = page.evaluate(ZOOM)
    return total, float(layout), float(zoom)


def bench(size: int, repeat: int) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    with (
        tempfile.TemporaryDirectory() as home,
        running_server(Path(home), {"AUTH_ENABLED": "false"}) as server,
    ):
        base = server.base
        _load(base, wide_artifacts(size), None)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            _run(page, base, min(size + 1, DRAWN_MAX))  # warm-up: caches, JIT
            runs = [_run(page, base, min(size + 1, DRAWN_MAX)) for _ in range(repeat)]
            browser.close()
    return {
        name: statistics.median(r[i] for r in runs)
        for i, name in enumerate(("page_ms", "layout_ms", "zoom_ms"))
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 500, 2000])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print("| Nodes in the lineage | Drawn | Page shown (median) | Layout + SVG | Zoom to next frame |")
    print("|---|---|---|---|---|")
    for size in args.sizes:
        result = bench(size, args.repeat)
        print(
            f"| {size + 1} | {min(size + 1, DRAWN_MAX)} | {result['page_ms']:.0f} ms "
            f"| {result['layout_ms']:.0f} ms | {result['zoom_ms']:.0f} ms |"
        )


if __name__ == "__main__":
    main()
