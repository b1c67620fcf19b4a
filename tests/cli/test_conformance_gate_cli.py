"""`dab conformance check --baseline`: the pull-request gate on two manifests, no database.

The Markdown comment is read back by markdown-it-py (the CommonMark parser rich renders with)
with GFM tables on, as a code review tool would render it.
"""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from markdown_it import MarkdownIt
from tests.api.gate_helpers import EXPOSURE_URN, PREFIX, write
from typer.testing import CliRunner

from dab.cli import app
from dab.rules import sqlfacts
from dab.services.sql_facts_store import FILE_NAME

runner = CliRunner()
INTRODUCED = {
    ("no-select-star", f"{PREFIX}stg_refunds"),
    ("orphan-model", f"{PREFIX}stg_refunds"),
    ("model-documented", f"{PREFIX}stg_refunds"),
    ("source-fan-out", "urn:dab:dbt:source:jaffle_shop:jaffle_shop.payments"),
}


@pytest.fixture
def manifests(tmp_path: Path) -> tuple[Path, Path]:
    return write(tmp_path)


def _gate(manifests: tuple[Path, Path], *args: str) -> tuple[int, str]:
    """Exit code and stdout; on a usage error (exit 2) stderr, where the message goes."""
    head, base = manifests
    result = runner.invoke(
        app, ["conformance", "check", "--manifest", str(head), "--baseline", str(base), *args]
    )
    if result.exit_code == 2:  # rich wraps the message at the terminal width: unwrap it
        return result.exit_code, result.stderr.replace("\n", "")
    return result.exit_code, result.stdout


def _json(manifests: tuple[Path, Path], *args: str) -> dict[str, Any]:
    code, out = _gate(manifests, "--format", "json", *args)
    assert code in (0, 1), out
    body: dict[str, Any] = json.loads(out)
    return body


class TestGate:
    def test_reports_only_what_the_change_introduced_and_fixed(self, manifests: tuple[Path, Path]) -> None:
        body = _json(manifests)
        assert body["violations"]["data"] == [] and body["violations"]["total"] > 10  # counted only
        gate = body["gate"]
        introduced = {(v["rule_id"], v["subject_urn"]) for v in gate["introduced"]}
        assert introduced >= INTRODUCED
        assert all("stg_refunds" in s or s.endswith(("payments", "customers")) for _, s in introduced)
        assert {(v["rule_id"], v["subject_urn"].rsplit(":", 1)[1]) for v in gate["fixed"]} == {
            ("source-freshness", "jaffle_shop.customers")
        }
        assert gate["unchanged"] > 10

    def test_impact_lists_changed_models_and_everything_downstream(
        self, manifests: tuple[Path, Path]
    ) -> None:
        gate = _json(manifests)["gate"]
        assert gate["changed"]["added"] == [f"{PREFIX}stg_refunds"]
        assert f"{PREFIX}stg_orders" in gate["changed"]["modified"]
        assert {f"{PREFIX}orders", f"{PREFIX}customers"} <= set(gate["impact"]["models"])
        assert gate["impact"]["exposures"] == [EXPOSURE_URN]

    @pytest.mark.parametrize(("fail_on", "code"), [("error", 0), ("warning", 1)])
    def test_exit_code_counts_introduced_violations_only(
        self, manifests: tuple[Path, Path], fail_on: str, code: int
    ) -> None:
        # the base already has error-level violations (contracts, layering): they do not count
        assert _gate(manifests, "--fail-on", fail_on)[0] == code

    def test_same_manifest_as_baseline_passes_at_any_threshold(self, manifests: tuple[Path, Path]) -> None:
        _, base = manifests
        assert _gate((base, base), "--fail-on", "info")[0] == 0

    def test_markdown_comment_renders_its_table(self, manifests: tuple[Path, Path]) -> None:
        code, out = _gate(manifests, "--format", "markdown", "--fail-on", "warning")
        assert code == 1
        tokens = MarkdownIt("commonmark").enable("table").parse(out)
        headings = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open"]
        assert headings[0] == "dab conformance"
        assert any(h.startswith("Introduced (") for h in headings)
        rows = [
            [c.content for c in tokens[i + 1 : j] if c.type == "inline"]
            for i, t in enumerate(tokens)
            if t.type == "tr_open"
            for j in [next(k for k in range(i, len(tokens)) if tokens[k].type == "tr_close")]
        ]
        cells = {(r[1].split("]")[0].strip("[`"), r[2].strip("`")) for r in rows[1:] if len(r) == 4}
        assert ("no-select-star", "stg_refunds") in cells
        assert "docs/RULES.md#no-select-star" in out
        assert "**downstream exposures** (1): `weekly_revenue`" in out
        assert "fails" in out

    def test_sarif_carries_only_new_results(self, manifests: tuple[Path, Path]) -> None:
        _, out = _gate(manifests, "--format", "sarif")
        run = json.loads(out)["runs"][0]
        assert {r["baselineState"] for r in run["results"]} == {"new"}
        assert {(r["ruleId"], r["properties"]["capsule_urn"]) for r in run["results"]} >= INTRODUCED

    def test_junit_fails_only_rules_with_introduced_violations(self, manifests: tuple[Path, Path]) -> None:
        _, out = _gate(manifests, "--format", "junit")
        failed = {c.get("name") for c in ET.fromstring(out).iter("testcase") if c.find("failure") is not None}
        assert "no-select-star" in failed
        assert "gold-model-has-contract" not in failed  # present on the base branch already

    def test_missing_baseline_file_is_an_input_error(
        self, manifests: tuple[Path, Path], tmp_path: Path
    ) -> None:
        head, _ = manifests
        code, out = _gate((head, tmp_path / "nope.json"))
        assert code == 2
        assert "--baseline" in out


class TestEvaluatorVars:
    def test_dbt_project_vars_set_the_thresholds(self, manifests: tuple[Path, Path], tmp_path: Path) -> None:
        project = tmp_path / "dbt_project.yml"
        project.write_text(
            "name: jaffle_shop\nvars:\n  dbt_project_evaluator:\n    test_coverage_target: 50\n"
        )
        introduced = {
            v["rule_id"] for v in _json(manifests, "--dbt-project", str(project))["gate"]["introduced"]
        }
        assert "test-coverage-target" not in introduced
        assert "test-coverage-target" in {v["rule_id"] for v in _json(manifests)["gate"]["introduced"]}

    def test_a_bad_var_names_the_file_and_var(self, manifests: tuple[Path, Path], tmp_path: Path) -> None:
        project = tmp_path / "dbt_project.yml"
        project.write_text("vars:\n  models_fanout_threshold: many\n")
        code, out = _gate(manifests, "--dbt-project", str(project))
        assert code == 2
        assert "dbt_project.yml" in out and "vars.models_fanout_threshold" in out


def test_sql_cache_keeps_facts_between_runs_and_changes_nothing(
    manifests: tuple[Path, Path], tmp_path: Path
) -> None:
    cache = tmp_path / "sql-cache"
    without = _json(manifests)
    sqlfacts.forget()
    first = _json(manifests, "--sql-cache", str(cache))
    saved = json.loads((cache / FILE_NAME).read_bytes())
    assert len(saved) >= 5  # one entry per distinct model SQL of both manifests
    sqlfacts.forget()
    second = _json(manifests, "--sql-cache", str(cache))
    assert without == first == second


_GATE_THEN_MODULES = """
import sys
from typer.testing import CliRunner
from dab.cli import app
head, base, cache = sys.argv[1:]
args = ["conformance", "check", "--manifest", head, "--baseline", base, "--sql-cache", cache]
result = CliRunner().invoke(app, [*args, "--format", "json"])
print(result.exit_code, "sqlglot" in sys.modules, "httpx" in sys.modules)
"""


def test_a_gate_whose_facts_are_all_kept_never_imports_sqlglot(
    manifests: tuple[Path, Path], tmp_path: Path
) -> None:
    cache = tmp_path / "sql-cache"
    _json(manifests, "--sql-cache", str(cache))  # fills the folder
    head, base = (str(m) for m in manifests)

    def run(folder: Path) -> list[str]:
        command = [sys.executable, "-c", _GATE_THEN_MODULES, head, base, str(folder)]
        return subprocess.run(command, capture_output=True, text=True, check=True).stdout.split()

    kept, empty = run(cache), run(tmp_path / "empty-cache")
    assert kept[1] == "False"
    assert empty[1] == "True"  # a miss parses, and so imports it
    assert kept[2] == empty[2] == "False"  # the remote client is for commands asking a server
    assert kept[0] == empty[0] == "0"


_AS_THE_DAB_COMMAND = """
import atexit, sys
from dab.cli import run_dab
atexit.register(lambda: print("torn down", file=sys.stderr))
sys.argv = ["dab", *sys.argv[1:]]
run_dab()
"""


@pytest.mark.parametrize("output", ["json", "markdown", "sarif", "junit"])
def test_the_dab_command_ends_without_teardown_and_says_the_same(
    manifests: tuple[Path, Path], output: str
) -> None:
    head, base = (str(m) for m in manifests)
    args = ["conformance", "check", "--manifest", head, "--baseline", base, "--format", output]
    args += ["--fail-on", "warning"]
    done = subprocess.run(
        [sys.executable, "-c", _AS_THE_DAB_COMMAND, *args], capture_output=True, text=True, check=False
    )
    in_process = runner.invoke(app, args)
    assert (done.returncode, done.stdout) == (in_process.exit_code, in_process.stdout)
    assert done.returncode == 1 and done.stdout.strip()
    assert "torn down" not in done.stderr  # the process ended at once, output flushed first


def test_the_dab_command_still_exits_normally_on_an_input_error(manifests: tuple[Path, Path]) -> None:
    head, _ = manifests
    args = ["conformance", "check", "--manifest", str(head), "--baseline", str(head) + ".missing"]
    done = subprocess.run(
        [sys.executable, "-c", _AS_THE_DAB_COMMAND, *args], capture_output=True, text=True, check=False
    )
    assert done.returncode == 2
    assert "--baseline" in done.stderr and "torn down" in done.stderr
