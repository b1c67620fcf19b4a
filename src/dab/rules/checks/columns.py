"""Checks on columns (documentation, PII) and on source groups' documentation."""

from __future__ import annotations

from collections.abc import Sequence

from dab.domain.capsule import Capsule, CapsuleType
from dab.rules.checks.base import CheckSpec, ColumnGroups, Failing, Judged, label
from dab.rules.context import EvalContext, source_group
from dab.rules.model import Rule


def column_documented(_ctx: EvalContext, _rule: Rule, groups: ColumnGroups) -> Judged:
    failing: list[Failing] = [
        (capsule, column, [("", f"column '{column.name}' of {label(capsule)} has no description")])
        for capsule, columns in groups
        for column in columns
        if not (column.description and column.description.strip())
    ]
    return sum(len(columns) for _, columns in groups), failing


def pii_masked(ctx: EvalContext, _rule: Rule, groups: ColumnGroups) -> Judged:
    """Applies to columns with a PII type."""
    layers = ctx.layers
    applicable = 0
    failing: list[Failing] = []
    for capsule, columns in groups:
        for column in columns:
            if not column.pii_type:
                continue
            applicable += 1
            if not column.is_masked:
                message = (
                    f"column '{column.name}' of {layers[capsule.urn]} {label(capsule)} "
                    f"holds unmasked PII ({column.pii_type})"
                )
                failing.append((capsule, column, [(column.pii_type, message)]))
    return applicable, failing


def pii_typed(_ctx: EvalContext, _rule: Rule, groups: ColumnGroups) -> Judged:
    """Applies to columns marked PII (``pii_type`` not ``None``); fails when the type is blank."""
    applicable = 0
    failing: list[Failing] = []
    for capsule, columns in groups:
        for column in columns:
            if column.pii_type is None:
                continue
            applicable += 1
            if column.pii_type.strip().lower() in ("", "unknown"):
                message = f"column '{column.name}' of {label(capsule)} is marked PII without a type"
                failing.append((capsule, column, [("", message)]))
    return applicable, failing


def source_table_documented(ctx: EvalContext, _rule: Rule, capsules: Sequence[Capsule]) -> Judged:
    """Judged once per source group (``source_name``), on the group's first table by URN."""
    leaders = ctx.source_group_leaders
    judged = [c for c in capsules if c.capsule_type is CapsuleType.SOURCE and c.urn in leaders]
    failing: list[Failing] = []
    for capsule in judged:
        group_key = source_group(capsule)
        group = ctx.sources_by_group.get(group_key, [capsule])
        missing = sorted(c.name for c in group if not (c.description and c.description.strip()))
        if missing:
            message = f"source '{group_key[1]}' has undocumented tables: {', '.join(missing)}"
            failing.append((capsule, None, [("", message)]))
    return len(judged), failing


SPECS: dict[str, CheckSpec] = {
    "column_documented": CheckSpec(None, ("column",), column_batch=column_documented),
    "pii_masked": CheckSpec(
        None,
        ("column",),
        pii_marked_only=True,
        column_batch=pii_masked,
    ),
    "pii_typed": CheckSpec(
        None,
        ("column",),
        pii_marked_only=True,
        column_batch=pii_typed,
    ),
    "source_table_documented": CheckSpec(source_table_documented),
}
