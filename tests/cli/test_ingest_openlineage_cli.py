"""`dab ingest --source openlineage FILE.jsonl` and `dab sources`, on a real SQLite file."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from tests.api.openlineage_helpers import loader_events, run_event
from typer.testing import CliRunner

from dab.cli import app


def _file(folder: Path, lines: list[str]) -> Path:
    path = folder / "events.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_file_is_ingested_once(env: Path) -> None:
    events = [json.dumps(e) for e in loader_events(str(uuid.uuid4()))]
    path = _file(env, [events[0], "", events[1]])
    runner = CliRunner()
    first = runner.invoke(app, ["ingest", "--source", "openlineage", str(path), "--format", "json"])
    assert first.exit_code == 0, first.output
    assert json.loads(first.output)["applied"] == 2
    again = runner.invoke(app, ["ingest", "openlineage", str(path), "--format", "json"])
    assert json.loads(again.output)["duplicates"] == 2
    listed = runner.invoke(app, ["capsules", "list", "--type", "job", "--format", "json"])
    assert [c["name"] for c in json.loads(listed.output)] == ["load_customers"]


def test_an_invalid_line_is_named_and_nothing_is_stored(env: Path) -> None:
    bad = run_event("START")
    bad["run"]["runId"] = "nope"
    path = _file(env, [json.dumps(run_event("START", job="first")), json.dumps(bad)])
    result = CliRunner().invoke(app, ["ingest", "--source", "openlineage", str(path)])
    assert result.exit_code == 2
    assert "events.jsonl:2: $.run.runId" in result.output
    listed = CliRunner().invoke(app, ["capsules", "list", "--type", "job", "--format", "json"])
    assert json.loads(listed.output) == []


def test_sources_lists_the_registry() -> None:
    result = CliRunner().invoke(app, ["sources", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert {(s["name"], s["semantics"]) for s in json.loads(result.output)} == {
        ("dbt", "snapshot"),
        ("openlineage", "incremental"),
    }


def test_unknown_source_is_refused() -> None:
    result = CliRunner().invoke(app, ["ingest", "--source", "kafka"])
    assert result.exit_code == 2
    assert "registered sources: dbt, openlineage" in result.output
