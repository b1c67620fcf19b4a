"""Custom rules stored through the API: the ``rule`` table (built-ins ship as package data)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from dab.storage.records import RuleRecord


class RuleRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def list_definitions(self) -> list[tuple[str, dict[str, Any]]]:
        """(rule_set, definition) of every stored rule, in rule id order."""
        rows = await self._session.execute(
            select(RuleRecord.rule_set, RuleRecord.definition).order_by(RuleRecord.rule_id)
        )
        return [(rule_set, dict(definition)) for rule_set, definition in rows]

    async def exists(self, rule_id: str) -> bool:
        found = await self._session.scalar(select(RuleRecord.id).where(RuleRecord.rule_id == rule_id))
        return found is not None

    async def add(
        self, *, rule_id: str, rule_set: str, severity: str, category: str, definition: dict[str, Any]
    ) -> None:
        self._session.add(
            RuleRecord(
                rule_id=rule_id,
                rule_set=rule_set,
                severity=severity,
                category=category,
                definition=definition,
                origin="api",
            )
        )
        await self._session.flush()

    async def delete(self, rule_id: str) -> bool:
        result = await self._session.execute(delete(RuleRecord).where(RuleRecord.rule_id == rule_id))
        return bool(getattr(result, "rowcount", 0))
