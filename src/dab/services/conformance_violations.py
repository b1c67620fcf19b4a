"""Read the latest score and the stored violations; change a violation's status by hand."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from dab.errors import InvalidInput, NotFound
from dab.storage.records import utcnow
from dab.storage.repositories.violations import ViolationFilter, ViolationRepository

STATUSES = ("open", "acknowledged", "waived", "resolved")
TRANSITIONS: dict[str, frozenset[str]] = {
    "open": frozenset({"acknowledged", "waived", "resolved"}),
    "acknowledged": frozenset({"open", "waived", "resolved"}),
    "waived": frozenset({"open", "acknowledged"}),
    "resolved": frozenset({"open"}),
}


def violation_read(row: dict[str, Any]) -> dict[str, Any]:
    out = dict(row)
    out["violation_id"] = out.pop("id")
    return out


def run_read(run: dict[str, Any]) -> dict[str, Any]:
    parts = run.get("breakdown") or {}
    return {
        "run_id": run["id"],
        "scope": run["scope"],
        "score": run["score"],
        "weighted_score": run["weighted_score"],
        "applicable": run["applicable"],
        "passed": run["passed"],
        "failed": run["failed"],
        "by_rule_set": parts.get("by_rule_set", {}),
        "by_layer": parts.get("by_layer", {}),
        "by_severity": parts.get("by_severity", {}),
        "by_rule": parts.get("by_rule", {}),
        "violations_by_severity": parts.get("violations_by_severity", {}),
        "evaluated_at": run["finished_at"] or run["started_at"],
    }


async def latest_score(session: AsyncSession) -> dict[str, Any]:
    """The latest full evaluation (or the latest of any scope when no full one was stored)."""
    repo = ViolationRepository(session)
    run = await repo.latest_run(full_only=True) or await repo.latest_run()
    if run is None:
        raise NotFound("conformance has never been evaluated; POST /api/v1/conformance/evaluate first")
    return run_read(run)


async def list_violations(
    session: AsyncSession, filters: ViolationFilter, *, limit: int, offset: int
) -> dict[str, Any]:
    rows, total = await ViolationRepository(session).list_page(filters, limit=limit, offset=offset)
    return {"data": [violation_read(r) for r in rows], "total": total, "limit": limit, "offset": offset}


def _check_change(current: str, status: str, by: str, reason: str | None) -> None:
    if status not in STATUSES:
        raise InvalidInput(f"status must be one of {', '.join(STATUSES)}", location="body.status")
    if not by.strip():
        raise InvalidInput("by: who changes the status is required", location="body.by")
    if status == "waived" and not (reason or "").strip():
        raise InvalidInput("reason: required to waive a violation", location="body.reason")
    if status not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(TRANSITIONS[current]))
        raise InvalidInput(
            f"cannot change status from {current} to {status} (allowed: {allowed})", location="body.status"
        )


async def change_status(
    session: AsyncSession, violation_id: str, *, status: str, by: str, reason: str | None
) -> dict[str, Any]:
    """Record who changed the status, why and when; a bad transition is a 422."""
    repo = ViolationRepository(session)
    current = await repo.get(violation_id)
    if current is None:
        raise NotFound(f"no violation {violation_id}")
    _check_change(current["status"], status, by, reason)
    now = utcnow()
    values: dict[str, Any] = {
        "status": status,
        "status_changed_by": by.strip(),
        "status_reason": reason,
        "status_changed_at": now,
        "resolved_at": now if status == "resolved" else None,
    }
    await repo.set_status(violation_id, values)
    updated = await repo.get(violation_id)
    assert updated is not None
    return violation_read(updated)
