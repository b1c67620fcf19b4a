"""Violations as CSV: one row per violation, spreadsheet formulas neutralised."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from typing import Any

VIOLATION_CSV_COLUMNS: tuple[str, ...] = (
    "violation_id", "fingerprint", "status", "severity", "rule_id", "rule_set", "category", "layer",
    "capsule_urn", "capsule_name", "subject_urn", "message", "remediation", "first_seen_at",
    "last_seen_at", "resolved_at", "status_changed_by", "status_reason",
)  # fmt: skip
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> str:
    """A value as a CSV cell that no spreadsheet program runs as a formula."""
    if value is None:
        return ""
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    # A cell starting with = + - @ is a formula in spreadsheet programs (CSV injection).
    return f"'{text}" if text.startswith(_FORMULA_START) else text


def violations_csv(
    rows: Iterable[Mapping[str, Any]], columns: tuple[str, ...] = VIOLATION_CSV_COLUMNS
) -> str:
    """
    Example:
        >>> violations_csv([{"rule_id": "r", "message": "=1+1"}], ("rule_id", "message")).splitlines()
        ['rule_id,message', "r,'=1+1"]
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([csv_cell(row.get(c)) for c in columns])
    return buffer.getvalue()
