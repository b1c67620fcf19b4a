"""The shape of a check kind: a pure function plus the parameters it accepts."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from dab.domain.capsule import Capsule, CapsuleType
from dab.domain.column import Column
from dab.rules.context import EvalContext, Subject
from dab.rules.model import Failure, Rule

Outcome = list[Failure] | None
"""``None``: the check does not apply to the subject; ``[]``: it passes; else its failures."""

CheckFn = Callable[[EvalContext, Rule, Subject], Outcome]
ParamKind = Literal["int", "str", "regex", "str_list", "bool", "cel"]


@dataclass(frozen=True, slots=True)
class Param:
    kind: ParamKind
    default: Any = None
    required: bool = False
    choices: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CheckSpec:
    fn: CheckFn
    scopes: tuple[str, ...] = ("capsule",)
    params: Mapping[str, Param] = field(default_factory=dict)
    columns: Callable[[Column], bool] | None = None
    """For column checks: the columns ``fn`` can apply to (it returns ``None`` for the others), so
    the engine skips the rest without making them subjects: most columns hold no PII."""
    pii_marked_only: bool = False
    """``columns`` holds only for columns with a ``pii_type`` (``None`` is unmarked): the engine
    tests it on those alone (~7 % of them) instead of on every column, per rule."""


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


def label(capsule: Capsule) -> str:
    # A StrEnum formats as its value, without the slower ``.value`` property (~45k labels a run).
    return f"{capsule.capsule_type} '{capsule.name}'"
