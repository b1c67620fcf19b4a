"""The console's lineage view with OpenLineage nodes: the jobs dbt-ol reported (captured
fixture) and the datasets they read are drawn next to the dbt models, each saying its type."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from tests.api.ingest_helpers import artifacts
from tests.e2e.conftest import Console, _console
from tests.live_server import running_server

pytestmark = pytest.mark.browser

EVENTS = Path(__file__).parents[1] / "fixtures" / "openlineage" / "dbt_ol" / "events.jsonl"
STG_CUSTOMERS = "urn:dab:dbt:model:jaffle_shop:stg_customers"
JOB = "urn:dab:openlineage:job:dbt:jaffle_shop.staging.jaffle_shop.stg_customers.build.run"
RAW = "urn:dab:openlineage:dataset:duckdb%3A%2F%2Fjaffle_shop%2Educkdb:jaffle_shop.raw.customers"


@pytest.fixture(scope="module")
def lineage_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Auth off; the demo dbt project, then the events dbt-ol emitted building it."""
    home = tmp_path_factory.mktemp("console-openlineage-home")
    with running_server(home, {"AUTH_ENABLED": "false", "RATE_LIMIT_ENABLED": "false"}) as server:
        with httpx.Client(base_url=f"{server.base}/api/v1", timeout=300) as client:
            response = client.post("/ingest/dbt", params={"wait": "true"}, json=artifacts())
            assert response.status_code == 201, response.text
            events = [orjson.loads(line) for line in EVENTS.read_bytes().splitlines() if line.strip()]
            response = client.post("/lineage", json=events)
            assert response.status_code == 200, response.text
        yield server.base


@pytest.fixture
def ol_ui(browser: Any, lineage_url: str) -> Iterator[Console]:
    yield from _console(browser, lineage_url, {"width": 1280, "height": 900})


def test_lineage_view_draws_jobs_and_datasets_with_their_types(ol_ui: Console) -> None:
    ol_ui.goto(f"/ui/lineage/{STG_CUSTOMERS}?direction=upstream&depth=3")
    nodes = ol_ui.nodes()
    assert {STG_CUSTOMERS, JOB, RAW} <= nodes
    page = ol_ui.page
    job = page.locator(f'#lineage-graph [data-urn="{JOB}"]')
    assert job.locator("text.sub").text_content().strip().startswith("job ·")
    dataset = page.locator(f'#lineage-graph [data-urn="{RAW}"]')
    assert dataset.locator("text.sub").text_content().strip().startswith("dataset ·")
    ol_ui.screenshot("lineage-openlineage")
    job.click()  # a job node opens its capsule page like any other node
    page.get_by_role("heading", level=1).filter(has_text="job").wait_for()
    assert ol_ui.unexpected_errors() == []
