"""A Markdown comment for a pull request: what the change introduced and fixed, and its reach.

GitHub-flavoured Markdown (tables, ``<details>``); every value from the project is escaped so a
model name or message cannot break the table or inject markup.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from dab.rules import EvaluationResult, Rule, Violation
from dab.rules.gate import GateDiff

MAX_ROWS = 50
_ESCAPES = str.maketrans({"|": "\\|", "<": "&lt;", ">": "&gt;", "`": "'", "\n": " ", "\r": " "})
_ICONS = {"critical": "🛑", "error": "❌", "warning": "⚠️", "info": "ℹ️"}  # noqa: RUF001


def _md(text: str) -> str:
    return text.translate(_ESCAPES)


def _name(urn: str) -> str:
    return urn.rsplit(":", 1)[-1]


def _table(violations: Sequence[Violation], rules: Mapping[str, Rule]) -> list[str]:
    lines = ["| severity | rule | subject | message |", "|---|---|---|---|"]
    for v in violations[:MAX_ROWS]:
        rule = rules.get(v.rule_id)
        link = f"[`{v.rule_id}`]({rule.doc_url})" if rule else f"`{v.rule_id}`"
        icon = _ICONS.get(v.severity.value, "")
        lines.append(
            f"| {icon} {v.severity.value} | {link} | `{_md(_name(v.subject_urn))}` | {_md(v.message)} |"
        )
    if len(violations) > MAX_ROWS:
        lines.append(f"\n… and {len(violations) - MAX_ROWS} more.")
    return lines


def _urn_list(title: str, urns: Sequence[str]) -> list[str]:
    if not urns:
        return []
    shown = ", ".join(f"`{_md(_name(u))}`" for u in urns[:MAX_ROWS])
    more = f" and {len(urns) - MAX_ROWS} more" if len(urns) > MAX_ROWS else ""
    return [f"- **{title}** ({len(urns)}): {shown}{more}"]


def _impact(diff: GateDiff, products: Mapping[str, Sequence[str]]) -> list[str]:
    lines = ["", "### Changed and downstream", ""]
    lines += _urn_list("added", diff.added)
    lines += _urn_list("modified", diff.modified)
    lines += _urn_list("removed", diff.removed)
    lines += _urn_list("downstream models", diff.impact.models)
    lines += _urn_list("downstream exposures", diff.impact.exposures)
    if products:
        names = ", ".join(f"`{_md(name)}`" for name in sorted(products))
        lines.append(f"- **data products** ({len(products)}): {names}")
    if len(lines) == 3:
        lines.append("No model, snapshot, seed, source or exposure changed.")
    return lines


def pr_comment(
    result: EvaluationResult,
    rules: Sequence[Rule],
    diff: GateDiff | None,
    products: Mapping[str, Sequence[str]],
    *,
    fail_on: str,
    failing: int,
) -> str:
    """The comment text; without a baseline it lists every violation of the evaluation."""
    by_id = {r.rule_id: r for r in rules}
    verdict = "❌ fails" if failing else "✅ passes"
    lines = [
        "## dab conformance",
        "",
        f"**{verdict}** the gate: {failing} violation(s) at or above `{fail_on}`"
        + (" introduced by this change." if diff is not None else "."),
        "",
        f"Score {result.score:.1%} (weighted {result.weighted_score:.1%}), "
        f"{result.failed} of {result.applicable} checks failing.",
    ]
    if diff is None:
        lines += ["", f"### Violations ({len(result.violations)})", ""]
        lines += _table(result.violations, by_id) if result.violations else ["None."]
        return "\n".join(lines) + "\n"
    lines += ["", f"### Introduced ({len(diff.introduced)})", ""]
    lines += _table(diff.introduced, by_id) if diff.introduced else ["None."]
    if diff.fixed:
        lines += ["", f"<details><summary>Fixed ({len(diff.fixed)})</summary>", ""]
        lines += [*_table(diff.fixed, by_id), "", "</details>"]
    lines.append(f"\n{diff.unchanged} violation(s) were already there and are not counted.")
    lines += _impact(diff, products)
    return "\n".join(lines) + "\n"
