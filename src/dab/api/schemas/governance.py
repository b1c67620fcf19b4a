"""Response shapes of products, tags and domains (request bodies live in services.governance_inputs)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel


class ProductRead(BaseModel):
    id: str
    urn: str
    name: str
    description: str | None
    domain_id: str | None
    domain: str | None
    owner: str | None
    status: str
    version: str
    slo_freshness_hours: float | None
    slo_availability_percent: float | None
    slo_quality_threshold: float | None
    capsule_count: int
    created_at: datetime
    updated_at: datetime


class MemberRead(BaseModel):
    urn: str
    capsule_id: int | None
    name: str | None
    capsule_type: str | None
    layer: str | None
    role: str
    added_by: str | None
    added_at: datetime
    present: bool


class MembershipRead(BaseModel):
    product_id: str
    capsule_urn: str
    role: str
    added_by: str | None
    added_at: datetime


class SloMetric(BaseModel):
    met: bool | None
    target: float | None
    actual: float | None
    reason: str | None
    evidence: dict[str, Any]


class SloStatusRead(BaseModel):
    product_id: str
    product_urn: str
    freshness_met: bool | None
    availability_met: bool | None
    quality_met: bool | None
    overall_status: str
    freshness: SloMetric
    availability: SloMetric
    quality: SloMetric
    evaluated_at: datetime
    window_days: int


class TagRead(BaseModel):
    id: str
    urn: str
    name: str
    category: str
    description: str | None
    sensitivity_level: str | None
    origin: str
    created_at: datetime
    capsule_count: int
    column_count: int


class TagLinkRead(BaseModel):
    tag_id: str
    tag_urn: str
    capsule_urn: str | None = None
    column_urn: str | None = None
    origin: str
    added_by: str | None
    added_at: datetime


class TaggedRead(BaseModel):
    id: int
    urn: str
    name: str
    capsule_type: str | None = None
    capsule_urn: str | None = None
    origin: str
    added_by: str | None
    added_at: datetime
