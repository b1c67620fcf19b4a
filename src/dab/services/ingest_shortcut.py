"""Byte-identical re-ingestion: recognise input that a project's last write already holds.

Pipelines often upload the same artifacts again. When the artifacts' digests, the project name
and the parse settings all equal those of the job that last wrote the project, the result is
known without parsing: nothing changes. Input that differs only in the stamps a new dbt
invocation writes (``ingest/dbt/content.py``) is recognised by its content digest, after
inflating but before decoding: nothing changes but the project's ``generated_at``. Any other
difference takes the full path, whose diff then finds what really changed.
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
    parts.append(parse_settings(project_name, layer_rules, masking_functions))
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def parse_settings(
    project_name: str | None, layer_rules: LayerRules | None, masking_functions: Sequence[str] = ()
) -> str:
    """Everything besides the artifacts that the stored result of a parse depends on."""
    parts = [
        f"project={project_name}",
        f"rules={layer_rules!r}",
        f"mapping={MAPPING_VERSION!r}",
        f"masking={sorted(masking_functions)!r}",
        __version__,
    ]
    return "\n".join(parts)


LastWrite = tuple[str, str, dict[str, Any]]
"""(project, job id, stats) of a project's last completed write."""


async def last_writes(session: AsyncSession) -> list[LastWrite]:
    rows = await session.execute(
        select(ProjectRecord.name, IngestionJobRecord.id, IngestionJobRecord.stats)
        .join(IngestionJobRecord, IngestionJobRecord.id == ProjectRecord.last_job_id)
        .where(IngestionJobRecord.status == "completed")
    )
    return [(project, job_id, stats or {}) for project, job_id, stats in rows]


def identical_write(writes: Sequence[LastWrite], fingerprint: str) -> LastWrite | None:
    """The last write whose input was byte for byte this one."""
    return next((write for write in writes if write[2].get("input_fingerprint") == fingerprint), None)


def writes_by_content(writes: Sequence[LastWrite]) -> dict[str, LastWrite]:
    """Last writes by the content digest of their input (writes made before it was kept have none)."""
    return {write[2]["content_fingerprint"]: write for write in writes if write[2].get("content_fingerprint")}


def _all_reused(coverage: Mapping[str, Any]) -> dict[str, Any]:
    """The coverage of the write equalled, with every model's lineage reused, none derived."""
    if "derived" not in coverage:
        return dict(coverage)
    return {**coverage, "derived": 0, "reused": coverage.get("models", 0)}


def unchanged_stats(previous: Mapping[str, Any]) -> dict[str, Any]:
    """The stats of a write that changed nothing, carried over from the write it equals."""
    stats: dict[str, Any] = {kind: {"created": 0, "updated": 0, "deleted": 0} for kind in DIFF_KINDS}
    stats.update(
        domains_created=0,
        owners_created=0,
        totals=previous.get("totals", {}),
        warnings=previous.get("warnings", 0),
        column_lineage=_all_reused(previous.get("column_lineage") or {}),
        pii=previous.get("pii", {}),
        input_fingerprint=previous.get("input_fingerprint"),
        content_fingerprint=previous.get("content_fingerprint"),
    )
    return stats
