"""Capsules, columns, lineage and tests: the graph as ingested."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from dab.storage.records._base import URN, Base, JSONType, utcnow


class ProjectRecord(Base):
    """One ingested dbt project; capsules belong to it."""

    __tablename__ = "project"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    source: Mapped[str] = mapped_column(String(32), default="dbt")
    adapter_type: Mapped[str | None] = mapped_column(String(64))
    dbt_version: Mapped[str | None] = mapped_column(String(32))
    manifest_schema_version: Mapped[int | None] = mapped_column(Integer)
    generated_at: Mapped[str | None] = mapped_column(String(64))
    last_ingested_at: Mapped[datetime | None]
    last_job_id: Mapped[str | None] = mapped_column(String(36))


class CapsuleRecord(Base):
    __tablename__ = "capsule"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    urn: Mapped[str] = mapped_column(URN, unique=True)
    project: Mapped[str] = mapped_column(String(255), index=True)
    source: Mapped[str] = mapped_column(String(32), default="dbt")
    capsule_type: Mapped[str] = mapped_column(String(32), index=True)
    namespace: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(512), index=True)
    unique_id: Mapped[str | None] = mapped_column(String(512))
    description: Mapped[str | None] = mapped_column(Text)
    database_name: Mapped[str | None] = mapped_column(String(255))
    schema_name: Mapped[str | None] = mapped_column(String(255))
    relation_name: Mapped[str | None] = mapped_column(String(1024))
    relation_key: Mapped[str | None] = mapped_column(String(1024), index=True)
    """``database.schema.table`` lower-cased, quotes stripped: how other sources find this node."""
    materialization: Mapped[str | None] = mapped_column(String(64))
    path: Mapped[str | None] = mapped_column(String(1024))
    layer: Mapped[str] = mapped_column(String(16), index=True, default="unknown")
    layer_evidence: Mapped[str | None] = mapped_column(String(255))
    domain_name: Mapped[str | None] = mapped_column(String(255), index=True)
    domain_evidence: Mapped[str | None] = mapped_column(String(255))
    owner: Mapped[str | None] = mapped_column(String(255), index=True)
    owner_evidence: Mapped[str | None] = mapped_column(String(255))
    dbt_tags: Mapped[list[str]] = mapped_column(JSONType, default=list)
    meta: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    access: Mapped[str | None] = mapped_column(String(32))
    group_name: Mapped[str | None] = mapped_column(String(255))
    version: Mapped[str | None] = mapped_column(String(32))
    contract_enforced: Mapped[bool] = mapped_column(Boolean, default=False)
    language: Mapped[str | None] = mapped_column(String(32))
    compiled_sql: Mapped[str | None] = mapped_column(Text)
    exposure_type: Mapped[str | None] = mapped_column(String(64))
    maturity: Mapped[str | None] = mapped_column(String(32))
    url: Mapped[str | None] = mapped_column(String(2048))
    source_name: Mapped[str | None] = mapped_column(String(255))
    freshness: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    dbt_config: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    """The dbt config keys conformance rules read; NULL for rows written before they were kept."""
    last_run_status: Mapped[str | None] = mapped_column(String(32))
    last_run_execution_time: Mapped[float | None] = mapped_column(Float)
    last_run_completed_at: Mapped[datetime | None]
    column_count: Mapped[int] = mapped_column(Integer, default=0)
    pii_column_count: Mapped[int] = mapped_column(Integer, default=0)
    content_hash: Mapped[str] = mapped_column(String(64))
    subtree_hash: Mapped[str | None] = mapped_column(String(64))
    """Digest of the capsule's columns and tests: equal means re-ingestion can skip them."""
    lineage_hash: Mapped[str | None] = mapped_column(String(64))
    """Digest of what the model's column lineage was derived from: equal means reuse the edges."""
    column_lineage: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    """The model's column-lineage coverage: status (full/partial/none) and misses."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ColumnRecord(Base):
    __tablename__ = "capsule_column"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    urn: Mapped[str] = mapped_column(URN, unique=True)
    project: Mapped[str] = mapped_column(String(255), index=True)
    capsule_urn: Mapped[str] = mapped_column(ForeignKey("capsule.urn", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(512), index=True)  # search's loose index scan
    description: Mapped[str | None] = mapped_column(Text)
    data_type: Mapped[str | None] = mapped_column(String(255))
    ordinal: Mapped[int | None] = mapped_column(Integer)
    meta: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    dbt_tags: Mapped[list[str]] = mapped_column(JSONType, default=list)
    constraints: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    stats: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    pii_type: Mapped[str | None] = mapped_column(String(64), index=True)
    pii_origin: Mapped[str | None] = mapped_column(String(32))
    """How pii_type was found: ``manual`` (API), ``metadata`` (dbt), ``lineage`` or ``name``."""
    semantic_type: Mapped[str | None] = mapped_column(String(64))
    is_masked: Mapped[bool] = mapped_column(Boolean, default=False)
    pii_confidence: Mapped[float | None] = mapped_column(Float)
    pii_evidence: Mapped[str | None] = mapped_column(String(1024))
    """The meta key, the name rule, or the upstream column the finding came from."""
    masking_function: Mapped[str | None] = mapped_column(String(64))
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class CapsuleLineageRecord(Base):
    """FLOWS_TO: data flows from source_urn (upstream) into target_urn (downstream)."""

    __tablename__ = "capsule_lineage"
    __table_args__ = (UniqueConstraint("source_urn", "target_urn", "edge_type"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project: Mapped[str] = mapped_column(String(255), index=True)
    source_urn: Mapped[str] = mapped_column(ForeignKey("capsule.urn", ondelete="CASCADE"))
    target_urn: Mapped[str] = mapped_column(ForeignKey("capsule.urn", ondelete="CASCADE"), index=True)
    edge_type: Mapped[str] = mapped_column(String(32), default="FLOWS_TO")
    source: Mapped[str] = mapped_column(String(32), default="dbt")
    """The ingestion source that asserted the edge (``dab.ingest.sources``)."""


class ColumnLineageRecord(Base):
    """DERIVED_FROM between columns, with the kind of transformation."""

    __tablename__ = "column_lineage"
    __table_args__ = (UniqueConstraint("source_urn", "target_urn"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project: Mapped[str] = mapped_column(String(255), index=True)
    source_urn: Mapped[str] = mapped_column(ForeignKey("capsule_column.urn", ondelete="CASCADE"))
    target_urn: Mapped[str] = mapped_column(ForeignKey("capsule_column.urn", ondelete="CASCADE"), index=True)
    transformation: Mapped[str] = mapped_column(String(32), default="identity")
    function: Mapped[str | None] = mapped_column(String(64))
    """The masking function of a masking edge."""
    source: Mapped[str] = mapped_column(String(32), default="dbt")


class SourceAssertionRecord(Base):
    """A source other than the node's owner says the node exists (e.g. an OpenLineage job
    writes the relation of a dbt source). Keyed by URN with no foreign key, like tag links:
    when the owner drops the node, the node is handed to an asserting source instead of deleted."""

    __tablename__ = "source_assertion"
    __table_args__ = (UniqueConstraint("subject_urn", "source"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    subject_urn: Mapped[str] = mapped_column(URN, index=True)
    source: Mapped[str] = mapped_column(String(32))
    project: Mapped[str] = mapped_column(String(255))
    """The project the asserting source writes under (the node's owner after a hand-over)."""
    asserted_at: Mapped[datetime] = mapped_column(default=utcnow)


class LineageEventRecord(Base):
    """Keys of the OpenLineage events already applied: a re-sent event changes nothing."""

    __tablename__ = "lineage_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_key: Mapped[str] = mapped_column(String(600), unique=True)
    """run id + event type + event time (UTC), see ``dab.ingest.openlineage.parser.event_key``."""
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class PiiClassificationRecord(Base):
    """A person's PII answer for a column, keyed by URN alone: no foreign key, so it survives
    re-ingestion and the column disappearing and coming back."""

    __tablename__ = "pii_classification"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    column_urn: Mapped[str] = mapped_column(URN, unique=True)
    is_pii: Mapped[bool] = mapped_column(Boolean)
    pii_type: Mapped[str | None] = mapped_column(String(64))
    is_masked: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class DataTestRecord(Base):
    __tablename__ = "data_test"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    urn: Mapped[str] = mapped_column(URN, unique=True)
    project: Mapped[str] = mapped_column(String(255), index=True)
    capsule_urn: Mapped[str] = mapped_column(ForeignKey("capsule.urn", ondelete="CASCADE"), index=True)
    column_name: Mapped[str | None] = mapped_column(String(512))
    column_urn: Mapped[str | None] = mapped_column(URN)
    name: Mapped[str] = mapped_column(String(1024))
    kind: Mapped[str] = mapped_column(String(32))
    test_name: Mapped[str | None] = mapped_column(String(255))
    severity: Mapped[str] = mapped_column(String(16), default="error")
    unique_id: Mapped[str | None] = mapped_column(String(1024))
    depends_on: Mapped[list[str]] = mapped_column(JSONType, default=list)
    config: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    status: Mapped[str | None] = mapped_column(String(32))
    failures: Mapped[int | None] = mapped_column(Integer)
    message: Mapped[str | None] = mapped_column(Text)
    path: Mapped[str | None] = mapped_column(String(1024))
    executed_at: Mapped[datetime | None]
    content_hash: Mapped[str] = mapped_column(String(64))


class TestResultRecord(Base):
    """History of test outcomes, one row per dbt invocation that ran the test."""

    __test__ = False
    __tablename__ = "test_result"
    __table_args__ = (UniqueConstraint("test_urn", "invocation_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    test_urn: Mapped[str] = mapped_column(ForeignKey("data_test.urn", ondelete="CASCADE"), index=True)
    invocation_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(32))
    failures: Mapped[int | None] = mapped_column(Integer)
    executed_at: Mapped[datetime | None]


class CapsuleRunRecord(Base):
    """History of dbt runs per capsule (status, timing)."""

    __tablename__ = "capsule_run"
    __table_args__ = (UniqueConstraint("capsule_urn", "invocation_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    capsule_urn: Mapped[str] = mapped_column(ForeignKey("capsule.urn", ondelete="CASCADE"), index=True)
    invocation_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(32))
    execution_time: Mapped[float | None] = mapped_column(Float)
    completed_at: Mapped[datetime | None]


Index("ix_capsule_project_type", CapsuleRecord.project, CapsuleRecord.capsule_type)
