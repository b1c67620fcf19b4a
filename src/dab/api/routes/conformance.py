"""Conformance: evaluate, the latest score, violations and their status, rules."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from dab.api.cached import cached_json
from dab.api.deps import LimitQuery, OffsetQuery, SessionDep, SettingsDep
from dab.api.schemas.common import Page
from dab.api.schemas.conformance import (
    EvaluateBody,
    EvaluationRead,
    LayerName,
    RuleRead,
    ScoreRead,
    SeverityName,
    ViolationRead,
    ViolationStatus,
    ViolationStatusUpdate,
)
from dab.api.writes import committed
from dab.services.conformance_evaluate import evaluate_conformance
from dab.services.conformance_rules import add_rule, delete_rule, list_rules
from dab.services.conformance_violations import change_status, latest_score, list_violations
from dab.storage.repositories.violations import ViolationFilter

router = APIRouter(prefix="/conformance", tags=["conformance"])


@router.post("/evaluate", response_model=EvaluationRead)
async def evaluate_rules(body: EvaluateBody, request: Request, settings: SettingsDep) -> dict[str, Any]:
    """Evaluate the rules in force over the stored graph (in a worker thread)."""
    evaluation = body.to_request()

    async def work(session: AsyncSession) -> dict[str, Any]:
        return await evaluate_conformance(
            session,
            evaluation,
            rules_dir=settings.dab_rules_dir,
            config_file=settings.dab_rules_config_file,
        )

    if not evaluation.persist:  # commits only the SQL facts it parsed: no cache bump
        async with request.app.state.session_factory.begin() as session:
            return await work(session)
    return await committed(request, work)


@router.get("/score", response_model=ScoreRead)
async def get_conformance_score(request: Request, session: SessionDep) -> Response:
    return await cached_json(request, lambda: latest_score(session))


@router.get("/violations", response_model=Page[ViolationRead])
async def list_conformance_violations(
    request: Request,
    session: SessionDep,
    limit: LimitQuery = 50,
    offset: OffsetQuery = 0,
    severity: Annotated[SeverityName | None, Query()] = None,
    rule: Annotated[str | None, Query(description="Rule id")] = None,
    category: Annotated[str | None, Query()] = None,
    layer: Annotated[LayerName | None, Query()] = None,
    status: Annotated[ViolationStatus | None, Query()] = None,
    capsule: Annotated[str | None, Query(description="Capsule URN")] = None,
) -> Response:
    filters = ViolationFilter(
        severity=severity, rule_id=rule, category=category, layer=layer, status=status, capsule_urn=capsule
    )
    return await cached_json(request, lambda: list_violations(session, filters, limit=limit, offset=offset))


@router.patch("/violations/{violation_id}", response_model=ViolationRead)
async def update_violation_status(
    violation_id: str, body: ViolationStatusUpdate, request: Request
) -> dict[str, Any]:
    """Acknowledge, waive (with a reason), re-open or resolve; records who, why and when."""
    return await committed(
        request,
        lambda session: change_status(
            session, violation_id, status=body.status, by=body.by, reason=body.reason
        ),
    )


@router.get("/rules", response_model=Page[RuleRead])
async def list_conformance_rules(
    session: SessionDep, settings: SettingsDep, limit: LimitQuery = 1000, offset: OffsetQuery = 0
) -> dict[str, Any]:
    """Built-in, file and custom rules with the deployment's overrides applied."""
    rules = await list_rules(
        session, rules_dir=settings.dab_rules_dir, config_file=settings.dab_rules_config_file
    )
    return {"data": rules[offset : offset + limit], "total": len(rules), "limit": limit, "offset": offset}


@router.post("/rules", status_code=201, response_model=RuleRead)
async def create_conformance_rule(
    definition: Annotated[dict[str, Any], Body(description="One rule in the YAML rule format, as JSON")],
    request: Request,
    settings: SettingsDep,
) -> dict[str, Any]:
    return await committed(
        request,
        lambda session: add_rule(
            session,
            definition,
            rules_dir=settings.dab_rules_dir,
            config_file=settings.dab_rules_config_file,
        ),
    )


@router.delete("/rules/{rule_id}", status_code=204)
async def delete_conformance_rule(rule_id: str, request: Request, settings: SettingsDep) -> Response:
    """Delete a custom rule; built-in rules are disabled through the rules config instead."""
    await committed(request, lambda session: delete_rule(session, rule_id, rules_dir=settings.dab_rules_dir))
    return Response(status_code=204)
