"""The FastAPI application: ``dab.api.main:app`` (built lazily from the environment's settings)."""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from functools import lru_cache
from typing import Any

import anyio
from fastapi import APIRouter, Depends, FastAPI
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dab import __version__
from dab.api.auth import require_api_key, resolve_api_keys
from dab.api.cached_shortcut import CachedReadShortcut
from dab.api.console import mount_console
from dab.api.deps import check_page_limit
from dab.api.group_commit import GroupCommit
from dab.api.guards import RequestGuard
from dab.api.hot_reads import HotReads
from dab.api.hot_tag_writes import HotTagWrites
from dab.api.middleware import API_PREFIX, RequestContextMiddleware
from dab.api.problems import PROBLEM_RESPONSES, install_problem_handlers
from dab.api.ratelimit import RateLimitMiddleware
from dab.api.routes import health, metrics
from dab.api.routes.registry import PROTECTED_ROUTERS
from dab.domain.gc_pause import freeze_startup_heap
from dab.platform.cache import make_cache
from dab.platform.logging import configure_logging, get_logger
from dab.platform.metrics import instrument_engine
from dab.services.cache_admin import database_generation
from dab.services.column_lineage import LineageOptions
from dab.services.governance_tag_links import apply_tags, remove_tags
from dab.services.ingest_offload import ingestion_child, request_child
from dab.services.layer_config import load_layer_rules
from dab.services.startup import interrupt_own_jobs, keep_recovering, recover_interrupted_jobs
from dab.settings import Settings, get_settings
from dab.storage import migrate
from dab.storage.db import create_engine, make_read_session_factory, make_session_factory
from dab.storage.repositories.tags import TagRepository
from dab.storage.sqlite_checkpoint import Checkpointer
from dab.storage.tag_links_direct import TagLinks, direct_tag_links

log = get_logger("dab.app")


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    url = settings.effective_database_url
    if settings.database_url is None:
        # The embedded default is zero-setup: bring its schema up to date on start.
        await anyio.to_thread.run_sync(migrate.upgrade, url)
    engine = create_engine(url, **settings.engine_options)
    instrument_engine(engine)
    app.state.engine = engine
    app.state.session_factory = make_session_factory(engine)
    app.state.read_session_factory = make_read_session_factory(engine)
    app.state.checkpointer = Checkpointer(engine)
    app.state.cache = make_cache(
        enabled=settings.cache_enabled,
        redis_url=settings.effective_cache_url,
        ttl_seconds=settings.cache_ttl_seconds,
        database=database_generation(app.state.session_factory, settings.cache_generation_file),
        prefix=settings.cache_key_prefix,
    )

    def tag_transaction() -> AbstractAsyncContextManager[TagLinks]:
        return direct_tag_links(engine, lambda: _tag_repository(app.state.session_factory))

    app.state.tag_links = GroupCommit(tag_transaction, apply_tags, on_commit=app.state.cache.bump)
    app.state.tag_unlinks = GroupCommit(tag_transaction, remove_tags, on_commit=app.state.cache.bump)
    app.state.layer_rules = load_layer_rules(settings.dab_layer_rules_file)
    app.state.lineage_options = LineageOptions(
        tuple(settings.dab_pii_masking_functions),
        settings.dab_column_lineage_workers,
        tuple(sorted(settings.dab_openlineage_namespaces.items())),
    )
    app.state.api_keys, generated = resolve_api_keys(settings)
    if generated:
        # Printed for the person starting the server, never written to the JSON log.
        print(f"dab: development API key: {generated}", file=sys.stderr, flush=True)  # noqa: T201
    lease = settings.dab_job_lease_seconds
    try:
        await recover_interrupted_jobs(app.state.session_factory, lease_seconds=lease)
    except (OSError, SQLAlchemyError) as exc:
        # Start anyway: readiness answers 503 until the database is back.
        log.warning("startup_database_unavailable", error=type(exc).__name__)
    if settings.environment == "production" and not settings.auth_enabled:
        log.warning("auth_disabled_in_production", detail="AUTH_ENABLED=false: every route is open")
    stop_recovering = asyncio.Event()
    recovery = asyncio.create_task(
        keep_recovering(app.state.session_factory, lease_seconds=lease, stop=stop_recovering)
    )
    if settings.dab_ingest_worker == "process":
        # Started now, so the first ingestion does not wait for the children's imports.
        nice = settings.dab_ingest_nice
        await anyio.to_thread.run_sync(ingestion_child(settings.log_level, nice).start)
        await anyio.to_thread.run_sync(request_child(nice).start)
    log.info("startup_complete", database=engine.dialect.name, cache=app.state.cache.backend)
    freeze_startup_heap()
    try:
        yield
    finally:
        stop_recovering.set()
        # A pass in progress finishes (bounded by the statement timeout); cancel only beyond that.
        with contextlib.suppress(asyncio.CancelledError, TimeoutError):
            await asyncio.wait_for(recovery, settings.dab_db_statement_timeout_seconds + 5)
        await app.state.tag_links.close()
        await app.state.tag_unlinks.close()
        await app.state.checkpointer.close()
        await _interrupt_own_jobs(app)
        await app.state.cache.close()
        await engine.dispose()


@asynccontextmanager
async def _tag_repository(factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[TagRepository]:
    async with factory.begin() as session:
        yield TagRepository(session)


async def _interrupt_own_jobs(app: FastAPI) -> None:
    # A job task cancelled at the end of the grace period may hold a connection mid-transaction
    # (for SQLite: the write lock); closing the pool's connections releases it, and a job still
    # in the ingestion child dies with it (its transaction rolls back).
    child = ingestion_child()
    if child.busy:
        await anyio.to_thread.run_sync(child.kill)
    await app.state.engine.dispose(close=True)
    try:
        count = await interrupt_own_jobs(app.state.session_factory)
    except (OSError, SQLAlchemyError) as exc:
        log.warning("shutdown_database_unavailable", error=type(exc).__name__)
        return
    if count:
        log.warning("shutdown_interrupted_jobs", jobs=count)


def create_app(settings: Settings) -> FastAPI:
    configure_logging(settings.log_level)
    app = FastAPI(
        title="dab: Data Architecture Brain",
        version=__version__,
        lifespan=_lifespan,
        docs_url="/docs",
        redoc_url="/redoc",
        openapi_url="/openapi.json",
        responses=PROBLEM_RESPONSES,
        # FastAPI's own OpenTelemetry hooks check for configured providers on every request
        # (~9% of a cached read); dab traces through its own instrumentation when asked to.
        telemetry=None if settings.tracing_enabled else {"tracing": False, "metrics": False, "logs": False},
    )
    app.state.settings = settings
    app.state.started_at = time.monotonic()
    install_problem_handlers(app)
    app.include_router(health.router, prefix=API_PREFIX)
    if settings.metrics_enabled:
        # Added on the app itself (not included): the metrics label logic relies on it.
        app.add_api_route("/metrics", metrics.get_metrics, include_in_schema=False)
    protected = APIRouter(
        prefix=API_PREFIX, dependencies=[Depends(require_api_key), Depends(check_page_limit)]
    )
    for router in PROTECTED_ROUTERS:
        protected.include_router(router)
    app.include_router(protected)
    mount_console(app)
    app.add_middleware(HotTagWrites)  # innermost, as HotReads: tag applies straight to the group commit
    app.add_middleware(HotReads)  # innermost: every middleware below and the cache still apply
    if settings.cache_enabled:
        app.add_middleware(CachedReadShortcut)  # innermost: rate limit, guards and logging still apply
    if settings.rate_limit_enabled:
        app.add_middleware(
            RateLimitMiddleware,
            limit=settings.rate_limit_default,
            storage_uri=settings.rate_limit_storage_uri,
        )
    app.add_middleware(RequestGuard, max_body=settings.max_upload_bytes)
    app.add_middleware(RequestContextMiddleware, metrics_enabled=settings.metrics_enabled)
    if settings.tracing_enabled:
        from dab.platform.tracing import configure_tracing

        configure_tracing(app, endpoint=settings.tracing_otlp_endpoint, service_version=__version__)
    return app


@lru_cache
def _default_app() -> FastAPI:
    try:
        settings = get_settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        print(f"dab: configuration error: {first.get('ctx', {}).get('error', first['msg'])}", file=sys.stderr)  # noqa: T201
        raise SystemExit(1) from None
    return create_app(settings)


def __getattr__(name: str) -> Any:
    # `uvicorn dab.api.main:app` resolves this; importing the module builds nothing.
    if name == "app":
        return _default_app()
    raise AttributeError(name)
