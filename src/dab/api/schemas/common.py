"""Shared response shapes: the list envelope of every collection endpoint."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel, Field

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    data: list[T]
    total: int
    limit: int
    offset: int
    total_exact: bool = Field(
        default=True,
        description="False when a text search (q) stopped counting at its cap: total is then a lower bound",
    )
