"""CLI output stays what was stored: no rich markup interpretation, no spreadsheet formulas,
and failures (the database included) as one line and an exit code, never a traceback."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from tests.api.ingest_helpers import artifacts
from typer.testing import CliRunner

from dab.cli import app
from dab.settings import get_settings

ORDERS = "urn:dab:dbt:model:jaffle_shop:orders"
runner = CliRunner()
HOSTILE = "Orders [/] [bold]not bold[/bold] [link=http://x]y[/link]"
FORMULA = '=HYPERLINK("http://evil.example","click")'


@pytest.fixture
def hostile(client: TestClient, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    body = artifacts()
    node = body["manifest"]["nodes"]["model.jaffle_shop.orders"]
    node["description"] = HOSTILE
    node["columns"]["order_id"]["description"] = FORMULA
    assert client.post("/api/v1/ingest/dbt", params={"wait": "true"}, json=body).status_code == 201
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.delenv("DAB_API_URL", raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_markup_in_descriptions_is_shown_as_written(hostile: None) -> None:
    result = runner.invoke(app, ["capsules", "show", ORDERS])
    assert result.exit_code == 0, result.output
    assert "[/]" in result.stdout and "[bold]not bold[/bold]" in result.stdout
    listed = runner.invoke(app, ["columns", "list", "--capsule", ORDERS])
    assert listed.exit_code == 0, listed.output
    assert "HYPERLINK" in listed.stdout


def test_csv_neutralises_formulas(hostile: None) -> None:
    result = runner.invoke(app, ["columns", "list", "--capsule", ORDERS, "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    descriptions = [r["description"] for r in rows if "HYPERLINK" in (r.get("description") or "")]
    assert descriptions == ["'" + FORMULA]


def test_database_down_is_one_line_and_an_exit_code(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://dab:dab@127.0.0.1:9/none")
    monkeypatch.setenv("DAB_DB_CONNECT_TIMEOUT_SECONDS", "1")
    get_settings.cache_clear()
    try:
        for command in (["capsules", "list"], ["ingest", "jobs"]):
            result = runner.invoke(app, command)
            assert result.exit_code == 5, (command, result.output)
            assert "Traceback" not in result.output
            assert result.stderr.strip().count("\n") == 0
            assert "database unavailable" in result.stderr
    finally:
        get_settings.cache_clear()


def test_a_failed_ingestion_with_markup_in_the_error_is_one_line(
    client: TestClient, tmp_path: object, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pathlib import Path

    manifest = Path(str(tmp_path)) / "manifest.json"
    manifest.write_text('{"metadata": {"dbt_schema_version": "[/] [bold]' + "x" * 100_000 + '"}}')
    monkeypatch.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    try:
        result = runner.invoke(app, ["ingest", "--source", "dbt", "--manifest", str(manifest)])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 3, result.output
    assert "Traceback" not in result.output
    assert "[/] [bold]" in result.stderr
    assert len(result.stderr) < 3_000
