"""Case-insensitive substring matching shared by the list filters and search."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import ColumnElement

ESCAPE = "\\"
T = TypeVar("T")


def escape_like(text: str) -> str:
    """Escape LIKE wildcards so user input matches literally."""
    return text.replace(ESCAPE, ESCAPE * 2).replace("%", f"{ESCAPE}%").replace("_", f"{ESCAPE}_")


def icontains(column: Any, text: str) -> ColumnElement[bool]:
    """ILIKE on PostgreSQL, lower(x) LIKE lower(y) elsewhere."""
    result: ColumnElement[bool] = column.ilike(f"%{escape_like(text)}%", escape=ESCAPE)
    return result


def istartswith(column: Any, text: str) -> ColumnElement[bool]:
    result: ColumnElement[bool] = column.ilike(f"{escape_like(text)}%", escape=ESCAPE)
    return result


def chunked(items: list[T], size: int = 500) -> list[list[T]]:
    """Bounded IN lists: SQLite and asyncpg both limit the number of bound parameters."""
    return [items[i : i + size] for i in range(0, len(items), size)]
