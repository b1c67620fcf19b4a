"""Serve the console: ``/ui/assets/*`` from package data, every page URL gets the same shell."""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.responses import Response
from starlette.types import Scope

from dab.errors import NotFound

CONSOLE_PREFIX = "/ui"
STATIC_DIR = Path(str(resources.files("dab.api.console") / "static"))
# The first path segment of every page the browser router knows (see static/app.js).
PAGES = frozenset({"", "signin", "capsules", "lineage", "conformance", "pii", "products"})
# Everything comes from this origin: no CDN, no third-party request, no inline script.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
        "frame-ancestors 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


class _ConsoleAssets(StaticFiles):
    """Static files with the console's security headers, revalidated on every load."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers.update(SECURITY_HEADERS)
        response.headers["Cache-Control"] = "no-cache"
        return response


@cache
def _shell_html(auth_enabled: bool) -> str:
    # The browser learns whether to ask for a key from the shell, not from a failing API call.
    auth = "required" if auth_enabled else "disabled"
    return (STATIC_DIR / "index.html").read_text(encoding="utf-8").replace("{{auth}}", auth)


def _shell(auth_enabled: bool) -> HTMLResponse:
    headers = {**SECURITY_HEADERS, "Cache-Control": "no-cache"}
    return HTMLResponse(_shell_html(auth_enabled), headers=headers)


async def get_console_root() -> RedirectResponse:
    return RedirectResponse(f"{CONSOLE_PREFIX}/", status_code=307)


async def get_console_page(page: str, request: Request) -> HTMLResponse:
    """The shell for a page URL (``/ui/capsules/{urn}``, ``/ui/lineage/{urn}``, ...)."""
    first = page.split("/", 1)[0]
    if first not in PAGES:
        raise NotFound(f"no console page '{CONSOLE_PREFIX}/{page}'")
    return _shell(request.app.state.settings.auth_enabled)


def mount_console(app: FastAPI) -> None:
    """Add the console to ``app`` (outside the OpenAPI schema; it is not part of the API)."""
    app.mount(f"{CONSOLE_PREFIX}/assets", _ConsoleAssets(directory=STATIC_DIR), name="console-assets")
    app.add_api_route(CONSOLE_PREFIX, get_console_root, include_in_schema=False)
    app.add_api_route(f"{CONSOLE_PREFIX}/{{page:path}}", get_console_page, include_in_schema=False)
