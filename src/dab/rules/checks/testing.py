"""Checks on data tests and source freshness."""

from __future__ import annotations

from dab.domain.quality import DataTest, TestKind
from dab.rules.checks.base import CheckSpec, Outcome, Param, fail, is_source, label, param
from dab.rules.context import EvalContext, Subject
from dab.rules.model import Rule

_PK_TESTS: tuple[str, ...] = ("unique_combination_of_columns", "primary_key")


def _is_pk_test(test: DataTest, names: tuple[str, ...]) -> bool:
    candidate = (test.test_name or test.name).lower()
    return any(n in candidate for n in names)


def primary_key_tested(ctx: EvalContext, rule: Rule, subject: Subject) -> Outcome:
    tests = ctx.graph.tests_by_capsule.get(subject.capsule.urn, [])
    names = tuple(param(rule, "test_names", _PK_TESTS))
    unique = {t.column_name for t in tests if t.kind is TestKind.UNIQUE and t.column_name}
    not_null = {t.column_name for t in tests if t.kind is TestKind.NOT_NULL and t.column_name}
    if unique & not_null or any(_is_pk_test(t, names) for t in tests):
        return []
    return fail("", f"{label(subject.capsule)} has no primary key test (unique and not_null on one column)")


def test_coverage(ctx: EvalContext, rule: Rule, subject: Subject) -> Outcome:
    count = len(ctx.graph.tests_by_capsule.get(subject.capsule.urn, []))
    minimum = int(param(rule, "min", 1))
    if count >= minimum:
        return []
    return fail("", f"{label(subject.capsule)} has {count} tests (min {minimum})")


def source_freshness(_ctx: EvalContext, _rule: Rule, subject: Subject) -> Outcome:
    capsule = subject.capsule
    if not is_source(capsule):
        return None
    if capsule.freshness is not None and capsule.freshness.is_configured:
        return []
    return fail("", f"{label(capsule)} has no freshness threshold (warn_after/error_after)")


SPECS: dict[str, CheckSpec] = {
    "primary_key_tested": CheckSpec(primary_key_tested, params={"test_names": Param("str_list", _PK_TESTS)}),
    "test_coverage": CheckSpec(test_coverage, params={"min": Param("int", 1)}),
    "source_freshness": CheckSpec(source_freshness),
}
