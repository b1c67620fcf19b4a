"""Tags: CRUD and TAGGED_WITH links from capsules and columns (origin api, kept on re-ingestion)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request, Response

from dab.api.cached import cached_json
from dab.api.deps import LimitQuery, OffsetQuery, SessionDep
from dab.api.schemas.common import Page
from dab.api.schemas.governance import TaggedRead, TagLinkRead, TagRead
from dab.api.writes import committed
from dab.services import governance_tags as tags
from dab.services.governance_inputs import TagApply, TagCreate, TagUpdate
from dab.services.governance_tag_links import TagLink

router = APIRouter(prefix="/tags", tags=["governance"])

Kind = Literal["capsule", "column"]
TagId = Annotated[str, Path(description="The tag's id or URN (percent-encoded)")]


@router.get("", response_model=Page[TagRead])
async def list_tags(
    request: Request,
    session: SessionDep,
    limit: LimitQuery = 50,
    offset: OffsetQuery = 0,
    category: str | None = None,
    origin: Annotated[Literal["api", "dbt"] | None, Query(description="api or dbt")] = None,
    q: Annotated[str | None, Query(max_length=200, description="Substring of name or description")] = None,
) -> Response:
    return await cached_json(
        request,
        lambda: tags.list_tags(session, category=category, origin=origin, q=q, limit=limit, offset=offset),
    )


@router.post("", response_model=TagRead, status_code=201)
async def create_tag(body: TagCreate, request: Request) -> dict[str, Any]:
    return await committed(request, lambda s: tags.create_tag(s, body))


async def _apply(
    request: Request, response: Response, kind: Kind, subject: str, tag_id: str, body: TagApply | None
) -> dict[str, Any]:
    # Group commit: concurrent applies share one transaction; answered once it has committed.
    link = TagLink(kind, subject, tag_id, body.added_by if body else None)
    out, created = await request.app.state.tag_links.submit(link)
    response.status_code = 201 if created else 200
    return out  # type: ignore[no-any-return]


async def _remove(request: Request, kind: Kind, subject: str, tag_id: str) -> Response:
    # Through a group commit of its own, as applies: answered once the removal has committed.
    await request.app.state.tag_unlinks.submit(TagLink(kind, subject, tag_id))
    return Response(status_code=204)


@router.post("/capsules/{capsule_id}/{tag_id}", response_model=TagLinkRead, status_code=201)
async def tag_capsule(
    capsule_id: str, tag_id: TagId, request: Request, response: Response, body: TagApply | None = None
) -> dict[str, Any]:
    """``capsule_id`` is the capsule's id or (percent-encoded) URN; 200 when the link existed."""
    return await _apply(request, response, "capsule", capsule_id, tag_id, body)


@router.delete("/capsules/{capsule_id}/{tag_id}", status_code=204)
async def untag_capsule(capsule_id: str, tag_id: TagId, request: Request) -> Response:
    return await _remove(request, "capsule", capsule_id, tag_id)


@router.post("/columns/{column_id}/{tag_id}", response_model=TagLinkRead, status_code=201)
async def tag_column(
    column_id: str, tag_id: TagId, request: Request, response: Response, body: TagApply | None = None
) -> dict[str, Any]:
    """``column_id`` is the column's id or (percent-encoded) URN; 200 when the link existed."""
    return await _apply(request, response, "column", column_id, tag_id, body)


@router.delete("/columns/{column_id}/{tag_id}", status_code=204)
async def untag_column(column_id: str, tag_id: TagId, request: Request) -> Response:
    return await _remove(request, "column", column_id, tag_id)


@router.get("/{tag_id}", response_model=TagRead)
async def get_tag(tag_id: TagId, request: Request, session: SessionDep) -> Response:
    return await cached_json(request, lambda: tags.get_tag(session, tag_id))


@router.patch("/{tag_id}", response_model=TagRead)
async def update_tag(tag_id: TagId, body: TagUpdate, request: Request) -> dict[str, Any]:
    return await committed(request, lambda s: tags.update_tag(s, tag_id, body))


@router.delete("/{tag_id}", status_code=204)
async def delete_tag(tag_id: TagId, request: Request) -> Response:
    await committed(request, lambda s: tags.delete_tag(s, tag_id))
    return Response(status_code=204)


@router.get("/{tag_id}/capsules", response_model=Page[TaggedRead])
async def list_tagged_capsules(
    tag_id: TagId, request: Request, session: SessionDep, limit: LimitQuery = 50, offset: OffsetQuery = 0
) -> Response:
    return await cached_json(
        request, lambda: tags.list_tagged(session, "capsule", tag_id, limit=limit, offset=offset)
    )


@router.get("/{tag_id}/columns", response_model=Page[TaggedRead])
async def list_tagged_columns(
    tag_id: TagId, request: Request, session: SessionDep, limit: LimitQuery = 50, offset: OffsetQuery = 0
) -> Response:
    return await cached_json(
        request, lambda: tags.list_tagged(session, "column", tag_id, limit=limit, offset=offset)
    )
