"""The shape of a check kind: a pure function plus the parameters it accepts."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from dab.domain.capsule import Capsule, CapsuleType
from dab.domain.column import Column
from dab.rules.context import EvalContext, Subject
from dab.rules.model import Failure, Rule

Outcome = list[Failure] | None
"""``None``: the check does not apply to the subject; ``[]``: it passes; else its failures."""

CheckFn = Callable[[EvalContext, Rule, Subject], Outcome]
Failures = Sequence[tuple[str, str]]
"""(detail key, message) of each failure of one subject (a ``Failure`` is such a tuple; batch
checks build plain ones: ~45k a 10k-model run)."""
Failing = tuple[Capsule, Column | None, Failures]
"""A failing subject (its capsule, and its column for a column check) and its failures."""
Judged = tuple[int, list[Failing]]
"""A batch's verdict: how many subjects the check applies to, and the failing ones in the
subjects' order. Subjects that pass cost nothing to report."""
BatchFn = Callable[[EvalContext, Rule, Sequence[Capsule]], Judged]
"""A check over a group of capsules: reads its parameters once and judges each capsule alone
(a verdict never depends on which others share the batch). No per-subject object is built."""
ColumnGroups = Sequence[tuple[Capsule, Sequence[Column]]]
ColumnBatchFn = Callable[[EvalContext, Rule, ColumnGroups], Judged]
"""The same over columns, given per capsule (column checks see ~80k columns a run)."""
ParamKind = Literal["int", "str", "regex", "str_list", "bool", "cel"]


@dataclass(frozen=True, slots=True)
class Param:
    kind: ParamKind
    default: Any = None
    required: bool = False
    choices: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CheckSpec:
    batch: BatchFn | None
    """Judges capsule subjects; ``None`` for a column-only check."""
    scopes: tuple[str, ...] = ("capsule",)
    params: Mapping[str, Param] = field(default_factory=dict)
    pii_marked_only: bool = False
    """The check applies to no column without a ``pii_type`` (``None`` is unmarked): the engine
    shows it only those of one per-evaluation index (~7 % of the columns), not every column."""
    column_batch: ColumnBatchFn | None = None
    """Judges columns, for a check with the ``column`` scope."""

    def __post_init__(self) -> None:
        if ("capsule" in self.scopes) != (self.batch is not None) or ("column" in self.scopes) != (
            self.column_batch is not None
        ):
            raise ValueError(f"{self.scopes}: one batch function for each scope, and none for another")


def _each(fn: CheckFn, ctx: EvalContext, rule: Rule, subjects: Iterable[Subject]) -> Judged:
    applicable = 0
    failing: list[Failing] = []
    for subject in subjects:
        outcome = fn(ctx, rule, subject)
        if outcome is not None:
            applicable += 1
            if outcome:
                failing.append((subject.capsule, subject.column, outcome))
    return applicable, failing


def each(fn: CheckFn) -> BatchFn:
    """The batch form of a check written per subject (CEL, and checks few capsules reach)."""
    return lambda ctx, rule, capsules: _each(fn, ctx, rule, map(Subject, capsules))


def each_column(fn: CheckFn) -> ColumnBatchFn:
    """The column batch form of a check written per subject."""
    return lambda ctx, rule, groups: _each(
        fn, ctx, rule, (Subject(c, col) for c, cols in groups for col in cols)
    )


def param(rule: Rule, name: str, default: Any) -> Any:
    """A check parameter from the rule, or ``default`` when the rule does not set it."""
    value = rule.check.params.get(name)
    return default if value is None else value


def is_model(capsule: Capsule) -> bool:
    return capsule.capsule_type is CapsuleType.MODEL


def is_source(capsule: Capsule) -> bool:
    return capsule.capsule_type is CapsuleType.SOURCE


def fail(detail_key: str, message: str) -> list[Failure]:
    return [Failure(detail_key, message)]


def of_type(capsules: Sequence[Capsule], kind: CapsuleType) -> list[Capsule]:
    """The capsules of ``kind`` (the others are not applicable)."""
    return [c for c in capsules if c.capsule_type is kind]


def without_links(capsules: Sequence[Capsule], links: Mapping[str, list[str]], message: str) -> Judged:
    """Every capsule applies; those with no entry in ``links`` (the graph's parents or
    children) fail with "<label> <message>"."""
    return len(capsules), [
        (c, None, [("", f"{label(c)} {message}")]) for c in capsules if not links.get(c.urn)
    ]


def failing_parents(
    ctx: EvalContext,
    capsules: Sequence[Capsule],
    bad: Callable[[Capsule, Capsule], bool],
    message: Callable[[Capsule, Capsule], str],
) -> list[Failing]:
    """Capsules with parents that ``bad(capsule, parent)`` rejects: one failure per such parent
    (keyed by its URN, in URN order), ``message(capsule, parent)`` built for those alone."""
    upstream = ctx.upstream
    failing: list[Failing] = []
    for capsule in capsules:
        parents = upstream.get(capsule.urn)
        if parents:
            found = [p for p in parents if bad(capsule, p)]
            if found:
                failing.append((capsule, None, [(p.urn, message(capsule, p)) for p in found]))
    return failing


def label(capsule: Capsule) -> str:
    # The member's value attribute: half the cost of formatting the StrEnum, a third of the
    # ``.value`` property's (~45k labels a run).
    return f"{capsule.capsule_type._value_} '{capsule.name}'"
