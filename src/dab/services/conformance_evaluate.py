"""Evaluate the rules in force over the stored graph, in a worker thread, and persist the run."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import anyio
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dab.domain.gc_pause import rare_full_collections
from dab.domain.graph import Graph
from dab.errors import InvalidInput, NotFound
from dab.rules import EvaluationResult, Rule, Scope, evaluate
from dab.services.conformance_persist import persist_result
from dab.services.conformance_read import result_read
from dab.services.conformance_rules import rules_in_force
from dab.services.graph_memo import stored_graph
from dab.services.sql_facts_stored import GraphFacts, load_stored_facts, save_parsed_facts
from dab.storage.records import CapsuleRecord, utcnow
from dab.storage.repositories.violations import RunScope

ScopeKind = Literal["full", "layer", "domain", "capsule", "rule_sets"]


@dataclass(frozen=True, slots=True)
class EvaluationRequest:
    scope: ScopeKind = "full"
    layer: str | None = None
    domain: str | None = None
    capsule_urn: str | None = None
    rule_sets: tuple[str, ...] = ()
    persist_violations: bool | None = None
    """None: persist a full evaluation, not a scoped one."""
    violations_limit: int = 100

    @property
    def persist(self) -> bool:
        return self.scope == "full" if self.persist_violations is None else self.persist_violations

    def scope_json(self) -> dict[str, Any]:
        companion: dict[str, tuple[str, Any]] = {
            "layer": ("layer", self.layer),
            "domain": ("domain", self.domain),
            "capsule": ("capsule_urn", self.capsule_urn),
            "rule_sets": ("rule_sets", list(self.rule_sets)),
        }
        out: dict[str, Any] = {"kind": self.scope}
        if self.scope in companion:
            key, value = companion[self.scope]
            out[key] = value
        return out

    def engine_scope(self) -> Scope:
        one = {
            "layer": Scope(layers=frozenset([self.layer or ""])),
            "domain": Scope(domains=frozenset([self.domain or ""])),
            "capsule": Scope(urns=frozenset([self.capsule_urn or ""])),
            "rule_sets": Scope(rule_sets=frozenset(self.rule_sets)),
        }
        return one.get(self.scope, Scope())

    def run_scope(self) -> RunScope:
        scope = self.engine_scope()
        return RunScope(
            layers=scope.layers, domains=scope.domains, capsule_urns=scope.urns, rule_sets=scope.rule_sets
        )


async def _check_request(session: AsyncSession, request: EvaluationRequest, rules: tuple[Rule, ...]) -> None:
    if request.scope == "rule_sets":
        known = {r.rule_set for r in rules}
        unknown = sorted(set(request.rule_sets) - known)
        if unknown:
            raise InvalidInput(
                f"unknown rule set(s) {', '.join(unknown)} (known: {', '.join(sorted(known))})",
                location="body.rule_sets",
            )
    if request.scope == "capsule":
        found = await session.scalar(select(CapsuleRecord.id).where(CapsuleRecord.urn == request.capsule_urn))
        if found is None:
            raise NotFound(f"no capsule {request.capsule_urn}")


@dataclass(frozen=True, slots=True)
class _LastEvaluation:
    graph: Graph
    rules: tuple[Rule, ...]
    scope: Scope
    result: EvaluationResult


_last: _LastEvaluation | None = None


def run_engine(graph: Graph, rules: tuple[Rule, ...], scope: Scope) -> EvaluationResult:
    """The engine's result, kept for the next call: the engine is deterministic, and a kept
    graph (``graph_memo``) is the same object until a write to the graph replaces it, so the
    same graph, rules and scope give the same result without evaluating again."""
    global _last
    last = _last
    if last is not None and last.graph is graph and last.scope == scope and last.rules == rules:
        return last.result
    result = evaluate(graph, rules, scope=scope)
    _last = _LastEvaluation(graph, rules, scope, result)
    return result


async def evaluate_conformance(
    session: AsyncSession,
    request: EvaluationRequest,
    *,
    rules_dir: Path | None = None,
    config_file: Path | None = None,
) -> dict[str, Any]:
    """Load the graph, evaluate off the event loop, persist when asked; never commits.

    SQL facts come from the database and the ones parsed here go back to it
    (``sql_facts_stored``), so a restarted server does not parse every model again.
    """
    started_at, clock = utcnow(), time.perf_counter()
    rules = await rules_in_force(session, rules_dir=rules_dir, config_file=config_file)
    await _check_request(session, request, rules)
    # A freshly loaded graph (~1M objects, acyclic) made each full collection of the call
    # rescan it (three of them, ~1 s of a fresh server's first call): they wait until after.
    with rare_full_collections():
        graph = await stored_graph(session)
        facts = await load_stored_facts(session, graph)
        result = await anyio.to_thread.run_sync(run_engine, graph, rules, request.engine_scope())
        return await _answer(session, request, result, facts, started_at, clock)


async def _answer(
    session: AsyncSession,
    request: EvaluationRequest,
    result: EvaluationResult,
    facts: GraphFacts,
    started_at: datetime,
    clock: float,
) -> dict[str, Any]:
    """The evaluation's answer, after persisting it when asked and saving the SQL facts."""
    out = {"scope": request.scope_json(), **result_read(result, request.violations_limit)}
    out.update(run_id=None, persisted=False, evaluated_at=utcnow(), lifecycle=None)
    if request.persist:
        outcome = await persist_result(
            session,
            result,
            scope=request.scope_json(),
            run_scope=request.run_scope(),
            started_at=started_at,
            now=out["evaluated_at"],
        )
        out.update(run_id=outcome.run_id, persisted=True)
        out["lifecycle"] = {
            "opened": outcome.opened,
            "seen_again": outcome.seen_again,
            "reopened": outcome.reopened,
            "resolved": outcome.resolved,
        }
    await save_parsed_facts(session, facts)
    out["duration_ms"] = round((time.perf_counter() - clock) * 1000, 1)
    return out
