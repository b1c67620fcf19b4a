"""Checks on a model's compiled SQL (parsed once per SQL text, see ``dab.rules.sqlfacts``)."""

from __future__ import annotations

import re
from functools import lru_cache

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


def select_star(ctx: EvalContext, _rule: Rule, subject: Subject) -> Outcome:
    """``select *`` passing a source or model through; ``select *`` from the model's own CTE is fine."""
    facts = ctx.sql(subject.capsule)
    if facts is None or not facts.parsed:
        return None
    return [
        Failure(table, f"{label(subject.capsule)} selects * from {table}; name the columns it needs")
        for table in facts.star_reads
    ]


@lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


def code_pattern(_ctx: EvalContext, rule: Rule, subject: Subject) -> Outcome:
    """The compiled SQL must not match a regular expression (case-insensitive)."""
    sql = subject.capsule.compiled_sql
    if not sql:
        return None
    pattern = str(param(rule, "pattern", ""))
    if not _compiled(pattern).search(sql):
        return []
    return fail("", f"{label(subject.capsule)} SQL matches /{pattern}/")


SPECS: dict[str, CheckSpec] = {
    "too_many_joins": CheckSpec(too_many_joins, params={"max": Param("int", 7)}),
    "hard_coded_reference": CheckSpec(hard_coded_reference),
    "select_star": CheckSpec(select_star),
    "code_pattern": CheckSpec(code_pattern, params={"pattern": Param("regex", required=True)}),
}
