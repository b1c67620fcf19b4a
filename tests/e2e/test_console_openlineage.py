"""The console's lineage view with OpenLineage nodes: the jobs dbt-ol reported (captured
fixture), a loader job and the dataset it reads are drawn next to the dbt nodes, each saying its
type. (dbt-ol's own source datasets are the dbt sources: they match by alias.)"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from tests.api.ingest_helpers import artifacts
from tests.api.openlineage_helpers import loader_events
from tests.e2e.conftest import Console, _console
from tests.live_server import running_server

pytestmark = pytest.mark.browser

EVENTS = Path(__file__).parents[1] / "fixtures" / "openlineage" / "dbt_ol" / "events.jsonl"
STG_CUSTOMERS = "urn:dab:dbt:model:jaffle_shop:stg_customers"
JOB = "urn:dab:openlineage:job:dbt:jaffle_shop.staging.jaffle_shop.stg_customers.build.run"
CRM = "urn:dab:openlineage:dataset:postgres%3A%2F%2Fcrm%2Eexample%2Ecom%3A5432:crm.public.customers"
"""What the loader (``loader_events``) copies into the table dbt reads as its customers source."""


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
            response = client.post("/lineage", json=loader_events(str(uuid.uuid4())))
            assert response.status_code == 200, response.text
        yield server.base


@pytest.fixture
def ol_ui(browser: Any, lineage_url: str) -> Iterator[Console]:
    yield from _console(browser, lineage_url, {"width": 1280, "height": 900})


def test_lineage_view_draws_jobs_and_datasets_with_their_types(ol_ui: Console) -> None:
    ol_ui.goto(f"/ui/lineage/{STG_CUSTOMERS}?direction=upstream&depth=3")
    nodes = ol_ui.nodes()
    assert {STG_CUSTOMERS, JOB, CRM} <= nodes
    page = ol_ui.page
    job = page.locator(f'#lineage-graph [data-urn="{JOB}"]')
    assert job.locator("text.sub").text_content().strip().startswith("job ·")
    dataset = page.locator(f'#lineage-graph [data-urn="{CRM}"]')
    assert dataset.locator("text.sub").text_content().strip().startswith("dataset ·")
    ol_ui.screenshot("lineage-openlineage")
    job.click()  # a job node opens its capsule page like any other node
    page.get_by_role("heading", level=1).filter(has_text="job").wait_for()
    assert ol_ui.unexpected_errors() == []
