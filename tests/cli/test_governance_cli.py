"""`dab products ...` and `dab tags ...` on the configured database, seen by the API afterwards."""

from __future__ import annotations

from collections.abc import Iterator

import orjson
import pytest
from fastapi.testclient import TestClient
from tests.api.governance_helpers import ORDERS, STATUS_COLUMN, ingest
from tests.api.ingest_helpers import artifacts
from typer.testing import CliRunner

from dab.cli import app
from dab.settings import Settings, get_settings

runner = CliRunner()


@pytest.fixture
def jaffle(
    client: TestClient, settings: Settings, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TestClient]:
    """The CLI on the app's database, DAB_HOME and cache: its writes reach the app's cached reads."""
    ingest(client, artifacts())
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("DAB_HOME", str(settings.dab_home))
    if settings.cache_redis_url:
        monkeypatch.setenv("CACHE_REDIS_URL", settings.cache_redis_url)
    get_settings.cache_clear()
    yield client
    get_settings.cache_clear()


def _ok(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_product_flow(jaffle: TestClient) -> None:
    created = orjson.loads(
        _ok(
            "products",
            "create",
            "Orders 360",
            "--domain",
            "order",
            "--quality-threshold",
            "0.9",
            "--format",
            "json",
        )
    )
    assert created["domain"] == "order"
    assert "added urn:dab:dbt:model:jaffle_shop:orders as output" in _ok(
        "products", "add-capsule", created["id"], ORDERS
    )
    listed = orjson.loads(_ok("products", "list", "--format", "json"))
    assert [(p["name"], p["capsule_count"]) for p in listed] == [("Orders 360", 1)]
    slo = orjson.loads(_ok("products", "slo", created["id"], "--format", "json"))
    assert (slo["quality"]["actual"], slo["quality_met"]) == (0.8571, False)  # 6 of 7 orders tests pass
    assert "quality" in _ok("products", "slo", created["id"])
    shown = jaffle.get(f"/api/v1/products/{created['id']}/capsules").json()["data"]
    assert [m["urn"] for m in shown] == [ORDERS]
    _ok("products", "remove-capsule", created["id"], ORDERS)
    assert orjson.loads(_ok("products", "show", created["urn"], "--format", "json"))["capsule_count"] == 0


def test_tag_flow(jaffle: TestClient) -> None:
    tag = orjson.loads(
        _ok(
            "tags",
            "create",
            "pii",
            "--category",
            "compliance",
            "--sensitivity",
            "restricted",
            "--format",
            "json",
        )
    )
    assert "tagged" in _ok("tags", "apply", STATUS_COLUMN, tag["id"], "--column", "--added-by", "cli@x.com")
    assert "tagged" in _ok("tags", "apply", ORDERS, tag["urn"])
    columns = jaffle.get(f"/api/v1/tags/{tag['id']}/columns").json()["data"]
    assert [(c["urn"], c["added_by"]) for c in columns] == [(STATUS_COLUMN, "cli@x.com")]
    listed = orjson.loads(_ok("tags", "list", "--origin", "api", "--format", "json"))
    assert [(t["name"], t["capsule_count"], t["column_count"]) for t in listed] == [("pii", 1, 1)]
    _ok("tags", "remove", STATUS_COLUMN, tag["id"], "--column")
    assert jaffle.get(f"/api/v1/tags/{tag['id']}/columns").json()["total"] == 0


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["products", "create", "P", "--availability-percent", "120"], 2, "slo_availability_percent"),
        (["tags", "create", "t", "--sensitivity", "secret"], 2, "sensitivity_level"),
        (["products", "slo", "missing"], 4, "not found"),
        (["tags", "apply", "urn:dab:dbt:model:jaffle_shop:nope", "missing"], 4, "not found"),
    ],
)
def test_bad_input_is_one_line_and_an_exit_code(
    jaffle: TestClient, args: list[str], code: int, message: str
) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == code, result.output
    assert message in result.output
    assert jaffle.get("/api/v1/products").json()["total"] == 0
