"""Settings: runbook names and defaults, production guards, URL normalisation."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from dab.settings import Settings, normalize_database_url


class TestSettings:
    def test_runbook_defaults(self, monkeypatch: pytest.MonkeyPatch) -> None:
        for name in ("DATABASE_URL", "API_KEYS", "ENVIRONMENT", "REDIS_URL"):
            monkeypatch.delenv(name, raising=False)
        s = Settings(_env_file=None)  # type: ignore[call-arg]
        assert s.auth_enabled and s.rate_limit_enabled and s.cache_enabled and s.metrics_enabled
        assert not s.tracing_enabled
        assert s.rate_limit_default == "100/minute"
        assert s.log_level == "INFO"
        assert s.environment == "development"
        assert s.effective_database_url.startswith("sqlite+aiosqlite:///")

    def test_api_keys_are_comma_separated(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("API_KEYS", "key1_abc123, key2_def456")
        keys = [k.get_secret_value() for k in Settings(_env_file=None).api_keys]  # type: ignore[call-arg]
        assert keys == ["key1_abc123", "key2_def456"]

    @pytest.mark.parametrize(
        ("env", "message"),
        [
            ({"API_KEYS": "k"}, "requires DATABASE_URL"),
            ({"DATABASE_URL": "postgresql://x@h/db"}, "requires API_KEYS"),
            ({"DATABASE_URL": "sqlite:///./dab.db", "API_KEYS": "k"}, "not SQLite"),
            ({"DATABASE_URL": "sqlite+aiosqlite:///x.db", "API_KEYS": "k"}, "not SQLite"),
        ],
    )
    def test_production_refuses_to_start_without_storage_or_keys(
        self, monkeypatch: pytest.MonkeyPatch, env: dict[str, str], message: str
    ) -> None:
        monkeypatch.delenv("DATABASE_URL", raising=False)
        monkeypatch.delenv("API_KEYS", raising=False)
        monkeypatch.setenv("ENVIRONMENT", "production")
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        with pytest.raises(ValidationError, match=message):
            Settings(_env_file=None)  # type: ignore[call-arg]

    @pytest.mark.parametrize(
        ("url", "expected"),
        [
            ("postgresql://u:p@h:5432/d", "postgresql+asyncpg://u:p@h:5432/d"),
            ("postgresql+asyncpg://u@h/d", "postgresql+asyncpg://u@h/d"),
            ("sqlite:///x.db", "sqlite+aiosqlite:///x.db"),
        ],
    )
    def test_database_urls_get_the_async_driver(self, url: str, expected: str) -> None:
        assert normalize_database_url(url) == expected
