"""`dab capsules|columns|search` on the configured database and through --api-url."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from dab.cli import app
from dab.cli import capsules as capsules_cli
from dab.cli._remote import RemoteClient
from dab.settings import get_settings

V12 = Path(__file__).parents[1] / "fixtures" / "dbt" / "v12"
ORDERS = "urn:dab:dbt:model:jaffle_shop:orders"
SRC_ORDERS = "urn:dab:dbt:source:jaffle_shop:jaffle_shop.orders"
runner = CliRunner()


@pytest.fixture
def jaffle(client: TestClient, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    body = {
        k: orjson.loads((V12 / f"{k}.json").read_bytes())
        for k in ("manifest", "catalog", "run_results", "sources")
    }
    assert client.post("/api/v1/ingest/dbt?wait=true", json=body).status_code == 201
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.delenv("DAB_API_URL", raising=False)
    get_settings.cache_clear()
    yield client
    get_settings.cache_clear()


@pytest.fixture
def remote(jaffle: TestClient, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """--api-url answered by the in-process app (only the network hop is replaced)."""

    class Transport:
        """The app's own TestClient (same event loop as its pools), under the API prefix."""

        def __init__(self, api_key: str | None) -> None:
            self._headers = {"X-API-Key": api_key} if api_key else {}

        def request(self, method: str, path: str, **kwargs: Any) -> Any:
            return jaffle.request(method, f"/api/v1{path}", headers=self._headers, **kwargs)

        def close(self) -> None:
            return None

    def connect(api_url: str, api_key: str | None) -> RemoteClient:
        client = RemoteClient(api_url, api_key)
        client._client.close()
        client._client = Transport(api_key)  # type: ignore[assignment]
        return client

    monkeypatch.setattr(capsules_cli, "RemoteClient", connect)
    key = jaffle.headers["X-API-Key"]
    return ["--api-url", "http://dab.invalid", "--api-key", key]


def invoke(*args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, (args, result.output)
    return result.stdout


def as_json(*args: str) -> Any:
    return orjson.loads(invoke(*args, "--format", "json"))


class TestLocal:
    def test_capsules_list_formats(self, jaffle: TestClient) -> None:
        assert {c["name"] for c in as_json("capsules", "list", "--layer", "gold")} == {"orders", "customers"}
        rows = list(csv.DictReader(io.StringIO(invoke("capsules", "list", "--format", "csv"))))
        assert len(rows) == 11
        assert "urn" in rows[0]
        assert "capsules 1-5 of 5" in invoke("capsules", "list", "--type", "model")

    def test_capsules_show_lineage_impact(self, jaffle: TestClient) -> None:
        assert as_json("capsules", "show", ORDERS)["owner"] == "finance-analytics"
        lineage = as_json("capsules", "lineage", ORDERS, "--direction", "upstream", "--depth", "5")
        assert {n["urn"]: n["distance"] for n in lineage["nodes"]}[SRC_ORDERS] == -2
        impact = as_json("capsules", "impact", SRC_ORDERS)
        assert impact["total"] == 3
        assert "growth-analytics" in invoke("capsules", "impact", SRC_ORDERS)

    def test_columns_and_search(self, jaffle: TestClient) -> None:
        assert len(as_json("columns", "list", "--capsule", ORDERS)) == 9
        column = as_json("columns", "show", "urn:dab:dbt:column:jaffle_shop:orders.order_id")
        assert column["capsule_urn"] == ORDERS
        assert as_json("search", "orders")[0]["urn"] == ORDERS

    def test_errors_are_one_line_and_an_exit_code(self, jaffle: TestClient) -> None:
        invoke("capsules", "show", "urn:dab:dbt:model:jaffle_shop:nope", code=4)
        invoke("capsules", "lineage", ORDERS, "--depth", "99", code=2)
        invoke("capsules", "lineage", ORDERS, "--direction", "sideways", code=2)


class TestRemote:
    def test_same_answers_through_the_api(self, jaffle: TestClient, remote: list[str]) -> None:
        local = as_json("capsules", "list", "--has-pii")
        assert as_json("capsules", "list", "--has-pii", *remote) == local
        assert len(local) == 4
        assert as_json("capsules", "show", SRC_ORDERS, *remote)["urn"] == SRC_ORDERS
        assert as_json("capsules", "impact", SRC_ORDERS, *remote)["total"] == 3
        lineage = as_json("capsules", "lineage", ORDERS, "--depth", "1", *remote)
        assert len(lineage["nodes"]) == 3
        assert len(as_json("columns", "list", "--pii-type", "email", *remote)) == 4
        assert as_json("search", "ORDERS", "--kind", "capsule", *remote)[0]["urn"] == ORDERS

    def test_remote_errors_keep_their_exit_codes(self, jaffle: TestClient, remote: list[str]) -> None:
        invoke("capsules", "show", "urn:dab:dbt:model:jaffle_shop:nope", *remote, code=4)
        invoke("capsules", "lineage", ORDERS, "--depth", "99", *remote, code=2)
