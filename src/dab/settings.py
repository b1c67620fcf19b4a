"""Settings: one pydantic-settings object, read only by entry points (app, CLI, migrations).

Names are the runbook's Configuration Reference; DAB_HOME and the DAB_* limits are dab's own.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal, TypedDict

from limits import parse as parse_limit
from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class ConfigurationError(ValueError):
    """Start-up configuration is unusable; the message is one line a person can act on."""


class EngineOptions(TypedDict):
    connect_timeout: float
    statement_timeout: float
    pool_timeout: float


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    environment: str = "development"
    """A free name (staging, qa, ...); only ``production`` adds stricter start-up rules."""
    database_url: str | None = None
    redis_url: str | None = None
    auth_enabled: bool = True
    api_keys: Annotated[list[SecretStr], NoDecode] = Field(default_factory=list)
    rate_limit_enabled: bool = True
    rate_limit_default: str = "100/minute"
    rate_limit_storage_uri: str | None = None
    cache_enabled: bool = True
    cache_redis_url: str | None = None
    cache_ttl_seconds: int = 300
    cache_key_prefix: str = "dab:"
    metrics_enabled: bool = True
    tracing_enabled: bool = False
    tracing_otlp_endpoint: str | None = None
    log_level: str = "INFO"

    dab_home: Path = Path(".dab")
    dab_max_upload_mb: int = 512
    dab_lineage_max_depth: int = 10
    dab_page_max_limit: int = 1000
    dab_layer_rules_file: Path | None = None
    dab_rules_dir: Path | None = None
    dab_rules_config_file: Path | None = None
    dab_db_connect_timeout_seconds: float = 5.0
    dab_db_statement_timeout_seconds: float = 30.0
    dab_db_pool_timeout_seconds: float = 10.0
    dab_job_lease_seconds: float = 60.0
    dab_artifacts_keep_per_project: int = Field(default=20, ge=1)
    dab_pii_masking_functions: Annotated[list[str], NoDecode] = Field(default_factory=list)
    """Extra SQL function names (comma-separated) whose result counts as masked PII."""
    dab_openlineage_namespaces: Annotated[dict[str, str], NoDecode] = Field(default_factory=dict)
    """OpenLineage dataset namespaces mapped to dbt projects (``namespace=project``, comma-
    separated): a dataset in such a namespace is matched to that project's nodes only."""
    dab_column_lineage_workers: int = Field(default=0, ge=0, le=64)
    """Processes deriving column lineage at ingestion, this one included (sqlglot is CPU-bound);
    0 (default): the usable cores, at most 4; 1: only the ingesting process."""
    dab_ingest_worker: Literal["process", "thread"] = "process"
    """Where the server runs ingestion jobs: a child process (the event loop only does I/O) or
    worker threads of the server process (its loop stalls on large artifacts)."""
    dab_ingest_nice: int = Field(default=0, ge=0, le=19)
    """How far below the server's CPU priority the ingestion child processes run (``nice``
    increment): on busy cores the kernel serves the event loop first, and the ingestion waits
    behind every other busy process of the host too. 0 (default) keeps them equal."""
    dab_metrics_cache_seconds: float = 5.0
    dab_shutdown_grace_seconds: int = 30

    @field_validator("api_keys", "dab_pii_masking_functions", mode="before")
    @classmethod
    def _split_keys(cls, value: object) -> object:
        if isinstance(value, str):
            return [k.strip() for k in value.split(",") if k.strip()]
        return value

    @field_validator("dab_openlineage_namespaces", mode="before")
    @classmethod
    def _namespace_pairs(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        pairs = {}
        for item in filter(None, (part.strip() for part in value.split(","))):
            namespace, equals, project = item.rpartition("=")
            if not equals or not namespace.strip() or not project.strip():
                raise ValueError(f"DAB_OPENLINEAGE_NAMESPACES item {item!r} is not 'namespace=project'")
            pairs[namespace.strip()] = project.strip()
        return pairs

    @field_validator("rate_limit_default")
    @classmethod
    def _valid_limit(cls, value: str) -> str:
        try:
            parse_limit(value)
        except ValueError as exc:
            raise ValueError(f"RATE_LIMIT_DEFAULT {value!r} is not a rate like '100/minute'") from exc
        return value

    @field_validator("log_level")
    @classmethod
    def _upper_level(cls, value: str) -> str:
        return value.upper()

    @model_validator(mode="after")
    def _production_needs_explicit_storage_and_keys(self) -> Settings:
        if self.environment != "production":
            return self
        if not self.database_url:
            raise ConfigurationError("ENVIRONMENT=production requires DATABASE_URL (a PostgreSQL URL)")
        if normalize_database_url(self.database_url).startswith("sqlite"):
            raise ConfigurationError("ENVIRONMENT=production requires a PostgreSQL DATABASE_URL, not SQLite")
        if self.auth_enabled and not self.api_keys:
            raise ConfigurationError("ENVIRONMENT=production requires API_KEYS (comma-separated keys)")
        return self

    @property
    def effective_database_url(self) -> str:
        """DATABASE_URL, or the embedded SQLite file under DAB_HOME."""
        if self.database_url:
            return normalize_database_url(self.database_url)
        return f"sqlite+aiosqlite:///{(self.dab_home / 'dab.sqlite3').resolve()}"

    @property
    def engine_options(self) -> EngineOptions:
        """The database timeouts, as keyword arguments of ``dab.storage.db.create_engine``."""
        return {
            "connect_timeout": self.dab_db_connect_timeout_seconds,
            "statement_timeout": self.dab_db_statement_timeout_seconds,
            "pool_timeout": self.dab_db_pool_timeout_seconds,
        }

    @property
    def effective_cache_url(self) -> str | None:
        return self.cache_redis_url or self.redis_url

    @property
    def cache_generation_file(self) -> Path:
        """Touched by every write, so in-process caches of other processes on DAB_HOME notice."""
        return self.dab_home / "cache_generation"

    @property
    def max_upload_bytes(self) -> int:
        return self.dab_max_upload_mb * 1024 * 1024


def normalize_database_url(url: str) -> str:
    """Accept plain ``postgresql://`` and ``sqlite://`` URLs and pick the async driver."""
    for plain, driver in (
        ("postgresql://", "postgresql+asyncpg://"),
        ("postgres://", "postgresql+asyncpg://"),
        ("sqlite:///", "sqlite+aiosqlite:///"),
    ):
        if url.startswith(plain):
            return driver + url[len(plain) :]
    return url


@lru_cache
def get_settings() -> Settings:
    return Settings()
