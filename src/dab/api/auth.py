"""API-key authentication: ``X-API-Key`` (or ``Authorization: Bearer``) on every route but
health, metrics and docs."""

from __future__ import annotations

import hmac
import secrets
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader
from starlette.types import Scope

from dab.errors import DabError
from dab.settings import Settings

API_KEY_HEADER = APIKeyHeader(name="X-API-Key", auto_error=False, description="An API key from API_KEYS")


class Unauthorized(DabError):
    code = "unauthorized"


def dev_key_path(settings: Settings) -> Path:
    return settings.dab_home / "api_key"


def resolve_api_keys(settings: Settings) -> tuple[list[str], str | None]:
    """The accepted keys, and the generated development key if one was needed.

    Outside production with auth on and no API_KEYS, a key is generated once and stored
    under DAB_HOME (mode 0600) so restarts keep it.
    """
    keys = [k.get_secret_value() for k in settings.api_keys]
    if keys or not settings.auth_enabled or settings.environment == "production":
        return keys, None
    path = dev_key_path(settings)
    if path.exists():
        generated = path.read_text().strip()
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        generated = f"dab_dev_{secrets.token_urlsafe(24)}"
        path.write_text(generated + "\n")
        path.chmod(0o600)
    return [generated], generated


def key_matches(candidate: str, keys: list[str]) -> bool:
    """Constant-time comparison against every key (no early exit on the first match)."""
    supplied = candidate.encode()
    matched = False
    for key in keys:
        matched |= hmac.compare_digest(supplied, key.encode())
    return matched


def bearer_key(authorization: str | bytes | None) -> str | None:
    """The key of ``Authorization: Bearer KEY``: how the OpenLineage client sends its api_key."""
    if isinstance(authorization, bytes):
        authorization = authorization.decode("latin-1")
    scheme, _, key = (authorization or "").partition(" ")
    return key.strip() or None if scheme.lower() == "bearer" else None


async def require_api_key(request: Request, api_key: Annotated[str | None, Depends(API_KEY_HEADER)]) -> None:
    state = request.app.state
    if not state.settings.auth_enabled:
        return
    api_key = api_key or bearer_key(request.headers.get("authorization"))
    if not api_key:
        raise Unauthorized("missing X-API-Key header")
    if not key_matches(api_key, state.api_keys):
        raise Unauthorized("invalid API key")


def scope_authorised(scope: Scope) -> bool:
    """What ``require_api_key`` accepts, read from the raw ASGI scope (for the paths that answer
    before routing): X-API-Key, else ``Authorization: Bearer``."""
    state = scope["app"].state
    if not state.settings.auth_enabled:
        return True
    found: dict[bytes, bytes] = {}
    for name, value in scope["headers"]:
        if name in (b"x-api-key", b"authorization"):
            found.setdefault(name, value)  # the first of a repeated header, as Headers.get reads
    supplied = found.get(b"x-api-key", b"").decode("latin-1") or bearer_key(found.get(b"authorization"))
    return bool(supplied) and key_matches(str(supplied), state.api_keys)
