"""Shared response shapes: the list envelope of every collection endpoint."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    data: list[T]
    total: int
    limit: int
    offset: int
