"""System metrics come from the database: CLI jobs count, the score is absent until evaluated."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from tests.api.ingest_helpers import artifacts
from typer.testing import CliRunner

from dab.cli import app as cli
from dab.settings import Settings, get_settings


def samples(client: TestClient) -> dict[str, float]:
    text = client.get("/metrics").text
    out: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = ",".join(f'{k}="{v}"' for k, v in sorted(sample.labels.items()))
            out[f"{sample.name}{{{labels}}}" if labels else sample.name] = sample.value
    return out


def test_a_failed_cli_ingestion_reaches_dab_ingestion_total(
    client: TestClient, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = tmp_path / "manifest.json"
    broken.write_text('{"metadata": ')
    monkeypatch.setenv("DATABASE_URL", str(settings.database_url))
    monkeypatch.setenv("DAB_HOME", str(tmp_path / "cron"))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["ingest", "--source", "dbt", "--manifest", str(broken)])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 3, result.output
    response = client.post("/api/v1/ingest/dbt", params={"wait": "true"}, json=artifacts())
    assert response.status_code == 201
    found = samples(client)
    assert found['dab_ingestion_total{source="dbt",status="failed"}'] == 1
    assert found['dab_ingestion_total{source="dbt",status="completed"}'] == 1
    assert found["dab_capsule_count"] == 11


def test_conformance_score_is_absent_until_a_first_full_evaluation(client: TestClient) -> None:
    text = client.get("/metrics").text
    assert re.search(r"^dab_conformance_score ", text, re.MULTILINE) is None  # "< 0.5" cannot fire
    assert client.post("/api/v1/ingest/dbt", params={"wait": "true"}, json=artifacts()).status_code == 201
    evaluated = client.post(
        "/api/v1/conformance/evaluate", json={"scope": "full", "persist_violations": True}
    )
    assert evaluated.status_code == 200, evaluated.text
    assert samples(client)["dab_conformance_score"] == pytest.approx(evaluated.json()["score"])


def test_pii_columns_are_counted_by_type(client: TestClient) -> None:
    body = artifacts()
    column = next(iter(body["manifest"]["nodes"]["model.jaffle_shop.customers"]["columns"].values()))
    column.setdefault("meta", {})["pii"] = "email"
    assert client.post("/api/v1/ingest/dbt", params={"wait": "true"}, json=body).status_code == 201
    pii = {k: v for k, v in samples(client).items() if k.startswith("dab_pii_column_count")}
    assert pii and all(value >= 1 for value in pii.values()), pii
