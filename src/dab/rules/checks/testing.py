"""Checks on data tests and source freshness."""

from __future__ import annotations

from collections.abc import Sequence

from dab.domain.capsule import CapsuleType
from dab.domain.quality import DataTest, TestKind
from dab.rules.checks.base import CheckSpec, Judged, Param, fail, label, of_type, param
from dab.rules.context import EvalContext, Subject
from dab.rules.model import Rule

_PK_TESTS: tuple[str, ...] = ("unique_combination_of_columns", "primary_key")


def _is_pk_test(test: DataTest, names: tuple[str, ...]) -> bool:
    candidate = (test.test_name or test.name).lower()
    return any(n in candidate for n in names)


def _has_primary_key(tests: Sequence[DataTest], names: tuple[str, ...]) -> bool:
    unique = {t.column_name for t in tests if t.kind is TestKind.UNIQUE and t.column_name}
    if unique and not unique.isdisjoint(t.column_name for t in tests if t.kind is TestKind.NOT_NULL):
        return True
    return any(_is_pk_test(t, names) for t in tests)


def primary_key_tested(ctx: EvalContext, rule: Rule, subjects: Sequence[Subject]) -> Judged:
    by_capsule = ctx.graph.tests_by_capsule
    names = tuple(param(rule, "test_names", _PK_TESTS))
    return len(subjects), [
        (s, fail("", f"{label(s.capsule)} has no primary key test (unique and not_null on one column)"))
        for s in subjects
        if not _has_primary_key(by_capsule.get(s.capsule.urn, ()), names)
    ]


def test_coverage(ctx: EvalContext, rule: Rule, subjects: Sequence[Subject]) -> Judged:
    by_capsule = ctx.graph.tests_by_capsule
    minimum = int(param(rule, "min", 1))
    failing = []
    for subject in subjects:
        count = len(by_capsule.get(subject.capsule.urn, ()))
        if count < minimum:
            failing.append((subject, fail("", f"{label(subject.capsule)} has {count} tests (min {minimum})")))
    return len(subjects), failing


def source_freshness(_ctx: EvalContext, _rule: Rule, subjects: Sequence[Subject]) -> Judged:
    sources = of_type(subjects, CapsuleType.SOURCE)
    return len(sources), [
        (s, fail("", f"{label(s.capsule)} has no freshness threshold (warn_after/error_after)"))
        for s in sources
        if s.capsule.freshness is None or not s.capsule.freshness.is_configured
    ]


SPECS: dict[str, CheckSpec] = {
    "primary_key_tested": CheckSpec(primary_key_tested, params={"test_names": Param("str_list", _PK_TESTS)}),
    "test_coverage": CheckSpec(test_coverage, params={"min": Param("int", 1)}),
    "source_freshness": CheckSpec(source_freshness),
}
