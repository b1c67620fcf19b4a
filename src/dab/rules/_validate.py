"""Field validators shared by the YAML loader and config overrides.

Every error is an ``InvalidRule`` whose detail names the rule id and the field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, NoReturn

from dab.domain.capsule import CapsuleType, Layer
from dab.errors import InvalidRule
from dab.rules.checks import CHECKS, Param
from dab.rules.checks.cel import validate_cel
from dab.rules.model import Severity, When

RULE_ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
CAPSULE_TYPES: tuple[str, ...] = tuple(t.value for t in CapsuleType)
LAYERS: tuple[str, ...] = tuple(la.value for la in Layer)
ACCESS_LEVELS: tuple[str, ...] = ("public", "protected", "private")
SEVERITIES: tuple[str, ...] = tuple(s.value for s in Severity)


def invalid(rule_id: str, field_name: str, message: str) -> NoReturn:
    raise InvalidRule(f"rule '{rule_id}': field '{field_name}': {message}")


def as_str(rule_id: str, field_name: str, value: Any, *, required: bool = True) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        invalid(rule_id, field_name, "must be a non-empty string")
    return value


def as_str_list(rule_id: str, field_name: str, value: Any, choices: tuple[str, ...] = ()) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        invalid(rule_id, field_name, "must be a list of strings")
    for item in value:
        if choices and item not in choices:
            invalid(rule_id, field_name, f"'{item}' must be one of {', '.join(choices)}")
    return tuple(value)


def as_severity(rule_id: str, value: Any) -> Severity:
    if value not in SEVERITIES:
        invalid(rule_id, "severity", f"must be one of {', '.join(SEVERITIES)}")
    return Severity(value)


def as_bool(rule_id: str, field_name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        invalid(rule_id, field_name, "must be true or false")
    return value


def as_mapping(rule_id: str, field_name: str, value: Any) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        invalid(rule_id, field_name, "must be a mapping")
    return value


def check_keys(rule_id: str, field_name: str, data: Mapping[str, Any], allowed: tuple[str, ...]) -> None:
    for key in data:
        if key not in allowed:
            where = f"{field_name}.{key}" if field_name else str(key)
            invalid(rule_id, where, f"unknown field (allowed: {', '.join(allowed)})")


def as_when(rule_id: str, value: Any) -> When:
    data = as_mapping(rule_id, "when", value)
    check_keys(rule_id, "when", data, ("capsule_types", "layers", "access", "expression"))
    expression = data.get("expression")
    if expression is not None:
        validate_cel(rule_id, "when.expression", as_str(rule_id, "when.expression", expression))
    return When(
        capsule_types=as_str_list(rule_id, "when.capsule_types", data.get("capsule_types"), CAPSULE_TYPES),
        layers=as_str_list(rule_id, "when.layers", data.get("layers"), LAYERS),
        access=as_str_list(rule_id, "when.access", data.get("access"), ACCESS_LEVELS),
        expression=expression,
    )


def _param_value(rule_id: str, field_name: str, spec: Param, value: Any) -> Any:
    kind = spec.kind
    if kind == "int":
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            invalid(rule_id, field_name, "must be a non-negative integer")
        return value
    if kind == "bool":
        return as_bool(rule_id, field_name, value)
    if kind == "str_list":
        return as_str_list(rule_id, field_name, value)
    text = as_str(rule_id, field_name, value)
    if kind == "regex":
        try:
            re.compile(text)
        except re.error as exc:
            invalid(rule_id, field_name, f"invalid regular expression: {exc}")
    elif kind == "cel":
        validate_cel(rule_id, field_name, text)
    elif spec.choices and text not in spec.choices:
        invalid(rule_id, field_name, f"must be one of {', '.join(spec.choices)}")
    return text


def check_params(
    rule_id: str, kind: str, params: Mapping[str, Any], *, partial: bool = False
) -> dict[str, Any]:
    """Validate ``params`` against the check kind; ``partial`` skips required-parameter checks."""
    spec = CHECKS[kind]
    check_keys(rule_id, "check.params", params, tuple(spec.params))
    out: dict[str, Any] = {}
    for name, pspec in spec.params.items():
        field_name = f"check.params.{name}"
        if name in params and params[name] is not None:
            out[name] = _param_value(rule_id, field_name, pspec, params[name])
        elif pspec.required and not partial:
            invalid(rule_id, field_name, f"required by check kind '{kind}'")
    return out


def check_kind(rule_id: str, value: Any) -> str:
    if value not in CHECKS:
        invalid(rule_id, "check.kind", f"unknown check kind {value!r} (known: {', '.join(sorted(CHECKS))})")
    return str(value)
