"""Checks on a model's compiled SQL (parsed once per SQL text, see ``dab.rules.sqlfacts``)."""

from __future__ import annotations

from dab.rules.checks.base import CheckSpec, Outcome, Param, fail, label, param
from dab.rules.context import EvalContext, Subject
from dab.rules.model import Failure, Rule


def too_many_joins(ctx: EvalContext, rule: Rule, subject: Subject) -> Outcome:
    facts = ctx.sql(subject.capsule)
    if facts is None:
        return None
    limit = int(param(rule, "max", 7))
    if facts.join_count <= limit:
        return []
    return fail("", f"{label(subject.capsule)} has {facts.join_count} joins (max {limit})")


def hard_coded_reference(ctx: EvalContext, _rule: Rule, subject: Subject) -> Outcome:
    facts = ctx.sql(subject.capsule)
    if facts is None:
        return None
    known = ctx.known_relations
    return [
        Failure(
            table,
            f"{label(subject.capsule)} reads {table}, which is no known source or model; "
            "use ref() or source()",
        )
        for table in facts.qualified_tables
        if table not in known
    ]


SPECS: dict[str, CheckSpec] = {
    "too_many_joins": CheckSpec(too_many_joins, params={"max": Param("int", 7)}),
    "hard_coded_reference": CheckSpec(hard_coded_reference),
}
