"""Ingestion request and job shapes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class DbtIngestBody(BaseModel):
    """The runbook's JSON body: artifacts inline as JSON objects."""

    project_name: str | None = Field(default=None, max_length=255)
    manifest: dict[str, Any]
    catalog: dict[str, Any] | None = None
    run_results: dict[str, Any] | None = None
    sources: dict[str, Any] | None = None


class JobError(BaseModel):
    message: str
    artifact: str | None = None
    json_path: str | None = None


class IngestJobRead(BaseModel):
    job_id: str
    source: str
    project_name: str | None
    status: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    duration_seconds: float | None
    stats: dict[str, Any]
    warnings: list[dict[str, Any]]
    error: JobError | None
    retry_of: str | None
