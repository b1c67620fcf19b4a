"""`dab conformance check`: evaluate dbt artifacts on disk, with no database and no server.

Built for CI: parse the manifest (and catalog), evaluate the built-in rules plus any rule
files, and say whether violations at or above a severity exist. With a baseline manifest it
is a pull-request gate: only what the change introduced counts, with its downstream impact.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import orjson
import yaml

from dab import __version__
from dab.domain.gc_pause import rare_full_collections
from dab.domain.graph import Graph
from dab.errors import InvalidArtifact, InvalidInput, InvalidRule
from dab.ingest.dbt import ParseMemo, load_artifact, parse_dbt
from dab.reports import junit_xml, pr_comment, sarif_log
from dab.rules import EvaluationResult, Rule, RuleConfig, Severity, Violation, evaluate, load_rules_from_yaml
from dab.rules.evaluator_vars import evaluator_config
from dab.rules.gate import BaselineFindings, GateDiff, baseline_findings, gate_from
from dab.services.conformance_read import result_read, violation_read
from dab.services.forked import worth_forking
from dab.services.layer_config import load_layer_rules
from dab.services.rule_sources import combine, load_rule_config
from dab.services.sql_facts_parallel import learning_in_child, parse_ahead
from dab.services.sql_facts_store import load_facts, save_facts

SEVERITY_RANK = {"critical": 0, "error": 1, "warning": 2, "info": 3}
CHECK_FORMATS = ("table", "json", "sarif", "junit", "markdown")


@dataclass(frozen=True, slots=True)
class CheckOutcome:
    graph: Graph
    rules: tuple[Rule, ...]
    result: EvaluationResult
    diff: GateDiff | None = None
    products: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Data product name -> its changed or impacted capsule URNs (filled where a database is)."""

    @property
    def reported(self) -> tuple[Violation, ...]:
        """The violations that count: those introduced when there is a baseline, else all."""
        return self.diff.introduced if self.diff is not None else self.result.violations

    def failing(self, fail_on: str) -> int:
        """Reported violations at or above ``fail_on`` (critical > error > warning > info)."""
        limit = SEVERITY_RANK[Severity(fail_on).value]
        return sum(1 for v in self.reported if SEVERITY_RANK[v.severity.value] <= limit)


@dataclass(frozen=True, slots=True)
class Artifacts:
    """The raw bytes of one check: the head manifest, and optionally catalog and baseline."""

    manifest: bytes
    catalog: bytes | None = None
    baseline: bytes | None = None
    dbt_project: bytes | None = None


def _read(path: Path, option: str) -> bytes:
    if not path.is_file():
        raise InvalidInput(f"{option}: no such file: {path}", location=option)
    return path.read_bytes()


def _rule_files(paths: Sequence[Path]) -> list[Rule]:
    rules: list[Rule] = []
    for path in paths:
        try:
            rules.extend(load_rules_from_yaml(_read(path, "--rules").decode("utf-8")))
        except InvalidRule as exc:
            raise InvalidRule(f"{path}: {exc.detail}") from exc
    return rules


def project_rule_config(raw: bytes | None) -> RuleConfig:
    """The dbt-project-evaluator vars of a dbt_project.yml as a rules config (empty without one)."""
    if raw is None:
        return RuleConfig()
    try:
        doc = yaml.safe_load(raw.decode("utf-8"))
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        raise InvalidRule(f"dbt_project.yml: not valid YAML: {exc}") from exc
    if not isinstance(doc, Mapping):
        raise InvalidRule("dbt_project.yml: expected a mapping at the top level")
    return RuleConfig.from_dict(evaluator_config(doc))


def _graph(
    manifest: bytes,
    catalog: bytes | None,
    layer_rules_file: Path | None,
    *,
    keep: ParseMemo | None = None,
    reuse: ParseMemo | None = None,
) -> Graph:
    manifest_doc = load_artifact(manifest, "manifest.json")
    catalog_doc = load_artifact(catalog, "catalog.json") if catalog else None
    layer_rules = load_layer_rules(layer_rules_file)
    return parse_dbt(manifest_doc, catalog_doc, layer_rules=layer_rules, keep=keep, reuse=reuse)


def _baseline_graph(manifest: bytes, layer_rules_file: Path | None, head: ParseMemo) -> Graph:
    """The baseline's graph, sharing the head's capsules for equal nodes; its errors name the
    baseline, not the head manifest."""
    try:
        return _graph(manifest, None, layer_rules_file, reuse=head)
    except InvalidArtifact as exc:
        raise InvalidArtifact(
            exc.reason, artifact=f"baseline {exc.artifact}", json_path=exc.json_path
        ) from exc


Later = Callable[[Callable[[], BaselineFindings]], Callable[[], BaselineFindings]]
"""How the baseline's side of the gate runs: given the work, a function returning its result."""


def _when_asked(work: Callable[[], BaselineFindings]) -> Callable[[], BaselineFindings]:
    return work


def check_bytes(
    artifacts: Artifacts,
    *,
    extra_rules: Sequence[Rule] = (),
    config: RuleConfig | None = None,
    layer_rules_file: Path | None = None,
    before_evaluate: Callable[[Graph, Sequence[Rule]], object] | None = None,
    run_baseline: Later = _when_asked,
) -> CheckOutcome:
    """Evaluate the head manifest; with a baseline, diff the two evaluations (the PR gate).

    The baseline is parsed reusing the head's capsules for equal nodes and evaluated only
    where the change reaches (``dab.rules.reach``): the unchanged rest cannot differ.
    ``before_evaluate`` sees the head's graph and rules first (the CLI parses SQL ahead with it);
    ``run_baseline`` may start the baseline's side before the head's evaluation (the CLI forks).
    """
    memo = ParseMemo() if artifacts.baseline is not None else None
    graph = _graph(artifacts.manifest, artifacts.catalog, layer_rules_file, keep=memo)
    layered = project_rule_config(artifacts.dbt_project).layered(config or RuleConfig())
    rules = combine(extra_rules, layered)
    if before_evaluate is not None:
        before_evaluate(graph, rules)
    baseline, pending = artifacts.baseline, None
    if baseline is not None and memo is not None:

        def baseline_side() -> BaselineFindings:
            return baseline_findings(_baseline_graph(baseline, layer_rules_file, memo), graph, rules)

        pending = run_baseline(baseline_side)
    result = evaluate(graph, rules)
    if pending is None:
        return CheckOutcome(graph, rules, result)
    return CheckOutcome(graph, rules, result, gate_from(pending(), graph, result))


def _two_processes() -> dict[str, Any]:
    """The hooks that spread a CLI check over a forked child, when the machine has room now."""
    if not worth_forking():
        return {}
    return {"before_evaluate": parse_ahead, "run_baseline": learning_in_child}


def check_artifacts(
    manifest: Path,
    *,
    catalog: Path | None = None,
    rule_files: Sequence[Path] = (),
    config_file: Path | None = None,
    layer_rules_file: Path | None = None,
    baseline: Path | None = None,
    dbt_project: Path | None = None,
    sql_cache: Path | None = None,
) -> CheckOutcome:
    """``sql_cache``: a folder keeping SQL facts between runs (a CI cache), see ``sql_facts_store``."""
    artifacts = Artifacts(
        manifest=_read(manifest, "--manifest"),
        catalog=_read(catalog, "--catalog") if catalog else None,
        baseline=_read(baseline, "--baseline") if baseline else None,
        dbt_project=_read(dbt_project, "--dbt-project") if dbt_project else None,
    )
    if sql_cache is not None:
        load_facts(sql_cache)
    # Two parsed manifests are millions of long-lived objects: every full collection would rescan
    # them (about a second each); young collections still free sqlglot's cyclic trees.
    with rare_full_collections():
        outcome = check_bytes(
            artifacts,
            extra_rules=_rule_files(rule_files),
            config=load_rule_config(config_file),
            layer_rules_file=layer_rules_file,
            **_two_processes(),
        )
    if sql_cache is not None:
        save_facts(sql_cache)
    return outcome


def gate_read(outcome: CheckOutcome, fail_on: str) -> dict[str, Any]:
    """The JSON body of a check: the evaluation, and with a baseline what the change did.

    With a baseline the head's violations are only counted (``violations.total``): the gate lists
    the introduced and fixed ones, which is what a review needs, and stays small on big projects.
    """
    listed = 0 if outcome.diff is not None else len(outcome.result.violations)
    body: dict[str, Any] = result_read(outcome.result, listed)
    body["fail_on"] = fail_on
    body["failing"] = outcome.failing(fail_on)
    diff = outcome.diff
    if diff is None:
        return body
    body["gate"] = {
        "introduced": [violation_read(v) for v in diff.introduced],
        "fixed": [violation_read(v) for v in diff.fixed],
        "unchanged": diff.unchanged,
        "changed": {
            "added": list(diff.added),
            "modified": list(diff.modified),
            "removed": list(diff.removed),
        },
        "impact": {
            "models": list(diff.impact.models),
            "exposures": list(diff.impact.exposures),
            "products": {name: list(urns) for name, urns in sorted(outcome.products.items())},
        },
    }
    return body


def render_check(outcome: CheckOutcome, output: str, fail_on: str = "error") -> str:
    """The outcome as json, sarif, junit or markdown text (the table is rendered by the CLI)."""
    reported = replace(outcome.result, violations=outcome.reported)
    if output == "sarif":
        paths = {urn: c.path for urn, c in outcome.graph.capsules.items()}
        state = "new" if outcome.diff is not None else None
        log = sarif_log(reported, outcome.rules, paths, version=__version__, baseline_state=state)
        return orjson.dumps(log, option=orjson.OPT_INDENT_2).decode()
    if output == "junit":
        return junit_xml(reported, outcome.rules)
    if output == "markdown":
        return pr_comment(
            outcome.result,
            outcome.rules,
            outcome.diff,
            outcome.products,
            fail_on=fail_on,
            failing=outcome.failing(fail_on),
        )
    return orjson.dumps(gate_read(outcome, fail_on), option=orjson.OPT_INDENT_2).decode()
