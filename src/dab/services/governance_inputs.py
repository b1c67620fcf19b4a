"""Validated inputs of the governance writes (products, tags, domains), shared by API and CLI.

The API uses them as request bodies (a bad field is a 422 naming it); the CLI builds them with
``parse_input`` so the same rules give the same message.
"""

from __future__ import annotations

from typing import Annotated, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from dab.errors import InvalidInput

ProductStatus = Literal["draft", "active", "deprecated"]
MemberRole = Literal["input", "output", "internal"]
Sensitivity = Literal["public", "internal", "confidential", "restricted"]

Name = Annotated[str, Field(min_length=1, max_length=255, pattern=r"\S")]
Text = Annotated[str | None, Field(max_length=10_000)]
FreshnessHours = Annotated[float | None, Field(gt=0, le=24 * 366, description="Hours, > 0")]
AvailabilityPercent = Annotated[float | None, Field(ge=0, le=100, description="Percent, 0..100")]
QualityThreshold = Annotated[float | None, Field(ge=0, le=1, description="Share of passing tests, 0..1")]
Category = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")]
Person = Annotated[str | None, Field(max_length=255)]
Version = Annotated[str, Field(min_length=1, max_length=32)]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ProductCreate(_Input):
    name: Name
    description: Text = None
    domain_id: Annotated[str | None, Field(description="The domain's id, URN or name")] = None
    owner: Person = None
    status: ProductStatus = "draft"
    version: Version = "1.0.0"
    slo_freshness_hours: FreshnessHours = None
    slo_availability_percent: AvailabilityPercent = None
    slo_quality_threshold: QualityThreshold = None


class ProductUpdate(_Input):
    name: Name | None = None
    description: Text = None
    domain_id: str | None = None
    owner: Person = None
    status: ProductStatus | None = None
    version: Version | None = None
    slo_freshness_hours: FreshnessHours = None
    slo_availability_percent: AvailabilityPercent = None
    slo_quality_threshold: QualityThreshold = None


class MembershipCreate(_Input):
    role: MemberRole = "output"
    added_by: Person = None


class TagCreate(_Input):
    name: Name
    category: Category = "general"
    description: Text = None
    sensitivity_level: Sensitivity | None = None


class TagUpdate(_Input):
    name: Name | None = None
    category: Category | None = None
    description: Text = None
    sensitivity_level: Sensitivity | None = None


class TagApply(_Input):
    added_by: Person = None


class DomainCreate(_Input):
    name: Name
    description: Text = None
    owner: Person = None


class DomainUpdate(_Input):
    description: Text = None
    owner: Person = None


M = TypeVar("M", bound=BaseModel)


def parse_input(model: type[M], values: dict[str, object]) -> M:
    """Build an input outside the API; the first invalid field becomes an InvalidInput naming it."""
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InvalidInput(f"{where}: {first['msg']}", location=where) from exc


def not_null(values: dict[str, object], *fields: str) -> None:
    """PATCH may clear optional fields but not these."""
    for name in fields:
        if name in values and values[name] is None:
            raise InvalidInput(f"{name} cannot be null", location=f"body.{name}")
