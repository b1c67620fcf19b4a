"""Reusing one parse's capsules for another manifest's equal nodes (the PR gate's baseline).

A capsule and its columns are a function of the node's JSON, its catalog entry and a few
project-wide inputs (root package, project name, layer rules, group owners). When those inputs
are equal and a node's JSON is equal, the earlier parse's objects are the answer; sharing them
also makes the gate's later comparisons identity checks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dab.domain.capsule import Capsule
from dab.domain.column import Column
from dab.domain.quality import DataTest
from dab.ingest.dbt._context import Context, Identity


@dataclass(frozen=True, slots=True)
class Built:
    node: dict[str, Any]
    catalog_entry: Any
    ident: Identity
    capsule: Capsule
    by_urn: dict[str, Column]
    """The capsule's columns by URN, in the order they were built."""
    by_name: dict[str, str]
    """Lower-cased column name -> column URN (what tests are matched by)."""
    ordered: list[Column]
    """The columns in ``Graph.columns_by_capsule`` order (shared with the graph's index)."""


@dataclass(slots=True)
class ParseMemo:
    """Filled by one ``parse_dbt(keep=...)``, read by a later ``parse_dbt(reuse=...)``."""

    inputs: tuple[Any, ...] | None = None
    built: dict[str, Built] = field(default_factory=dict)
    tests: dict[str, tuple[dict[str, Any], DataTest]] = field(default_factory=dict)


def context_inputs(ctx: Context) -> tuple[Any, ...] | None:
    """What every node's capsule depends on besides its own JSON; ``None``: never reuse (run
    results and source freshness results make a capsule depend on more than the manifest)."""
    if ctx.runs or ctx.source_results:
        return None
    return (ctx.root_package, ctx.project_name, ctx.rules, ctx.group_owners)


def reusable(memo: ParseMemo | None, ctx: Context, uid: str, node: dict[str, Any]) -> Built | None:
    """The kept result for ``uid`` when it was built from equal inputs, else ``None``."""
    if memo is None:
        return None
    found = memo.built.get(uid)
    if found is None or found.catalog_entry != ctx.catalog.get(uid) or found.node != node:
        return None
    return found


def reusable_test(memo: ParseMemo | None, ctx: Context, uid: str, node: dict[str, Any]) -> DataTest | None:
    """The kept test for ``uid`` when its JSON is equal and every node it names was reused in
    this parse (so it resolves to the same capsules and column names)."""
    if memo is None:
        return None
    found = memo.tests.get(uid)
    if found is None or found[0] != node:
        return None
    depends_on = node.get("depends_on")
    named = depends_on.get("nodes") if isinstance(depends_on, dict) else None
    attached = node.get("attached_node")
    if not isinstance(named, list) or not all(isinstance(n, str) and n in ctx.reused for n in named):
        return None
    if attached is not None and attached not in ctx.reused:
        return None
    return found[1]
