"""`dab ingest` on the configured database: the runbook's line, summaries, exit codes."""

from __future__ import annotations

from pathlib import Path

import orjson
from typer.testing import CliRunner

from dab.cli import app

V12 = Path(__file__).resolve().parents[1] / "fixtures" / "dbt" / "v12"
runner = CliRunner()


def _ingest(*extra: str) -> object:
    return runner.invoke(
        app,
        [
            "ingest",
            "--source",
            "dbt",
            "--manifest",
            str(V12 / "manifest.json"),
            "--catalog",
            str(V12 / "catalog.json"),
            *extra,
        ],
    )


def test_runbook_line_ingests_and_prints_a_summary(env: None) -> None:
    result = _ingest()
    assert result.exit_code == 0, result.output
    assert "capsules" in result.stdout and "11" in result.stdout


def test_json_output_and_unchanged_reingestion(env: None) -> None:
    assert _ingest().exit_code == 0
    result = _ingest("--run-results", str(V12 / "run_results.json"), "--format", "json")
    job = orjson.loads(result.stdout)
    assert job["status"] == "completed"
    assert job["stats"]["capsules"]["created"] == 0


def test_subcommand_form_jobs_and_retry(env: None) -> None:
    result = runner.invoke(
        app, ["ingest", "dbt", "--manifest", str(V12 / "manifest.json"), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    job_id = orjson.loads(result.stdout)["job_id"]
    listed = runner.invoke(app, ["ingest", "jobs", "--format", "json"])
    assert job_id in listed.stdout
    retried = runner.invoke(app, ["ingest", "retry", job_id, "--format", "json"])
    assert retried.exit_code == 0, retried.output
    assert orjson.loads(retried.stdout)["retry_of"] == job_id


def test_bad_manifest_exits_non_zero_with_the_reason(env: None) -> None:
    result = runner.invoke(app, ["ingest", "--source", "dbt", "--manifest", str(V12 / "catalog.json")])
    assert result.exit_code == 3
    assert "manifest.json" in result.output and "catalog" in result.output


def test_missing_file_and_missing_source(env: None, tmp_path: Path) -> None:
    missing = runner.invoke(app, ["ingest", "--source", "dbt", "--manifest", str(tmp_path / "nope.json")])
    assert missing.exit_code == 2 and "no such file" in missing.output
    no_source = runner.invoke(app, ["ingest", "--manifest", str(V12 / "manifest.json")])
    assert no_source.exit_code == 2 and "--source" in no_source.output


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.stdout.startswith("dab ")
