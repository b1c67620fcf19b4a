"""Response shapes of the catalog read API (documentation; bodies are served as cached JSON)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class CapsuleRead(BaseModel):
    id: int
    urn: str
    name: str
    capsule_type: str
    layer: str
    domain: str | None
    owner: str | None
    source: str
    description: str | None
    materialization: str | None
    column_count: int
    pii_column_count: int
    updated_at: datetime


class TagLink(BaseModel):
    id: str
    urn: str
    name: str
    category: str
    origin: str


class TestRead(BaseModel):
    urn: str
    name: str
    kind: str
    column: str | None = None
    severity: str
    status: str | None
    executed_at: datetime | None


class ProductLink(BaseModel):
    id: str
    urn: str
    name: str
    role: str


class LastRun(BaseModel):
    status: str | None
    execution_time: float | None
    completed_at: datetime | None


class CapsuleDetail(CapsuleRead):
    project: str
    namespace: str
    unique_id: str | None
    layer_evidence: str | None
    domain_evidence: str | None
    owner_evidence: str | None
    database_name: str | None
    schema_name: str | None
    relation_name: str | None
    path: str | None
    source_name: str | None
    access: str | None
    group_name: str | None
    version: str | None
    exposure_type: str | None
    maturity: str | None
    url: str | None
    freshness: dict[str, Any] | None
    meta: dict[str, Any]
    created_at: datetime
    last_run: LastRun
    asserted_by: list[str] = Field(description="Sources asserting this node: dbt, openlineage, ...")
    tags: list[TagLink]
    tests: list[TestRead]
    data_products: list[ProductLink]


class ColumnRead(BaseModel):
    id: int
    urn: str
    name: str
    capsule_urn: str
    data_type: str | None
    ordinal: int | None
    description: str | None
    pii_type: str | None
    semantic_type: str | None
    is_masked: bool


class ColumnDetail(ColumnRead):
    pii_origin: str | None
    meta: dict[str, Any]
    dbt_tags: list[str]
    constraints: list[Any]
    stats: dict[str, Any]
    updated_at: datetime
    tags: list[TagLink]
    tests: list[TestRead]


class ViolationRead(BaseModel):
    violation_id: str
    rule_id: str
    rule_set: str
    severity: str
    category: str
    subject_urn: str
    message: str
    remediation: str | None
    status: str
    first_seen_at: datetime
    last_seen_at: datetime
    resolved_at: datetime | None


class LineageNode(BaseModel):
    urn: str
    name: str | None = None
    distance: int
    """Negative upstream of the root, positive downstream, 0 for the root."""
    capsule_type: str | None = None
    layer: str | None = None
    owner: str | None = None
    capsule_urn: str | None = None
    data_type: str | None = None


class LineageEdge(BaseModel):
    source: str
    target: str
    kind: str


class LineageRead(BaseModel):
    root: str
    direction: str
    depth: int
    nodes: list[LineageNode]
    edges: list[LineageEdge]


class ImpactedCapsule(LineageNode):
    path: list[str]


class OwnerToNotify(BaseModel):
    owner: str
    capsules: list[str]


class ImpactRead(BaseModel):
    root: str
    depth: int
    total: int
    impacted: list[ImpactedCapsule]
    owners: list[OwnerToNotify]


class DomainRead(BaseModel):
    id: str
    urn: str
    name: str
    description: str | None
    owner: str | None
    origin: str
    capsule_count: int


class DomainDetail(DomainRead):
    capsules_by_layer: dict[str, int]


class SearchHit(BaseModel):
    kind: str
    urn: str
    name: str
    context: str | None
    score: float
    match: str


class SearchRead(BaseModel):
    query: str
    kind: str | None
    limit: int
    data: list[SearchHit]
