"""Operational state kept in the database: the cache generation every process can see, and
the SQL facts cache."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Integer, String, Text
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


class SqlFactRecord(Base):
    """What the rules need from one compiled SQL statement (``dab.rules.sqlfacts.SqlFacts``).

    A cache shared by every process: an evaluation reads all rows of the running sqlglot version
    at once instead of parsing every model again. Keyed by a digest of dialect and SQL text,
    and the sqlglot version, because another version may parse the same text differently.
    """

    __tablename__ = "sql_fact"

    sqlglot_version: Mapped[str] = mapped_column(String(32), primary_key=True)
    digest: Mapped[str] = mapped_column(String(32), primary_key=True)
    join_count: Mapped[int] = mapped_column(Integer)
    qualified_tables: Mapped[str] = mapped_column(Text)
    """JSON list of lower-cased dotted names, as text (read back with orjson, no type processor)."""
    parsed: Mapped[bool] = mapped_column(Boolean)
    star_reads: Mapped[str] = mapped_column(Text)
