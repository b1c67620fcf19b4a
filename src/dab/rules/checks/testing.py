"""Checks on data tests and source freshness."""

from __future__ import annotations

from collections.abc import Sequence

from dab.domain.capsule import Capsule, CapsuleType
from dab.domain.quality import DataTest, TestKind
from dab.rules.checks.base import CheckSpec, Failing, Judged, Param, label, of_type, param
from dab.rules.context import EvalContext
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


def primary_key_tested(ctx: EvalContext, rule: Rule, capsules: Sequence[Capsule]) -> Judged:
    by_capsule = ctx.graph.tests_by_capsule
    names = tuple(param(rule, "test_names", _PK_TESTS))
    return len(capsules), [
        (c, None, [("", f"{label(c)} has no primary key test (unique and not_null on one column)")])
        for c in capsules
        if not _has_primary_key(by_capsule.get(c.urn, ()), names)
    ]


def test_coverage(ctx: EvalContext, rule: Rule, capsules: Sequence[Capsule]) -> Judged:
    by_capsule = ctx.graph.tests_by_capsule
    minimum = int(param(rule, "min", 1))
    failing: list[Failing] = []
    for capsule in capsules:
        count = len(by_capsule.get(capsule.urn, ()))
        if count < minimum:
            failing.append((capsule, None, [("", f"{label(capsule)} has {count} tests (min {minimum})")]))
    return len(capsules), failing


def source_freshness(_ctx: EvalContext, _rule: Rule, capsules: Sequence[Capsule]) -> Judged:
    sources = of_type(capsules, CapsuleType.SOURCE)
    return len(sources), [
        (c, None, [("", f"{label(c)} has no freshness threshold (warn_after/error_after)")])
        for c in sources
        if c.freshness is None or not c.freshness.is_configured
    ]


SPECS: dict[str, CheckSpec] = {
    "primary_key_tested": CheckSpec(primary_key_tested, params={"test_names": Param("str_list", _PK_TESTS)}),
    "test_coverage": CheckSpec(test_coverage, params={"min": Param("int", 1)}),
    "source_freshness": CheckSpec(source_freshness),
}
