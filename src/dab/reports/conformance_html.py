"""The conformance report as one standalone HTML page (inline CSS, no scripts, no links out).

Every value from the data goes through ``html.escape``; the page is built from string
templates, so nothing a dbt project writes (names, descriptions, messages) can become markup.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from html import escape
from typing import Any

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:1200px;
color:#1f2933;padding:0 1rem}h1{margin-bottom:.2rem}.muted{color:#616e7c}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem}th,td{border-bottom:1px solid #e4e7eb;
padding:.35rem .5rem;text-align:left;vertical-align:top;font-size:.9rem}th{background:#f5f7fa}
td.num{text-align:right;font-variant-numeric:tabular-nums}.score{font-size:2.4rem;font-weight:600}
.cards{display:flex;gap:2rem;margin:1rem 0}.sev{padding:.1rem .4rem;border-radius:.3rem;color:#fff}
.sev-critical{background:#ab091e}.sev-error{background:#d64545}.sev-warning{background:#cb6e17}
.sev-info{background:#2680c2}code{font-size:.8rem;word-break:break-all}
"""
SEVERITY_ORDER = ("critical", "error", "warning", "info")


def e(value: Any) -> str:
    """Escaped text of any value; None is empty."""
    return "" if value is None else escape(str(value), quote=True)


def _pct(value: Any) -> str:
    return f"{float(value) * 100:.1f}%" if isinstance(value, int | float) else "n/a"


def _table(headers: Sequence[str], rows: Iterable[Sequence[str]], numeric: Sequence[int] = ()) -> str:
    head = "".join(f"<th>{e(h)}</th>" for h in headers)
    body = "".join(
        "<tr>"
        + "".join(f'<td class="num">{c}</td>' if i in numeric else f"<td>{c}</td>" for i, c in enumerate(row))
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _tallies(title: str, tallies: Mapping[str, Mapping[str, Any]]) -> str:
    rows = [
        (e(name), e(t.get("applicable")), e(t.get("passed")), e(t.get("failed")), e(_pct(t.get("score"))))
        for name, t in tallies.items()
    ]
    return f"<h3>{e(title)}</h3>" + _table(
        (title.split(" by ")[-1], "checks", "passed", "failed", "score"), rows, (1, 2, 3, 4)
    )


def _severity(value: Any) -> str:
    return f'<span class="sev sev-{e(value)}">{e(value)}</span>'


def _top(capsules: Sequence[Mapping[str, Any]]) -> str:
    if not capsules:
        return "<p>No capsule has a violation.</p>"
    rows = [
        (
            f"{e(c.get('name'))}<br><code>{e(c.get('capsule_urn'))}</code>",
            e(c.get("description")),
            e(c.get("layer")),
            e(c.get("violations")),
            e(", ".join(f"{k}: {v}" for k, v in (c.get("by_severity") or {}).items())),
        )
        for c in capsules
    ]
    return _table(("capsule", "description", "layer", "violations", "by severity"), rows, (3,))


def _violations(violations: Sequence[Mapping[str, Any]]) -> str:
    if not violations:
        return "<p>No violations.</p>"
    rows = [
        (
            _severity(v.get("severity")),
            f"{e(v.get('rule_id'))}<br><span class=muted>{e(v.get('rule_set'))}</span>",
            f"{e(v.get('capsule_name') or v.get('capsule_urn'))}<br><code>{e(v.get('subject_urn'))}</code>",
            e(v.get("layer")),
            e(v.get("message")),
            e(v.get("remediation")),
            e(v.get("status", "open")),
        )
        for v in violations
    ]
    return _table(("severity", "rule", "subject", "layer", "message", "remediation", "status"), rows)


def _scope(scope: object) -> str:
    """``{"kind": "layer", "layer": "gold"}`` -> ``layer: gold`` for a person to read."""
    if not isinstance(scope, Mapping):
        return str(scope or "full")
    details = ", ".join(f"{k} {v}" for k, v in scope.items() if k != "kind" and v)
    return f"{scope.get('kind', 'full')}" + (f" ({details})" if details else "")


def conformance_html(report: Mapping[str, Any]) -> str:
    """Render the report data of ``services/reports_conformance.py`` as a whole HTML page."""
    title = report.get("title") or "dab conformance report"
    source = "latest stored run" if report.get("run_id") else "evaluated now (no stored run)"
    violations = report.get("violations") or []
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(title)}</title><style>{_CSS}</style></head>
<body>
<h1>{e(title)}</h1>
<p class="muted">Evaluated at {e(report.get("evaluated_at"))} ({e(source)});
scope {e(_scope(report.get("scope")))};
report generated at {e(report.get("generated_at"))}.</p>
<div class="cards">
<div><div class="score">{e(_pct(report.get("score")))}</div>score (passed / applicable checks)</div>
<div><div class="score">{e(_pct(report.get("weighted_score")))}</div>weighted by severity</div>
<div><div class="score">{e(report.get("failed"))}</div>failed of {e(report.get("applicable"))} checks</div>
<div><div class="score">{e(len(violations))}</div>unresolved violations</div>
</div>
<h2>Breakdown</h2>
{_tallies("Checks by rule set", report.get("by_rule_set") or {})}
{_tallies("Checks by severity", report.get("by_severity") or {})}
{_tallies("Checks by layer", report.get("by_layer") or {})}
<h2>Top offending capsules</h2>
{_top(report.get("top_capsules") or [])}
<h2>Violations</h2>
{_violations(violations)}
</body></html>
"""
