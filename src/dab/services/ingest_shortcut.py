"""Byte-identical re-ingestion: recognise input that a project's last write already holds.

Pipelines often upload the same artifacts again. When the artifacts' digests, the project name
and the parse settings all equal those of the job that last wrote the project, the result is
known without parsing: nothing changes. Any difference (even a new ``generated_at``) takes
the full path, whose diff then finds what really changed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dab import __version__
from dab.ingest.dbt import LayerRules
from dab.storage.mappers import MAPPING_VERSION
from dab.storage.records import IngestionArtifactRecord, IngestionJobRecord, ProjectRecord

DIFF_KINDS = ("capsules", "columns", "tests", "lineage_edges", "column_lineage_edges", "tag_links")


async def input_fingerprint(
    session: AsyncSession,
    job_id: str,
    project_name: str | None,
    layer_rules: LayerRules | None,
    masking_functions: Sequence[str] = (),
) -> str:
    digests = await session.execute(
        select(IngestionArtifactRecord.kind, IngestionArtifactRecord.sha256)
        .where(IngestionArtifactRecord.job_id == job_id)
        .order_by(IngestionArtifactRecord.kind)
    )
    parts = [f"{kind}={sha}" for kind, sha in digests]
    parts += [
        f"project={project_name}",
        f"rules={layer_rules!r}",
        f"mapping={MAPPING_VERSION!r}",
        f"masking={sorted(masking_functions)!r}",
        __version__,
    ]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


async def last_identical_write(
    session: AsyncSession, fingerprint: str
) -> tuple[str, str, dict[str, Any]] | None:
    """(project, job id, stats) of the project whose last write had exactly this input."""
    rows = await session.execute(
        select(ProjectRecord.name, IngestionJobRecord.id, IngestionJobRecord.stats)
        .join(IngestionJobRecord, IngestionJobRecord.id == ProjectRecord.last_job_id)
        .where(IngestionJobRecord.status == "completed")
    )
    for project, job_id, stats in rows:
        if (stats or {}).get("input_fingerprint") == fingerprint:
            return project, job_id, stats
    return None


def unchanged_stats(previous: Mapping[str, Any]) -> dict[str, Any]:
    stats: dict[str, Any] = {kind: {"created": 0, "updated": 0, "deleted": 0} for kind in DIFF_KINDS}
    stats.update(
        domains_created=0,
        owners_created=0,
        totals=previous.get("totals", {}),
        warnings=previous.get("warnings", 0),
        column_lineage=previous.get("column_lineage", {}),
        pii=previous.get("pii", {}),
        input_fingerprint=previous.get("input_fingerprint"),
        identical_to_job=previous.get("identical_to_job"),
    )
    return stats
