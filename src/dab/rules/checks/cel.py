"""Custom predicates in CEL (cel-python): the subject passes when the expression is true.

Variables: ``capsule`` (name, urn, type, layer, domain, owner, tags, meta, materialization,
description, access, contract_enforced, path, column_count, test_count, upstream_count,
downstream_count) and, for column rules, ``column`` (name, data_type, description, pii_type,
tags, meta).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from dab.domain.capsule import Capsule
from dab.domain.column import Column
from dab.errors import InvalidRule
from dab.rules.checks.base import CheckSpec, Outcome, Param, each, each_column, fail, label, param
from dab.rules.context import EvalContext, Subject
from dab.rules.model import Rule

# cel-python is imported, and its environment built, on the first CEL expression: no built-in
# rule uses CEL, and both cost a CLI run (the PR gate) a few hundred ms of CPU.


@lru_cache(maxsize=1)
def _environment() -> Any:
    import celpy

    return celpy.Environment()


@lru_cache(maxsize=1024)
def compile_cel(expression: str) -> Any:
    """Compile a CEL expression once; raises ``ValueError`` with the parser's message."""
    from celpy.celparser import CELParseError

    env = _environment()
    try:
        return env.program(env.compile(expression))
    except CELParseError as exc:
        raise ValueError(str(exc).splitlines()[0] if str(exc) else "syntax error") from exc


def validate_cel(rule_id: str, field_name: str, expression: str) -> None:
    try:
        compile_cel(expression)
    except ValueError as exc:
        raise InvalidRule(f"rule '{rule_id}': field '{field_name}': invalid CEL expression: {exc}") from exc


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def capsule_map(ctx: EvalContext, capsule: Capsule) -> dict[str, Any]:
    graph = ctx.graph
    return {
        "name": capsule.name,
        "urn": capsule.urn,
        "type": capsule.capsule_type.value,
        "layer": capsule.layer_value,
        "domain": capsule.domain.value or "",
        "owner": capsule.owner.value or "",
        "tags": list(capsule.tags),
        "meta": _plain(capsule.meta),
        "materialization": capsule.materialization or "",
        "description": capsule.description or "",
        "access": capsule.access or "",
        "contract_enforced": capsule.contract_enforced,
        "path": capsule.path or "",
        "column_count": len(graph.columns_by_capsule.get(capsule.urn, [])),
        "test_count": len(graph.tests_by_capsule.get(capsule.urn, [])),
        "upstream_count": len(set(ctx.parents(capsule.urn))),
        "downstream_count": len(set(ctx.children(capsule.urn))),
    }


def column_map(column: Column) -> dict[str, Any]:
    return {
        "name": column.name,
        "data_type": column.data_type or "",
        "description": column.description or "",
        "pii_type": column.pii_type or "",
        "tags": list(column.tags),
        "meta": _plain(column.meta),
    }


def activation(ctx: EvalContext, subject: Subject) -> dict[str, Any]:
    from celpy.adapter import json_to_cel

    capsule = ctx.cel_capsules.get(subject.capsule.urn)
    if capsule is None:
        capsule = ctx.cel_capsules[subject.capsule.urn] = json_to_cel(capsule_map(ctx, subject.capsule))
    out = {"capsule": capsule}
    if subject.column is not None:
        out["column"] = json_to_cel(column_map(subject.column))
    return out


def cel_true(expression: str, ctx: EvalContext, subject: Subject) -> tuple[bool, str]:
    """Evaluate to ``(is_true, error)``; an evaluation error counts as false."""
    from celpy.evaluation import CELEvalError

    try:
        result = compile_cel(expression).evaluate(activation(ctx, subject))
    except CELEvalError as exc:
        return False, str(exc.args[0]) if exc.args else "evaluation error"
    if isinstance(result, CELEvalError):
        return False, str(result.args[0]) if result.args else "evaluation error"
    return bool(result), ""


def cel(ctx: EvalContext, rule: Rule, subject: Subject) -> Outcome:
    expression = str(param(rule, "expression", "true"))
    ok, error = cel_true(expression, ctx, subject)
    if ok:
        return []
    what = f"column '{subject.column.name}' of " if subject.column is not None else ""
    reason = f" ({error})" if error else ""
    return fail("", f"{what}{label(subject.capsule)} does not satisfy `{expression}`{reason}")


SPECS: dict[str, CheckSpec] = {
    "cel": CheckSpec(
        each(cel),
        ("capsule", "column"),
        {"expression": Param("cel", required=True)},
        column_batch=each_column(cel),
    ),
}
