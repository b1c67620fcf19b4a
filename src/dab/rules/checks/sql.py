"""Checks on a model's compiled SQL (parsed once per SQL text, see ``dab.rules.sqlfacts``)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from dab.rules.checks.base import CheckSpec, Judged, Param, fail, label, param
from dab.rules.context import EvalContext, Subject
from dab.rules.model import Failure, Rule
from dab.rules.sqlfacts import SqlFacts


def _with_facts(
    ctx: EvalContext, subjects: Sequence[Subject], parsed: bool = False
) -> list[tuple[Subject, SqlFacts]]:
    """The subjects with compiled SQL (``parsed``: that sqlglot could parse), with its facts."""
    out = []
    for subject in subjects:
        facts = ctx.sql(subject.capsule)
        if facts is not None and (facts.parsed or not parsed):
            out.append((subject, facts))
    return out


def too_many_joins(ctx: EvalContext, rule: Rule, subjects: Sequence[Subject]) -> Judged:
    limit = int(param(rule, "max", 7))
    judged = _with_facts(ctx, subjects)
    return len(judged), [
        (s, fail("", f"{label(s.capsule)} has {facts.join_count} joins (max {limit})"))
        for s, facts in judged
        if facts.join_count > limit
    ]


def hard_coded_reference(ctx: EvalContext, _rule: Rule, subjects: Sequence[Subject]) -> Judged:
    judged = _with_facts(ctx, subjects)
    failing = []
    for subject, facts in judged:
        if not facts.qualified_tables:
            continue
        known = ctx.known_relations  # every relation name: built on the first model that needs it
        unknown = [table for table in facts.qualified_tables if table not in known]
        if unknown:
            what = label(subject.capsule)
            failures = [
                Failure(
                    table, f"{what} reads {table}, which is no known source or model; use ref() or source()"
                )
                for table in unknown
            ]
            failing.append((subject, failures))
    return len(judged), failing


def select_star(ctx: EvalContext, _rule: Rule, subjects: Sequence[Subject]) -> Judged:
    """``select *`` passing a source or model through; ``select *`` from the model's own CTE is fine."""
    judged = _with_facts(ctx, subjects, parsed=True)
    failing = []
    for subject, facts in judged:
        if facts.star_reads:
            what = label(subject.capsule)
            failures = [
                Failure(table, f"{what} selects * from {table}; name the columns it needs")
                for table in facts.star_reads
            ]
            failing.append((subject, failures))
    return len(judged), failing


@lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


def code_pattern(_ctx: EvalContext, rule: Rule, subjects: Sequence[Subject]) -> Judged:
    """The compiled SQL must not match a regular expression (case-insensitive)."""
    pattern = str(param(rule, "pattern", ""))
    search = _compiled(pattern).search
    judged = [s for s in subjects if s.capsule.compiled_sql]
    return len(judged), [
        (s, fail("", f"{label(s.capsule)} SQL matches /{pattern}/"))
        for s in judged
        if search(s.capsule.compiled_sql)  # type: ignore[arg-type]  # filtered above
    ]


SPECS: dict[str, CheckSpec] = {
    "too_many_joins": CheckSpec(too_many_joins, params={"max": Param("int", 7)}),
    "hard_coded_reference": CheckSpec(hard_coded_reference),
    "select_star": CheckSpec(select_star),
    "code_pattern": CheckSpec(code_pattern, params={"pattern": Param("regex", required=True)}),
}
