"""Compliance (PII) shapes: inventory items, exposure items, manual classification body."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator


class PiiColumnRead(BaseModel):
    urn: str
    name: str
    capsule_urn: str
    capsule_name: str | None = None
    capsule_type: str | None = None
    layer: str | None = None
    domain: str | None = None
    data_type: str | None = None
    pii_type: str
    risk: str
    masked: bool
    method: str | None = None
    confidence: float | None = None
    evidence: str | None = None
    masking_function: str | None = None


class GroupCount(BaseModel):
    model_config = ConfigDict(extra="allow")
    count: int


class PiiInventoryRead(BaseModel):
    data: list[PiiColumnRead]
    total: int
    limit: int
    offset: int
    groups: list[GroupCount] | None = None


class PathHop(BaseModel):
    urn: str
    kind: str | None = None
    function: str | None = None


class PiiExposureItem(PiiColumnRead):
    severity: str
    reasons: list[str]
    exposures: list[str]
    path: list[PathHop]
    recommendation: str


class PiiExposureRead(BaseModel):
    data: list[PiiExposureItem]
    total: int


class ClassificationUpdate(BaseModel):
    """``{"pii_type": "email", "masked": false, "reason": "..."}`` or ``{"pii": false}``."""

    model_config = ConfigDict(extra="forbid")
    pii: bool = True
    pii_type: str | None = Field(default=None, max_length=64)
    masked: bool = False
    reason: str | None = Field(default=None, max_length=2000)

    @model_validator(mode="after")
    def _type_when_pii(self) -> ClassificationUpdate:
        if self.pii and self.pii_type is None:
            raise ValueError("pii_type is required unless pii is false")
        return self
