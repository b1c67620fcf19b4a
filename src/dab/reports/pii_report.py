"""The PII inventory as a standalone HTML page or CSV (values escaped; CSV formulas neutralised)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from dab.reports.conformance_html import _CSS, _table, e
from dab.reports.tabular import violations_csv

PII_CSV_COLUMNS: tuple[str, ...] = (
    "urn", "capsule_urn", "layer", "domain", "name", "data_type", "pii_type", "risk", "masked",
    "method", "confidence", "evidence", "masking_function",
)  # fmt: skip


def pii_csv(items: Sequence[Mapping[str, Any]]) -> str:
    return violations_csv(items, PII_CSV_COLUMNS)


def pii_html(report: Mapping[str, Any]) -> str:
    items: Sequence[Mapping[str, Any]] = report["items"]
    by_type = _table(
        ("PII type", "Risk", "Columns", "Masked"),
        ((e(g["pii_type"]), e(g["risk"]), str(g["count"]), str(g["masked"])) for g in report["by_type"]),
        numeric=(2, 3),
    )
    rows = _table(
        ("Column", "Capsule", "Layer", "Domain", "Type", "Risk", "Masked", "Method", "Evidence"),
        (
            (
                f"<code>{e(i['urn'])}</code>",
                e(i["capsule_name"]),
                e(i["layer"]),
                e(i["domain"]),
                e(i["pii_type"]),
                e(i["risk"]),
                "yes" if i["masked"] else "no",
                e(i["method"]),
                e(i["evidence"]),
            )
            for i in items
        ),
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>PII inventory</title><style>{_CSS}</style></head>
<body><main><h1>PII inventory</h1>
<p class="muted">{len(items)} PII columns, {sum(1 for i in items if i["masked"])} masked,
{report["exposed"]} exposed unmasked (gold layer or read by an exposure).</p>
<h2>By type</h2>{by_type}<h2>Columns</h2>{rows}</main></body></html>
"""
