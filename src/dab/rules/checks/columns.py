"""Checks on columns (documentation, PII) and on source groups' documentation."""

from __future__ import annotations

from dab.rules.checks.base import CheckSpec, Outcome, fail, is_source, label
from dab.rules.context import EvalContext, Subject, source_group
from dab.rules.model import Rule


def column_documented(_ctx: EvalContext, _rule: Rule, subject: Subject) -> Outcome:
    column = subject.column
    if column is None:
        return None
    if column.description and column.description.strip():
        return []
    return fail("", f"column '{column.name}' of {label(subject.capsule)} has no description")


def pii_masked(_ctx: EvalContext, _rule: Rule, subject: Subject) -> Outcome:
    column = subject.column
    if column is None or not column.pii_type:
        return None
    if column.is_masked:
        return []
    return fail(
        column.pii_type,
        f"column '{column.name}' of {subject.capsule.layer_value} {label(subject.capsule)} "
        f"holds unmasked PII ({column.pii_type})",
    )


def pii_typed(_ctx: EvalContext, _rule: Rule, subject: Subject) -> Outcome:
    column = subject.column
    if column is None or column.pii_type is None:
        return None
    if column.pii_type.strip().lower() not in ("", "unknown"):
        return []
    return fail("", f"column '{column.name}' of {label(subject.capsule)} is marked PII without a type")


def source_table_documented(ctx: EvalContext, _rule: Rule, subject: Subject) -> Outcome:
    """Judged once per source group (``source_name``), on the group's first table by URN."""
    capsule = subject.capsule
    if not is_source(capsule):
        return None
    group_key = source_group(capsule)
    group_name = group_key[1]
    group = ctx.sources_by_group.get(group_key, [capsule])
    if capsule.urn not in ctx.source_group_leaders:
        return None
    missing = sorted(c.name for c in group if not (c.description and c.description.strip()))
    if not missing:
        return []
    return fail("", f"source '{group_name}' has undocumented tables: {', '.join(missing)}")


SPECS: dict[str, CheckSpec] = {
    "column_documented": CheckSpec(column_documented, ("column",)),
    "pii_masked": CheckSpec(
        pii_masked, ("column",), columns=lambda c: bool(c.pii_type), pii_marked_only=True
    ),
    "pii_typed": CheckSpec(
        pii_typed, ("column",), columns=lambda c: c.pii_type is not None, pii_marked_only=True
    ),
    "source_table_documented": CheckSpec(source_table_documented),
}
