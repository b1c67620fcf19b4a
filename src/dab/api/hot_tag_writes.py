"""Tag applies and removals (``POST|DELETE /tags/capsules|columns/{id}/{tag}``) handed to their
group commits before routing.

Under load a tag apply's own share of the group commit is small; FastAPI's route matching over
~100 routes, dependency solving and response-model handling were most of the rest. This path
does what the route does for a request it can read exactly as the route would: the API key as
``require_api_key`` checks it, a JSON body that ``TagApply`` accepts (or none), no query, no
dependency overrides, and a route object learnt from a request FastAPI routed (never guessed),
so metrics keep their label. The answer is the route's: the same ``TagLinkRead`` JSON and
status, a problem+json through the app's own handlers for an error. Anything else, a body
that does not validate included, goes down the routed path with the body replayed, and gets
its usual answer there.
"""

from __future__ import annotations

import re
from typing import Any

import orjson
from fastapi import Request
from pydantic import ValidationError
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dab.api.auth import scope_authorised
from dab.api.problems import answer_for
from dab.api.routes import tags as tag_routes
from dab.api.tag_link_codec import encoded, plain_added_by
from dab.services.governance_inputs import TagApply
from dab.services.governance_tag_links import TagLink

# The routes' own templates: ``{capsule_id}`` and ``{tag_id}`` are ``[^/]+`` segments.
_PATH = re.compile(r"/api/v1/tags/(capsules|columns)/([^/]+)/([^/]+)")
_ENDPOINTS: dict[Any, tuple[str, str]] = {
    tag_routes.tag_capsule: ("POST", "capsule"),
    tag_routes.tag_column: ("POST", "column"),
    tag_routes.untag_capsule: ("DELETE", "capsule"),
    tag_routes.untag_column: ("DELETE", "column"),
}
_PARAMS = {"capsule": "capsule_id", "column": "column_id"}
_JSON = (b"application/json",)


class HotTagWrites:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._routes: dict[tuple[str, str], Any] = {}  # (method, kind) -> the route FastAPI matched
        self.answered = 0  # requests this path served (tests tell it from the routed path)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] not in ("POST", "DELETE")
            or not scope["path"].startswith("/api/v1/tags/")
        ):
            await self.app(scope, receive, send)
            return
        matched = _PATH.fullmatch(scope["path"])
        kind = "capsule" if matched and matched[1] == "capsules" else "column"
        route = self._routes.get((scope["method"], kind))
        if matched is None or route is None or not self._eligible(scope):
            await self._routed(scope, receive, send)
            return
        if scope["method"] == "DELETE":  # the route reads no body: neither does this path
            self._take(scope, route, matched)
            await (await _removed(scope, TagLink(kind, matched[2], matched[3])))(scope, receive, send)
            return
        body = await _read_body(receive)
        added_by = None if body is None else _added_by(scope, body)
        if added_by is None:
            await self._routed(scope, receive if body is None else _replay(body, receive), send)
            return
        self._take(scope, route, matched)
        response = await _answer(scope, TagLink(kind, matched[2], matched[3], added_by[0]))
        await response(scope, receive, send)

    def _take(self, scope: Scope, route: Any, matched: re.Match[str]) -> None:
        """What routing would have set (the metrics label the request by its route)."""
        kind = _ENDPOINTS[route.endpoint][1]
        scope.update(
            route=route,
            endpoint=route.endpoint,
            path_params={_PARAMS[kind]: matched[2], "tag_id": matched[3]},
        )
        self.answered += 1

    def _eligible(self, scope: Scope) -> bool:
        return (
            not scope.get("query_string")
            and not scope["app"].dependency_overrides
            and scope_authorised(scope)
        )

    async def _routed(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)
        learnt = _ENDPOINTS.get(getattr(scope.get("route"), "endpoint", None))
        if learnt is not None:
            self._routes.setdefault(learnt, scope["route"])


async def _answer(scope: Scope, link: TagLink) -> Response:
    request = Request(scope)
    try:
        out, created = await scope["app"].state.tag_links.submit(link)
    except Exception as exc:  # the route's answer to it: NotFound 404, an outage 503, ...
        return answer_for(request, exc)
    body = encoded(out)
    return Response(body, status_code=201 if created else 200, media_type="application/json")


async def _removed(scope: Scope, link: TagLink) -> Response:
    try:
        await scope["app"].state.tag_unlinks.submit(link)
    except Exception as exc:  # the route's answer to it, as for applies
        return answer_for(Request(scope), exc)
    return Response(status_code=204)


def _added_by(scope: Scope, body: bytes) -> tuple[str | None] | None:
    """``(added_by,)`` when the route would accept ``body`` as a ``TagApply`` (or no body)."""
    if not body:
        return (None,)
    content_type = dict(scope["headers"]).get(b"content-type", b"").split(b";")[0].strip().lower()
    if content_type not in _JSON:
        return None
    try:
        values = orjson.loads(body)
        fast = plain_added_by(values)
        if fast is not None:
            return fast
        return (TagApply.model_validate(values).added_by,) if isinstance(values, dict) else None
    except (orjson.JSONDecodeError, ValidationError):
        return None


async def _read_body(receive: Receive) -> bytes | None:
    """The whole body; None when the client went away first (the routed path sees that too)."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replayed
