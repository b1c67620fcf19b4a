"""The rules in force: built-ins, rule files (DAB_RULES_DIR), custom rules stored through the
API, with the deployment's overrides (DAB_RULES_CONFIG_FILE) applied; add and delete custom rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from dab.errors import Conflict, InvalidInput, NotFound
from dab.rules import Rule, builtin_rules, rule_from_dict
from dab.services.rule_sources import combine, load_rule_config, load_rules_dir, stored_rule
from dab.storage.repositories.rules import RuleRepository

CUSTOM_RULE_SET = "custom"


async def _origins(session: AsyncSession, rules_dir: Path | None) -> tuple[list[Rule], dict[str, str]]:
    from_files = load_rules_dir(rules_dir)
    stored = await RuleRepository(session).list_definitions()
    from_api = [stored_rule(s, d) for s, d in stored]
    origins = {r.rule_id: "builtin" for r in builtin_rules()}
    origins.update({r.rule_id: "file" for r in from_files})
    origins.update({r.rule_id: "api" for r in from_api})
    return [*from_files, *from_api], origins


async def rules_in_force(
    session: AsyncSession, *, rules_dir: Path | None, config_file: Path | None
) -> tuple[Rule, ...]:
    extra, _ = await _origins(session, rules_dir)
    return combine(extra, load_rule_config(config_file))


def rule_read(rule: Rule, origin: str) -> dict[str, Any]:
    return {
        "rule_id": rule.rule_id,
        "name": rule.name,
        "description": rule.description,
        "severity": rule.severity.value,
        "category": rule.category,
        "rule_set": rule.rule_set,
        "scope": rule.scope,
        "enabled": rule.enabled,
        "remediation": rule.remediation,
        "doc_url": rule.doc_url,
        "check": {"kind": rule.check.kind, "params": dict(rule.check.params)},
        "when": {
            "capsule_types": list(rule.when.capsule_types),
            "layers": list(rule.when.layers),
            "access": list(rule.when.access),
            "expression": rule.when.expression,
        },
        "origin": origin,
    }


async def list_rules(
    session: AsyncSession, *, rules_dir: Path | None, config_file: Path | None
) -> list[dict[str, Any]]:
    extra, origins = await _origins(session, rules_dir)
    rules = combine(extra, load_rule_config(config_file))
    return [rule_read(r, origins[r.rule_id]) for r in sorted(rules, key=lambda r: (r.rule_set, r.rule_id))]


def _validated(definition: Mapping[str, Any]) -> tuple[Rule, dict[str, Any]]:
    data = dict(definition)
    rule_set = data.pop("rule_set", CUSTOM_RULE_SET)
    if not isinstance(rule_set, str) or not rule_set:
        raise InvalidInput("field 'rule_set': must be a non-empty string", location="body.rule_set")
    return rule_from_dict(data, rule_set), data


async def add_rule(
    session: AsyncSession, definition: Mapping[str, Any], *, rules_dir: Path | None, config_file: Path | None
) -> dict[str, Any]:
    """Validate with the engine's loader, refuse duplicate ids (built-in ones too), store."""
    rule, data = _validated(definition)
    extra, origins = await _origins(session, rules_dir)
    if rule.rule_id in origins:
        raise Conflict(f"rule '{rule.rule_id}' already exists ({origins[rule.rule_id]} rule)")
    combine([*extra, rule], load_rule_config(config_file))
    await RuleRepository(session).add(
        rule_id=rule.rule_id,
        rule_set=rule.rule_set,
        severity=rule.severity.value,
        category=rule.category,
        definition=data,
    )
    return rule_read(rule, "api")


async def delete_rule(session: AsyncSession, rule_id: str, *, rules_dir: Path | None) -> None:
    if await RuleRepository(session).delete(rule_id):
        return
    _, origins = await _origins(session, rules_dir)
    origin = origins.get(rule_id)
    if origin == "builtin":
        raise InvalidInput(
            f"rule '{rule_id}' is built in and cannot be deleted; disable it in the rules config "
            "file (DAB_RULES_CONFIG_FILE: disabled: [...])",
            location="path.rule_id",
        )
    if origin == "file":
        raise InvalidInput(
            f"rule '{rule_id}' comes from a file in DAB_RULES_DIR; remove it there", location="path.rule_id"
        )
    raise NotFound(f"no custom rule '{rule_id}'")
