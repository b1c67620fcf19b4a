"""Rules, conformance runs and violations with their lifecycle."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from dab.storage.records._base import URN, Base, JSONType, new_uuid, utcnow


class RuleRecord(Base):
    """A custom rule added through the API (built-ins ship as package data)."""

    __tablename__ = "rule"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    rule_id: Mapped[str] = mapped_column(String(128), unique=True)
    rule_set: Mapped[str] = mapped_column(String(64), default="custom")
    severity: Mapped[str] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(64))
    definition: Mapped[dict[str, Any]] = mapped_column(JSONType)
    origin: Mapped[str] = mapped_column(String(16), default="api")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ConformanceRunRecord(Base):
    __tablename__ = "conformance_run"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    scope: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    score: Mapped[float] = mapped_column(Float)
    weighted_score: Mapped[float] = mapped_column(Float)
    applicable: Mapped[int] = mapped_column(Integer)
    passed: Mapped[int] = mapped_column(Integer)
    failed: Mapped[int] = mapped_column(Integer)
    breakdown: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)


class ViolationRecord(Base):
    """A failing (rule, subject) pair; the fingerprint is stable across runs."""

    __tablename__ = "violation"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    rule_id: Mapped[str] = mapped_column(String(128), index=True)
    rule_set: Mapped[str] = mapped_column(String(64))
    severity: Mapped[str] = mapped_column(String(16), index=True)
    category: Mapped[str] = mapped_column(String(64), index=True)
    subject_urn: Mapped[str] = mapped_column(URN)
    capsule_urn: Mapped[str | None] = mapped_column(URN, index=True)
    layer: Mapped[str | None] = mapped_column(String(16))
    message: Mapped[str] = mapped_column(Text)
    remediation: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    status_changed_by: Mapped[str | None] = mapped_column(String(255))
    status_reason: Mapped[str | None] = mapped_column(Text)
    status_changed_at: Mapped[datetime | None]
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
    last_run_id: Mapped[str | None] = mapped_column(ForeignKey("conformance_run.id", ondelete="SET NULL"))
