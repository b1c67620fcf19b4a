"""`dab conformance check`: evaluate dbt artifacts on disk, with no database and no server.

Built for CI: parse the manifest (and catalog), evaluate the built-in rules plus any rule
files, and say whether violations at or above a severity exist.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from dab import __version__
from dab.domain.graph import Graph
from dab.errors import InvalidInput, InvalidRule
from dab.ingest.dbt import load_artifact, parse_dbt
from dab.reports import junit_xml, sarif_log
from dab.rules import EvaluationResult, Rule, Severity, evaluate, load_rules_from_yaml
from dab.services.conformance_evaluate import result_read
from dab.services.conformance_rules import combine, load_rule_config
from dab.services.layer_config import load_layer_rules

SEVERITY_RANK = {"critical": 0, "error": 1, "warning": 2, "info": 3}


@dataclass(frozen=True, slots=True)
class CheckOutcome:
    graph: Graph
    rules: tuple[Rule, ...]
    result: EvaluationResult

    def failing(self, fail_on: str) -> int:
        """Violations at or above ``fail_on`` (critical > error > warning > info)."""
        limit = SEVERITY_RANK[Severity(fail_on).value]
        return sum(1 for v in self.result.violations if SEVERITY_RANK[v.severity.value] <= limit)


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


def check_artifacts(
    manifest: Path,
    *,
    catalog: Path | None = None,
    rule_files: Sequence[Path] = (),
    config_file: Path | None = None,
    layer_rules_file: Path | None = None,
) -> CheckOutcome:
    manifest_doc = load_artifact(_read(manifest, "--manifest"), "manifest.json")
    catalog_doc = load_artifact(_read(catalog, "--catalog"), "catalog.json") if catalog else None
    graph = parse_dbt(manifest_doc, catalog_doc, layer_rules=load_layer_rules(layer_rules_file))
    rules = combine(_rule_files(rule_files), load_rule_config(config_file))
    return CheckOutcome(graph, rules, evaluate(graph, rules))


def render_check(outcome: CheckOutcome, output: str) -> str:
    """The outcome as json, sarif or junit text (the table is rendered by the CLI)."""
    if output == "sarif":
        paths = {urn: c.path for urn, c in outcome.graph.capsules.items()}
        log = sarif_log(outcome.result, outcome.rules, paths, version=__version__)
        return orjson.dumps(log, option=orjson.OPT_INDENT_2).decode()
    if output == "junit":
        return junit_xml(outcome.result, outcome.rules)
    body: dict[str, Any] = result_read(outcome.result, len(outcome.result.violations))
    return orjson.dumps(body, option=orjson.OPT_INDENT_2).decode()
