"""Domains, owners, tags and data products: annotations that outlive re-ingestion.

Tag links and product memberships are keyed by the subject's URN with no foreign key to it:
a capsule or column that a re-ingestion drops keeps its API-made annotations, dormant, and
they apply again when it comes back. Reads join the subject, so dormant links stay hidden.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from dab.storage.records._base import URN, Base, new_uuid, utcnow


class DomainRecord(Base):
    __tablename__ = "domain"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    urn: Mapped[str] = mapped_column(URN, unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    owner: Mapped[str | None] = mapped_column(String(255))
    origin: Mapped[str] = mapped_column(String(16), default="dbt")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OwnerRecord(Base):
    __tablename__ = "owner"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    email: Mapped[str | None] = mapped_column(String(320))
    origin: Mapped[str] = mapped_column(String(16), default="dbt")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TagRecord(Base):
    __tablename__ = "tag"
    __table_args__ = (UniqueConstraint("category", "name"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    urn: Mapped[str] = mapped_column(URN, unique=True)
    name: Mapped[str] = mapped_column(String(255))
    category: Mapped[str] = mapped_column(String(64), default="general")
    description: Mapped[str | None] = mapped_column(Text)
    sensitivity_level: Mapped[str | None] = mapped_column(String(16))
    origin: Mapped[str] = mapped_column(String(16), default="api")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CapsuleTagRecord(Base):
    """TAGGED_WITH from a capsule; ``origin`` is dbt (replaced on ingest) or api (kept)."""

    __tablename__ = "capsule_tag"
    __table_args__ = (UniqueConstraint("capsule_urn", "tag_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    capsule_urn: Mapped[str] = mapped_column(URN, index=True)
    tag_id: Mapped[str] = mapped_column(ForeignKey("tag.id", ondelete="CASCADE"), index=True)
    origin: Mapped[str] = mapped_column(String(16), default="api")
    added_by: Mapped[str | None] = mapped_column(String(255))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class ColumnTagRecord(Base):
    __tablename__ = "column_tag"
    __table_args__ = (UniqueConstraint("column_urn", "tag_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    column_urn: Mapped[str] = mapped_column(URN, index=True)
    tag_id: Mapped[str] = mapped_column(ForeignKey("tag.id", ondelete="CASCADE"), index=True)
    origin: Mapped[str] = mapped_column(String(16), default="api")
    added_by: Mapped[str | None] = mapped_column(String(255))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class DataProductRecord(Base):
    __tablename__ = "data_product"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    urn: Mapped[str] = mapped_column(URN, unique=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    domain_id: Mapped[str | None] = mapped_column(ForeignKey("domain.id", ondelete="SET NULL"))
    owner: Mapped[str | None] = mapped_column(String(255))
    slo_freshness_hours: Mapped[float | None] = mapped_column(Float)
    slo_availability_percent: Mapped[float | None] = mapped_column(Float)
    slo_quality_threshold: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    version: Mapped[str] = mapped_column(String(32), default="1.0.0")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class CapsuleDataProductRecord(Base):
    """PART_OF: a capsule's membership of a data product, with its role (input, output, ...)."""

    __tablename__ = "capsule_data_product"
    __table_args__ = (UniqueConstraint("product_id", "capsule_urn"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    product_id: Mapped[str] = mapped_column(ForeignKey("data_product.id", ondelete="CASCADE"), index=True)
    capsule_urn: Mapped[str] = mapped_column(URN, index=True)
    role: Mapped[str] = mapped_column(String(32), default="member")
    added_by: Mapped[str | None] = mapped_column(String(255))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
