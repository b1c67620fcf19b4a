"""Ingestion jobs and the compressed artifacts kept so a job can be retried."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from dab.storage.records._base import Base, JSONType, new_uuid, utcnow


class IngestionJobRecord(Base):
    __tablename__ = "ingestion_job"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    source: Mapped[str] = mapped_column(String(32), default="dbt")
    project: Mapped[str | None] = mapped_column(String(255), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True, default="pending")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    stats: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    warnings: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    retry_of: Mapped[str | None] = mapped_column(String(36))
    worker: Mapped[str | None] = mapped_column(String(255))
    """host:pid of the process running the job (informational: the lease decides liveness)."""
    heartbeat_at: Mapped[datetime | None]
    """Renewed while the job runs; a pending/running job whose lease expired was abandoned."""


class IngestionArtifactRecord(Base):
    __tablename__ = "ingestion_artifact"
    __table_args__ = (UniqueConstraint("job_id", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("ingestion_job.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    content_gzip: Mapped[bytes] = mapped_column(LargeBinary)
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
