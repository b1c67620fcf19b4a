"""Every router that needs an API key, in one explicit tuple."""

from __future__ import annotations

from fastapi import APIRouter

from dab.api.routes import ingest

PROTECTED_ROUTERS: tuple[APIRouter, ...] = (ingest.router,)
