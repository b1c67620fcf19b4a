"""The two hottest uncached reads (capsule detail, capsule lineage) answered before routing.

FastAPI's route matching over ~100 routes, its dependency solving and its per-request wrappers
cost about as much CPU as the database work of these reads. Here a GET whose path the capsules
router would send to ``get_capsule`` or ``get_capsule_lineage`` is served by the same service
call through ``cached_json``, on a read session as ``get_read_session`` opens it, with the API
key checked as ``require_api_key`` checks it. Outer middleware (request id, metrics, rate
limits, body guard) runs as for any request, and ``scope["route"]`` is the route FastAPI
matched for that endpoint, so metrics keep their label.

Anything this path does not answer exactly as the route would goes down the normal path, which
gives its usual answer: a route not yet seen through routing (its route object is learnt from
the first request FastAPI routed to it), a missing or wrong key, a ``limit`` parameter (the
page-limit check), a repeated or unusual query value, dependency overrides (tests), and any
exception from the service (not found, bad depth, database errors: reads, so running the
request again changes nothing).
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Awaitable, Callable
from typing import Any, cast, get_args
from urllib.parse import parse_qsl

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.types import ASGIApp, Receive, Scope, Send

from dab.api.auth import scope_authorised
from dab.api.cached import cached_json
from dab.api.routes import capsules as capsule_routes
from dab.services.catalog_capsules import get_capsule
from dab.services.catalog_lineage import LineageDirection, capsule_lineage

PREFIX = "/api/v1/capsules/"
# Suffixes of the capsule routes declared before the detail route ``/{urn:path}``, in their
# order: the first whose template matches takes the request (``{urn:path}`` is ``.*``).
_LINEAGE = "/lineage"
_OTHER_SUFFIXES = ("/columns",)
_LATER_SUFFIXES = ("/impact", "/violations")
_DIRECTIONS = frozenset(get_args(LineageDirection))
# The route's own default, so the two paths cannot drift apart.
_DEFAULT_DEPTH = str(inspect.signature(capsule_routes.get_capsule_lineage).parameters["depth"].default)
_DEPTH = re.compile(r"[1-9][0-9]{0,8}")

Produce = Callable[[AsyncSession], Awaitable[Any]]


class HotReads:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        # endpoint -> the route object FastAPI matched for it (learnt, never guessed)
        self._routes: dict[Any, Any] = {}
        self.answered = 0  # requests this path served (tests tell it from the routed path)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and scope["path"].startswith(PREFIX):
            if await self._serve(scope, receive, send):
                return
            await self.app(scope, receive, send)
            endpoint = getattr(scope.get("route"), "endpoint", None)
            if endpoint in (capsule_routes.get_capsule, capsule_routes.get_capsule_lineage):
                self._routes.setdefault(endpoint, scope["route"])
            return
        await self.app(scope, receive, send)

    async def _serve(self, scope: Scope, receive: Receive, send: Send) -> bool:
        matched = self._match(scope)
        if matched is None or scope["app"].dependency_overrides or not scope_authorised(scope):
            return False
        route, urn, produce = matched
        state = scope["app"].state
        scope.update(route=route, endpoint=route.endpoint, path_params={"urn": urn})
        try:
            async with state.read_session_factory() as session:
                response = await cached_json(Request(scope, receive), lambda: produce(session))
        except Exception:  # the routed path gives this request its usual answer
            for key in ("route", "endpoint", "path_params"):
                scope.pop(key, None)
            return False
        self.answered += 1
        await response(scope, receive, send)
        return True

    def _match(self, scope: Scope) -> tuple[Any, str, Produce] | None:
        rest: str = scope["path"][len(PREFIX) :]
        if "\n" in rest or rest.endswith(_OTHER_SUFFIXES):  # ``.`` stops at a newline
            return None
        query = _query(scope)
        if query is None or "limit" in query:
            return None
        if rest.endswith(_LINEAGE):
            return self._lineage(scope, rest[: -len(_LINEAGE)], query)
        if rest.endswith(_LATER_SUFFIXES) or not rest:
            return None
        route = self._routes.get(capsule_routes.get_capsule)
        return None if route is None else (route, rest, lambda session: get_capsule(session, rest))

    def _lineage(self, scope: Scope, urn: str, query: dict[str, str]) -> tuple[Any, str, Produce] | None:
        route = self._routes.get(capsule_routes.get_capsule_lineage)
        direction = cast(LineageDirection, query.get("direction", "both"))
        depth_text = query.get("depth", _DEFAULT_DEPTH)
        if route is None or not urn or direction not in _DIRECTIONS or not _DEPTH.fullmatch(depth_text):
            return None
        depth, max_depth = int(depth_text), scope["app"].state.settings.dab_lineage_max_depth

        def produce(session: AsyncSession) -> Awaitable[Any]:
            return capsule_lineage(
                session,
                urn,
                direction=direction,
                depth=depth,
                max_depth=max_depth,
            )

        return route, urn, produce


def _query(scope: Scope) -> dict[str, str] | None:
    """The query as FastAPI reads it, or None when a name repeats (left to the routed path)."""
    pairs = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
    query = dict(pairs)
    return query if len(query) == len(pairs) else None
