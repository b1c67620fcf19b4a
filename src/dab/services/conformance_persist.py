"""Store an evaluation: one conformance_run row, violations upserted by fingerprint.

Lifecycle (DESIGN.md §5): a new fingerprint opens a violation (first_seen = last_seen = now);
one seen again moves last_seen and keeps acknowledged/waived, re-opening a resolved one; open
and acknowledged violations in the run's scope that the run did not produce are resolved.
Waived ones stay waived. Every write is a batched statement; nothing is committed here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from dab.rules import EvaluationResult
from dab.services.conformance_read import breakdown, violation_fields
from dab.storage.records import new_uuid
from dab.storage.repositories.violations import UNRESOLVED, RunScope, ViolationRepository


@dataclass(frozen=True, slots=True)
class PersistOutcome:
    run_id: str
    opened: int
    seen_again: int
    reopened: int
    resolved: int


async def persist_result(
    session: AsyncSession,
    result: EvaluationResult,
    *,
    scope: dict[str, Any],
    run_scope: RunScope,
    started_at: datetime,
    now: datetime,
) -> PersistOutcome:
    repo = ViolationRepository(session)
    await repo.lock_runs()
    run_id = await repo.add_run(
        {
            "scope": scope,
            "started_at": started_at,
            "finished_at": now,
            "score": result.score,
            "weighted_score": result.weighted_score,
            "applicable": result.applicable,
            "passed": result.applicable - result.failed,
            "failed": result.failed,
            "breakdown": breakdown(result),
        }
    )
    existing = await repo.statuses()
    new_rows: dict[str, dict[str, Any]] = {}
    seen_rows: dict[str, dict[str, Any]] = {}
    unchanged: dict[str, str] = {}
    reopened = 0
    for violation in result.violations:
        fields = violation_fields(violation)
        found = existing.get(violation.fingerprint)
        if found is None:
            new_rows[violation.fingerprint] = {
                **fields,
                "last_seen_at": now,
                "last_run_id": run_id,
                "id": new_uuid(),
                "fingerprint": violation.fingerprint,
                "status": "open",
                "first_seen_at": now,
            }
            continue
        violation_id, status, content = found
        if status != "resolved" and content == tuple(fields.values()):
            unchanged[violation.fingerprint] = violation_id
            continue
        values = {**fields, "last_seen_at": now, "last_run_id": run_id, "id": violation_id}
        if status == "resolved" and violation.fingerprint not in seen_rows:
            values.update(status="open", resolved_at=None)
            reopened += 1
        seen_rows[violation.fingerprint] = values
    await repo.insert_many(list(new_rows.values()))
    await repo.update_many(list(seen_rows.values()))
    if run_scope.clauses():
        await repo.touch(sorted(set(unchanged.values())), run_id, now)
        resolved = await repo.resolve_missing(run_id, now, run_scope)
    else:
        resolved = await _settle_full_run(repo, result, existing, unchanged, run_id, now)
    seen = len(seen_rows) + len(unchanged.keys() - seen_rows.keys())
    return PersistOutcome(run_id, len(new_rows), seen, reopened, resolved)


async def _settle_full_run(
    repo: ViolationRepository,
    result: EvaluationResult,
    existing: dict[str, tuple[str, str, tuple[Any, ...]]],
    unchanged: dict[str, str],
    run_id: str,
    now: datetime,
) -> int:
    """A full run speaks for every stored violation, and most are seen again unchanged: resolve
    the few it did not produce (known from ``existing``), then touch every open or acknowledged
    one in a single statement instead of naming ~45k ids. Waived ones seen again are named."""
    produced = {v.fingerprint for v in result.violations}
    missing = sorted(
        found[0] for fp, found in existing.items() if found[1] in UNRESOLVED and fp not in produced
    )
    resolved = await repo.resolve_ids(missing, now)
    await repo.touch_unresolved(run_id, now)
    waived = sorted(vid for fp, vid in unchanged.items() if existing[fp][1] not in UNRESOLVED)
    await repo.touch(waived, run_id, now)
    return resolved
