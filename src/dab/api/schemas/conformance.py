"""Conformance request and response shapes."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from dab.services.conformance_evaluate import EvaluationRequest

LayerName = Literal["bronze", "silver", "gold", "unknown"]
SeverityName = Literal["critical", "error", "warning", "info"]
ViolationStatus = Literal["open", "acknowledged", "waived", "resolved"]
COMPANIONS: dict[str, str] = {
    "layer": "layer",
    "domain": "domain",
    "capsule": "capsule_urn",
    "rule_sets": "rule_sets",
}


class EvaluateBody(BaseModel):
    """``scope`` picks what is evaluated; each non-full scope needs its companion field."""

    model_config = ConfigDict(extra="forbid")

    scope: Literal["full", "layer", "domain", "capsule", "rule_sets"] = "full"
    layer: LayerName | None = None
    domain: str | None = Field(default=None, min_length=1, max_length=255)
    capsule_urn: str | None = Field(default=None, min_length=1, max_length=512)
    rule_sets: list[str] | None = Field(default=None, min_length=1)
    persist_violations: bool | None = Field(
        default=None, description="Store the run and its violations (default: only for scope=full)"
    )
    violations_limit: int = Field(default=100, ge=0, le=10_000, description="Violations in the answer")

    @model_validator(mode="after")
    def _companion_field(self) -> EvaluateBody:
        needed = COMPANIONS.get(self.scope)
        if needed is not None and getattr(self, needed) is None:
            raise ValueError(f"scope '{self.scope}' requires the field '{needed}'")
        return self

    def to_request(self) -> EvaluationRequest:
        return EvaluationRequest(
            scope=self.scope,
            layer=self.layer,
            domain=self.domain,
            capsule_urn=self.capsule_urn,
            rule_sets=tuple(self.rule_sets or ()),
            persist_violations=self.persist_violations,
            violations_limit=self.violations_limit,
        )


class TallyRead(BaseModel):
    applicable: int
    passed: int
    failed: int
    score: float


class RuleResultRead(TallyRead):
    rule_id: str
    rule_set: str
    severity: str


class FoundViolation(BaseModel):
    fingerprint: str
    rule_id: str
    rule_set: str
    severity: str
    category: str
    subject_urn: str
    capsule_urn: str | None
    layer: str | None
    message: str
    remediation: str | None


class FoundViolationPage(BaseModel):
    data: list[FoundViolation]
    total: int
    limit: int
    offset: int


class LifecycleRead(BaseModel):
    opened: int
    seen_again: int
    reopened: int
    resolved: int


class EvaluationRead(BaseModel):
    scope: dict[str, Any]
    score: float
    weighted_score: float
    applicable: int
    passed: int
    failed: int
    rules: list[RuleResultRead]
    by_rule_set: dict[str, TallyRead]
    by_layer: dict[str, TallyRead]
    by_severity: dict[str, TallyRead]
    violations_by_severity: dict[str, int]
    violations: FoundViolationPage
    run_id: str | None
    persisted: bool
    lifecycle: LifecycleRead | None
    evaluated_at: datetime
    duration_ms: float


class ScoreRead(BaseModel):
    run_id: str
    scope: dict[str, Any]
    score: float
    weighted_score: float
    applicable: int
    passed: int
    failed: int
    by_rule_set: dict[str, TallyRead]
    by_layer: dict[str, TallyRead]
    by_severity: dict[str, TallyRead]
    by_rule: dict[str, TallyRead]
    violations_by_severity: dict[str, int]
    evaluated_at: datetime


class ViolationRead(FoundViolation):
    violation_id: str
    status: ViolationStatus
    status_changed_by: str | None
    status_reason: str | None
    status_changed_at: datetime | None
    first_seen_at: datetime
    last_seen_at: datetime
    resolved_at: datetime | None
    last_run_id: str | None


class ViolationStatusUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: ViolationStatus
    by: str = Field(min_length=1, max_length=255, description="Who changes the status")
    reason: str | None = Field(default=None, max_length=4000, description="Why (required to waive)")


class RuleRead(BaseModel):
    rule_id: str
    name: str
    description: str
    severity: str
    category: str
    rule_set: str
    scope: str
    enabled: bool
    remediation: str
    doc_url: str
    check: dict[str, Any]
    when: dict[str, Any]
    origin: Literal["builtin", "file", "api"]
