"""Data tests attached to capsules and columns, with their latest result."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class TestKind(StrEnum):
    __test__ = False  # not a pytest class

    UNIQUE = "unique"
    NOT_NULL = "not_null"
    RELATIONSHIPS = "relationships"
    ACCEPTED_VALUES = "accepted_values"
    GENERIC = "generic"
    SINGULAR = "singular"


@dataclass(frozen=True, slots=True)
class DataTest:
    __test__ = False

    urn: str
    name: str
    kind: TestKind
    capsule_urn: str
    column_name: str | None = None
    column_urn: str | None = None
    severity: str = "error"
    unique_id: str | None = None
    test_name: str | None = None
    """The generic test's macro name (``unique``, ``dbt_utils.expression_is_true``)."""
    depends_on: tuple[str, ...] = ()
    config: Mapping[str, Any] = field(default_factory=dict)
    status: str | None = None
    failures: int | None = None
    message: str | None = None
    executed_at: datetime | None = None
    path: str | None = None
    """The file defining the test (properties YAML of a generic test)."""
