"""Which compiled SQL an evaluation will parse, so a caller can parse it ahead (in parallel).

A cold evaluation spends most of its time in sqlglot, one statement after another, as checks
ask for facts. Knowing the statements beforehand lets the PR gate split them over two
processes. Only statements some rule will read are listed: the checks in ``SQL_KINDS`` read
facts, and only for capsules their rule's ``when`` selects (a CEL condition is not decided
here, so its rule's whole selection is listed: a superset, never less).
"""

from __future__ import annotations

from collections.abc import Iterable

from dab.domain.capsule import DBT_TYPES, Capsule
from dab.domain.graph import Graph
from dab.rules.model import Rule, When

SQL_KINDS: frozenset[str] = frozenset({"hard_coded_reference", "select_star", "too_many_joins"})
"""Check kinds that read a subject's SQL facts (a test checks no other kind parses SQL)."""


def _selects(when: When, capsule: Capsule) -> bool:
    # The same selection as the engine's buckets: types (dbt definitions when unnamed), layers, access.
    if capsule.capsule_type.value not in (when.capsule_types or DBT_TYPES):
        return False
    if when.layers and capsule.layer_value not in when.layers:
        return False
    return not when.access or (capsule.access or "") in when.access


def statements_read(graph: Graph, rules: Iterable[Rule]) -> list[str]:
    """The distinct compiled SQL texts ``evaluate(graph, rules)`` may parse, in capsule URN order."""
    reading = [r.when for r in rules if r.enabled and r.check.kind in SQL_KINDS]
    found: dict[str, None] = {}
    if not reading:
        return []
    for urn in sorted(graph.capsules):
        capsule = graph.capsules[urn]
        sql = capsule.compiled_sql
        if sql and sql not in found and any(_selects(when, capsule) for when in reading):
            found[sql] = None
    return list(found)
