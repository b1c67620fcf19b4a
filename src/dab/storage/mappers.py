"""Domain objects -> row dicts for bulk statements, each with a content hash for diffing."""

from __future__ import annotations

import hashlib
from dataclasses import asdict
from datetime import datetime
from typing import Any

import orjson

from dab.domain.capsule import Capsule, Freshness
from dab.domain.column import Column
from dab.domain.quality import DataTest
from dab.domain.relations import relation_key

_HASH_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS


def _default(value: Any) -> Any:
    if isinstance(value, tuple | set | frozenset):
        return list(value)
    return str(value)


# Bump when a mapping below changes, so stored rows are rewritten once on the next ingestion.
MAPPING_VERSION = b"2"


def content_hash(value: Any) -> str:
    """Stable digest of a parsed object (orjson serialises dataclasses natively, in C)."""
    payload = orjson.dumps(value, option=_HASH_OPTIONS, default=_default)
    return hashlib.blake2b(MAPPING_VERSION + payload, digest_size=16).hexdigest()


def jsonable(value: Any) -> Any:
    """Meta and stats go to JSON columns: make sure they round-trip (dates become strings)."""
    if not value:
        return value
    return orjson.loads(orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS, default=_default))


def _freshness(freshness: Freshness | None) -> dict[str, Any] | None:
    if freshness is None:
        return None
    out = asdict(freshness)
    for key in ("max_loaded_at", "snapshotted_at"):
        if isinstance(out[key], datetime):
            out[key] = out[key].isoformat()
    return out


def capsule_row(
    capsule: Capsule, project: str, digest: str, *, column_count: int, pii_count: int
) -> dict[str, Any]:
    run = capsule.last_run
    row: dict[str, Any] = {
        "urn": capsule.urn,
        "project": project,
        "source": capsule.source,
        "capsule_type": capsule.capsule_type.value,
        "namespace": capsule.namespace,
        "name": capsule.name,
        "unique_id": capsule.unique_id,
        "description": capsule.description or None,
        "database_name": capsule.database,
        "schema_name": capsule.schema,
        "relation_name": capsule.relation_name,
        "relation_key": relation_key(capsule.relation_name),
        "materialization": capsule.materialization,
        "path": capsule.path,
        "layer": capsule.layer_value,
        "layer_evidence": capsule.layer.evidence,
        "domain_name": capsule.domain.value,
        "domain_evidence": capsule.domain.evidence,
        "owner": capsule.owner.value,
        "owner_evidence": capsule.owner.evidence,
        "dbt_tags": list(capsule.tags),
        "meta": jsonable(dict(capsule.meta)),
        "access": capsule.access,
        "group_name": capsule.group,
        "version": capsule.version,
        "contract_enforced": capsule.contract_enforced,
        "language": capsule.language,
        "compiled_sql": capsule.compiled_sql,
        "exposure_type": capsule.exposure_type,
        "maturity": capsule.maturity,
        "url": capsule.url,
        "source_name": capsule.source_name,
        "freshness": _freshness(capsule.freshness),
        "dbt_config": None if capsule.config is None else jsonable(dict(capsule.config)),
        "last_run_status": run.status if run else None,
        "last_run_execution_time": run.execution_time if run else None,
        "last_run_completed_at": run.completed_at if run else None,
        "column_count": column_count,
        "pii_column_count": pii_count,
    }
    row["content_hash"] = digest
    return row


def column_row(column: Column, project: str, digest: str) -> dict[str, Any]:
    row: dict[str, Any] = {
        "urn": column.urn,
        "project": project,
        "capsule_urn": column.capsule_urn,
        "name": column.name,
        "description": column.description or None,
        "data_type": column.data_type,
        "ordinal": column.ordinal,
        "meta": jsonable(dict(column.meta)),
        "dbt_tags": list(column.tags),
        "constraints": jsonable([dict(c) for c in column.constraints]),
        "stats": jsonable(dict(column.stats)),
        "pii_type": column.pii_type,
        "pii_origin": column.pii_method or ("metadata" if column.pii_type else None),
        "semantic_type": column.semantic_type,
        "is_masked": column.is_masked,
        "pii_confidence": column.pii_confidence,
        "pii_evidence": column.pii_evidence,
        "masking_function": column.masking_function,
    }
    row["content_hash"] = digest
    return row


def test_row(test: DataTest, project: str, digest: str) -> dict[str, Any]:
    row: dict[str, Any] = {
        "urn": test.urn,
        "project": project,
        "capsule_urn": test.capsule_urn,
        "column_name": test.column_name,
        "column_urn": test.column_urn,
        "name": test.name,
        "kind": test.kind.value,
        "test_name": test.test_name,
        "severity": test.severity,
        "unique_id": test.unique_id,
        "depends_on": list(test.depends_on),
        "config": jsonable(dict(test.config)),
        "status": test.status,
        "failures": test.failures,
        "message": test.message,
        "executed_at": test.executed_at,
        "path": test.path,
    }
    row["content_hash"] = digest
    return row


test_row.__test__ = False  # type: ignore[attr-defined]
