"""Operational state kept in the database: the cache generation every process can see."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from dab.storage.records._base import Base, utcnow


class CacheGenerationRecord(Base):
    """One row; its random ``token`` changes in every transaction that writes catalog data.

    Read caches put the token in their keys, so a write by any process (CLI, another worker,
    another replica, a restore) retires every cached read, even when Redis missed the bump.
    """

    __tablename__ = "cache_generation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    token: Mapped[str] = mapped_column(String(32))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
