"""Checks on a model's compiled SQL (parsed once per SQL text, see ``dab.rules.sqlfacts``)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from dab.domain.capsule import Capsule
from dab.rules.checks.base import CheckSpec, Failing, Judged, Param, label, param
from dab.rules.context import EvalContext
from dab.rules.model import Rule
from dab.rules.sqlfacts import SqlFacts


def _with_facts(
    ctx: EvalContext, capsules: Sequence[Capsule], parsed: bool = False
) -> list[tuple[Capsule, SqlFacts]]:
    """The capsules with compiled SQL (``parsed``: that sqlglot could parse), with its facts."""
    sql = ctx.sql
    out = []
    for capsule in capsules:
        facts = sql(capsule)
        if facts is not None and (facts.parsed or not parsed):
            out.append((capsule, facts))
    return out


def too_many_joins(ctx: EvalContext, rule: Rule, capsules: Sequence[Capsule]) -> Judged:
    limit = int(param(rule, "max", 7))
    judged = _with_facts(ctx, capsules)
    return len(judged), [
        (c, None, [("", f"{label(c)} has {facts.join_count} joins (max {limit})")])
        for c, facts in judged
        if facts.join_count > limit
    ]


def hard_coded_reference(ctx: EvalContext, _rule: Rule, capsules: Sequence[Capsule]) -> Judged:
    judged = _with_facts(ctx, capsules)
    failing: list[Failing] = []
    for capsule, facts in judged:
        if not facts.qualified_tables:
            continue
        known = ctx.known_relations  # every relation name: built on the first model that needs it
        if known.issuperset(facts.qualified_tables):  # the usual case, without a Python loop
            continue
        what = label(capsule)
        failures = [
            (table, f"{what} reads {table}, which is no known source or model; use ref() or source()")
            for table in facts.qualified_tables
            if table not in known
        ]
        failing.append((capsule, None, failures))
    return len(judged), failing


def select_star(ctx: EvalContext, _rule: Rule, capsules: Sequence[Capsule]) -> Judged:
    """``select *`` passing a source or model through; ``select *`` from the model's own CTE is fine."""
    judged = _with_facts(ctx, capsules, parsed=True)
    failing: list[Failing] = []
    for capsule, facts in judged:
        if facts.star_reads:
            what = label(capsule)
            failures = [
                (table, f"{what} selects * from {table}; name the columns it needs")
                for table in facts.star_reads
            ]
            failing.append((capsule, None, failures))
    return len(judged), failing


@lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


def code_pattern(_ctx: EvalContext, rule: Rule, capsules: Sequence[Capsule]) -> Judged:
    """The compiled SQL must not match a regular expression (case-insensitive)."""
    pattern = str(param(rule, "pattern", ""))
    search = _compiled(pattern).search
    judged = [c for c in capsules if c.compiled_sql]
    return len(judged), [
        (c, None, [("", f"{label(c)} SQL matches /{pattern}/")])
        for c in judged
        if search(c.compiled_sql)  # type: ignore[arg-type]  # filtered above
    ]


SPECS: dict[str, CheckSpec] = {
    "too_many_joins": CheckSpec(too_many_joins, params={"max": Param("int", 7)}),
    "hard_coded_reference": CheckSpec(hard_coded_reference),
    "select_star": CheckSpec(select_star),
    "code_pattern": CheckSpec(code_pattern, params={"pattern": Param("regex", required=True)}),
}
