"""`dab conformance evaluate|score|violations|check`: rules over the graph, or over dbt files in CI."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from dab.cli._exit import exit_batch
from dab.cli._render import console, print_json, print_rows
from dab.cli._runtime import announce_write, fail, guarded, load_settings, run, unit_of_work
from dab.domain.gc_pause import freezing_after_pauses
from dab.errors import InvalidInput, InvalidRule
from dab.services.conformance_check import CHECK_FORMATS, CheckOutcome, check_artifacts, render_check
from dab.services.conformance_read import result_read, violation_read

if TYPE_CHECKING:
    from dab.storage.repositories.violations import ViolationFilter

# Commands reading the database import its services where they run: `check` (CI, no database)
# must not pay for SQLAlchemy and the storage layer at start-up.

app = typer.Typer(
    help="Conformance: evaluate rules, read the score and the violations.", no_args_is_help=True
)

ApiUrl = Annotated[str | None, typer.Option("--api-url", envvar="DAB_API_URL", help="Ask this dab server")]
ApiKey = Annotated[str | None, typer.Option("--api-key", envvar="DAB_API_KEY", help="API key for --api-url")]
SCOPES = ("full", "layer", "domain", "capsule", "rule_sets")
COMPANION = {"layer": "--layer", "domain": "--domain", "capsule": "--capsule", "rule_sets": "--rule-set"}
VIOLATION_COLUMNS = ["violation_id", "severity", "rule_id", "layer", "subject_urn", "status", "message"]
SEVERITIES = ("critical", "error", "warning", "info")


def _remote(api_url: str, api_key: str | None, method: str, path: str, **kwargs: Any) -> Any:
    from dab.cli._remote import RemoteClient  # httpx: not for `check`, which never asks a server

    client = RemoteClient(api_url, api_key)
    try:
        return client.request(method, path, **kwargs)
    finally:
        client.close()


def _tally_table(title: str, tallies: dict[str, dict[str, Any]]) -> Table:
    table = Table(title=title)
    for column in ("name", "checks", "passed", "failed", "score"):
        table.add_column(column, justify="left" if column == "name" else "right")
    for name, t in tallies.items():
        table.add_row(name, str(t["applicable"]), str(t["passed"]), str(t["failed"]), f"{t['score']:.1%}")
    return table


def _summary(body: dict[str, Any]) -> None:
    console.print(
        f"score [bold]{body['score']:.1%}[/]  weighted [bold]{body['weighted_score']:.1%}[/]  "
        f"failed {body['failed']} of {body['applicable']} checks",
        highlight=False,
    )
    for key in ("by_rule_set", "by_severity", "by_layer"):
        if body.get(key):
            console.print(_tally_table(key.replace("_", " "), body[key]))


def _request(
    scope: str, layer: str | None, domain: str | None, capsule: str | None, rule_sets: list[str]
) -> dict[str, Any]:
    if scope not in SCOPES:
        raise InvalidInput(f"--scope must be one of {', '.join(SCOPES)}", location="scope")
    body: dict[str, Any] = {"scope": scope, "layer": layer, "domain": domain, "capsule_urn": capsule}
    body["rule_sets"] = rule_sets or None
    needed = {"layer": layer, "domain": domain, "capsule": capsule, "rule_sets": rule_sets or None}
    if scope in needed and needed[scope] is None:
        raise InvalidInput(f"--scope {scope} requires {COMPANION[scope]}", location=scope)
    return {k: v for k, v in body.items() if v is not None}


async def _evaluate_locally(body: dict[str, Any], persist: bool | None) -> dict[str, Any]:
    from dab.services.conformance_evaluate import EvaluationRequest, evaluate_conformance

    settings = load_settings()
    request = EvaluationRequest(
        scope=body["scope"],
        layer=body.get("layer"),
        domain=body.get("domain"),
        capsule_urn=body.get("capsule_urn"),
        rule_sets=tuple(body.get("rule_sets") or ()),
        persist_violations=persist,
    )
    async with unit_of_work(settings) as session:
        result = await evaluate_conformance(
            session,
            request,
            rules_dir=settings.dab_rules_dir,
            config_file=settings.dab_rules_config_file,
        )
    await announce_write(settings)  # committed: running servers must not serve the old score
    return result


@app.command("evaluate")
def evaluate(
    scope: Annotated[str, typer.Option(help="full, layer, domain, capsule or rule_sets")] = "full",
    layer: Annotated[str | None, typer.Option(help="bronze, silver, gold or unknown")] = None,
    domain: Annotated[str | None, typer.Option()] = None,
    capsule: Annotated[str | None, typer.Option(help="Capsule URN")] = None,
    rule_set: Annotated[list[str] | None, typer.Option("--rule-set", help="Repeat for several")] = None,
    persist: Annotated[bool | None, typer.Option("--persist/--no-persist", help="Store the run")] = None,
    output: Annotated[str, typer.Option("--format", help="table or json")] = "table",
    api_url: ApiUrl = None,
    api_key: ApiKey = None,
) -> None:
    """Evaluate the rules in force over the stored graph (full runs are stored by default)."""
    body = guarded(lambda: _request(scope, layer, domain, capsule, rule_set or []))
    if api_url:
        payload = {**body, **({} if persist is None else {"persist_violations": persist})}
        result = guarded(lambda: _remote(api_url, api_key, "POST", "/conformance/evaluate", json=payload))
    else:
        result = run(lambda: _evaluate_locally(body, persist))
    if output == "json":
        print_json(result)
        return
    _summary(result)
    print_rows(result["violations"]["data"], VIOLATION_COLUMNS[1:], output="table", title="violations")


async def _score_locally() -> dict[str, Any]:
    from dab.services.conformance_violations import latest_score

    async with unit_of_work(load_settings()) as session:
        return await latest_score(session)


@app.command("score")
def score(
    output: Annotated[str, typer.Option("--format", help="table or json")] = "table",
    api_url: ApiUrl = None,
    api_key: ApiKey = None,
) -> None:
    """The latest stored evaluation's score and breakdown."""
    if api_url:
        result = guarded(lambda: _remote(api_url, api_key, "GET", "/conformance/score"))
    else:
        result = run(_score_locally)
    if output == "json":
        print_json(result)
    else:
        console.print(f"evaluated at {result['evaluated_at']}", highlight=False)
        _summary(result)


async def _violations_locally(filters: ViolationFilter, limit: int, offset: int) -> dict[str, Any]:
    from dab.services.conformance_violations import list_violations

    async with unit_of_work(load_settings()) as session:
        return await list_violations(session, filters, limit=limit, offset=offset)


@app.command("violations")
def violations(
    severity: Annotated[str | None, typer.Option()] = None,
    rule: Annotated[str | None, typer.Option(help="Rule id")] = None,
    category: Annotated[str | None, typer.Option()] = None,
    layer: Annotated[str | None, typer.Option()] = None,
    status: Annotated[str | None, typer.Option(help="open, acknowledged, waived or resolved")] = None,
    capsule: Annotated[str | None, typer.Option(help="Capsule URN")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 100,
    offset: Annotated[int, typer.Option(min=0)] = 0,
    output: Annotated[str, typer.Option("--format", help="table, json or csv")] = "table",
    api_url: ApiUrl = None,
    api_key: ApiKey = None,
) -> None:
    """Stored violations, most severe first."""
    from dab.storage.repositories.violations import ViolationFilter

    filters = ViolationFilter(
        severity=severity, rule_id=rule, category=category, layer=layer, status=status, capsule_urn=capsule
    )
    if api_url:
        params = {k: v for k, v in vars_of(filters).items() if v is not None}
        params.update(limit=limit, offset=offset)
        page = guarded(lambda: _remote(api_url, api_key, "GET", "/conformance/violations", params=params))
    else:
        page = run(lambda: _violations_locally(filters, limit, offset))
    if output == "json":
        print_json(page)
        return
    print_rows(page["data"], VIOLATION_COLUMNS, output=output, title=f"violations ({page['total']} in all)")


def vars_of(filters: ViolationFilter) -> dict[str, Any]:
    """The filters under the API's query parameter names."""
    return {
        "severity": filters.severity,
        "rule": filters.rule_id,
        "category": filters.category,
        "layer": filters.layer,
        "status": filters.status,
        "capsule": filters.capsule_urn,
    }


@dataclass(frozen=True)
class _CheckFiles:
    manifest: Path
    catalog: Path | None
    rules: list[Path]
    config: Path | None
    baseline: Path | None
    dbt_project: Path | None
    sql_cache: Path | None = None


def _check(files: _CheckFiles) -> CheckOutcome:
    try:
        return check_artifacts(
            files.manifest,
            catalog=files.catalog,
            rule_files=files.rules,
            config_file=files.config,
            baseline=files.baseline,
            dbt_project=files.dbt_project,
            sql_cache=files.sql_cache,
        )
    except InvalidRule as exc:
        fail(exc.detail, 2)


def _print_gate(outcome: CheckOutcome) -> None:
    diff = outcome.diff
    if diff is None:
        return
    rows = [violation_read(v) for v in diff.introduced]
    print_rows(rows, [*VIOLATION_COLUMNS[1:5], "message"], output="table", title="introduced")
    console.print(
        f"introduced {len(diff.introduced)}, fixed {len(diff.fixed)}, unchanged {diff.unchanged}; "
        f"changed {len(diff.changed)} (+{len(diff.added)} ~{len(diff.modified)} -{len(diff.removed)}); "
        f"downstream {len(diff.impact.models)} model(s), {len(diff.impact.exposures)} exposure(s)",
        highlight=False,
    )


@app.command("check")
def check(
    manifest: Annotated[Path, typer.Option(dir_okay=False, help="manifest.json (or .json.gz)")],
    catalog: Annotated[Path | None, typer.Option(dir_okay=False)] = None,
    rules: Annotated[list[Path] | None, typer.Option("--rules", dir_okay=False, help="Rule file(s)")] = None,
    config: Annotated[Path | None, typer.Option("--config", dir_okay=False, help="Rules config")] = None,
    fail_on: Annotated[str, typer.Option("--fail-on", help="critical, error, warning or info")] = "error",
    output: Annotated[str, typer.Option("--format", help="table, json, sarif, junit or markdown")] = "table",
    baseline: Annotated[
        Path | None,
        typer.Option(
            dir_okay=False, help="The base branch's manifest: report only what the change introduced"
        ),
    ] = None,
    dbt_project: Annotated[
        Path | None,
        typer.Option(
            "--dbt-project", dir_okay=False, help="dbt_project.yml: read dbt-project-evaluator vars"
        ),
    ] = None,
    sql_cache: Annotated[
        Path | None,
        typer.Option(
            "--sql-cache", file_okay=False, help="Folder keeping parsed-SQL facts between runs (a CI cache)"
        ),
    ] = None,
) -> None:
    """Evaluate dbt artifacts with no database or server; exit 1 on violations at/above --fail-on.

    With --baseline only violations the change introduced count (a pull-request gate).
    """
    if fail_on not in SEVERITIES:
        fail(f"--fail-on must be one of {', '.join(SEVERITIES)}", 2)
    if output not in CHECK_FORMATS:
        fail(f"--format must be one of {', '.join(CHECK_FORMATS)}", 2)
    files = _CheckFiles(manifest, catalog, rules or [], config, baseline, dbt_project, sql_cache)
    with freezing_after_pauses():
        outcome = guarded(lambda: _check(files))
    failing = outcome.failing(fail_on)
    if output == "table":
        body = result_read(outcome.result, len(outcome.result.violations))
        _summary(body)
        if outcome.diff is None:
            print_rows(body["violations"]["data"], [*VIOLATION_COLUMNS[1:5], "message"], output="table")
        _print_gate(outcome)
        console.print(f"{failing} violation(s) at or above {fail_on}", highlight=False)
    else:
        sys.stdout.write(render_check(outcome, output, fail_on) + "\n")
    exit_batch(1 if failing else 0)
