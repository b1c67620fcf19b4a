"""Response shapes of OpenLineage ingestion and the source registry."""

from __future__ import annotations

from pydantic import BaseModel, Field


class LineageResult(BaseModel):
    received: int
    applied: int = Field(description="Events not seen before (run id + event type + event time)")
    duplicates: int
    jobs: int = 0
    datasets: int = 0
    matched_dbt_nodes: dict[str, str] = Field(
        default_factory=dict, description="Dataset URN -> the dbt node naming the same relation"
    )
    lineage_edges: int = 0
    column_lineage_edges: int = 0
    fields_not_in_dbt: int = 0
    runs: int = 0


class SourceRead(BaseModel):
    name: str
    semantics: str = Field(description="snapshot (absent nodes are removed) or incremental (upsert only)")
    summary: str
    inputs: str
    api: str
