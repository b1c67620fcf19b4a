"""`dab pii inventory|exposure|trace` on the configured database (same answers as the API)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import orjson
import pytest
from fastapi.testclient import TestClient
from tests.api.test_compliance_pii import _contacts_project
from typer.testing import CliRunner

from dab.cli import app
from dab.cli._runtime import EXIT_CODES
from dab.errors import InvalidInput, NotFound
from dab.settings import get_settings

runner = CliRunner()
COL = "urn:dab:dbt:column:jaffle_shop:"


@pytest.fixture
def contacts(client: TestClient, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    assert client.post("/api/v1/ingest/dbt?wait=true", json=_contacts_project()).status_code == 201
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.delenv("DAB_API_URL", raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _run(*args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, (args, result.output)
    return result.output


@pytest.mark.usefixtures("contacts")
def test_inventory_exposure_trace() -> None:
    rows = list(csv.DictReader(io.StringIO(_run("pii", "inventory", "--format", "csv", "--masked"))))
    assert f"{COL}customer_contacts.email_hash" in {r["urn"] for r in rows}
    assert all(r["masked"] == "True" for r in rows)
    exposed = orjson.loads(_run("pii", "exposure", "--format", "json"))
    assert f"{COL}customer_contacts.phone_number" in {i["urn"] for i in exposed}
    trace = orjson.loads(_run("pii", "trace", f"{COL}stg_customers.email", "--format", "json"))
    assert any(e["kind"] == "masking" for e in trace["edges"])
    _run("pii", "trace", f"{COL}nowhere.nothing", code=EXIT_CODES[NotFound])
    _run("pii", "inventory", "--pii-type", "shoe_size", code=EXIT_CODES[InvalidInput])
