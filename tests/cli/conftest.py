"""CLI tests run commands in-process against the test database with their own DAB_HOME."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from dab.settings import get_settings


@pytest.fixture
def env(clean_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The configured database is the test database; settings are read afresh per test."""
    monkeypatch.setenv("DATABASE_URL", clean_database)
    monkeypatch.setenv("DAB_HOME", str(tmp_path))
    monkeypatch.delenv("DAB_API_URL", raising=False)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()
