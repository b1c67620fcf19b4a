"""Tags and TAGGED_WITH links made through the API (origin ``api``, kept by every ingestion)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from dab.domain.urns import tag_urn
from dab.errors import Conflict, DabError, NotFound
from dab.services.catalog_capsules import page
from dab.services.governance_inputs import TagApply, TagCreate, TagUpdate, not_null
from dab.services.governance_tag_links import TagLink, apply_tags, remove_tags
from dab.storage.records import new_uuid
from dab.storage.repositories.tags import TagRepository

SUBJECT_KINDS = ("capsule", "column")


async def require_tag(repo: TagRepository, ref: str, *, light: bool = False) -> dict[str, Any]:
    """The tag by id or URN; ``light`` is id, URN and origin only (no link counts)."""
    row = await (repo.ref(ref) if light else repo.get(ref))
    if row is None:
        raise NotFound(f"tag {ref!r} not found")
    return row


async def _check_name_free(repo: TagRepository, category: str, name: str, tag_id: str | None = None) -> None:
    owner = await repo.id_of(category, name)
    if owner is not None and owner != tag_id:
        raise Conflict(f"a tag named {name!r} already exists in category {category!r}")


async def list_tags(
    session: AsyncSession,
    *,
    category: str | None = None,
    origin: str | None = None,
    q: str | None = None,
    limit: int,
    offset: int,
) -> dict[str, Any]:
    rows, total = await TagRepository(session).list_page(
        category=category, origin=origin, q=q, limit=limit, offset=offset
    )
    return page(rows, total, limit, offset)


async def get_tag(session: AsyncSession, ref: str) -> dict[str, Any]:
    return await require_tag(TagRepository(session), ref)


async def create_tag(session: AsyncSession, body: TagCreate) -> dict[str, Any]:
    repo = TagRepository(session)
    await _check_name_free(repo, body.category, body.name)
    tag_id = new_uuid()
    urn = tag_urn(body.category, body.name)
    await repo.create({**body.model_dump(), "id": tag_id, "urn": urn, "origin": "api"})
    return await require_tag(repo, tag_id)


async def update_tag(session: AsyncSession, ref: str, body: TagUpdate) -> dict[str, Any]:
    repo = TagRepository(session)
    tag = await require_tag(repo, ref)
    values = body.model_dump(exclude_unset=True)
    not_null(values, "name", "category")
    renamed = {k: values[k] for k in ("name", "category") if k in values and values[k] != tag[k]}
    if renamed and tag["origin"] == "dbt":
        raise Conflict(f"tag {tag['urn']!r} comes from dbt: rename it in the dbt project")
    if renamed:
        name, category = values.get("name", tag["name"]), values.get("category", tag["category"])
        await _check_name_free(repo, category, name, tag["id"])
        values["urn"] = tag_urn(category, name)
    if values:
        await repo.update(tag["id"], values)
    return await require_tag(repo, tag["id"])


async def delete_tag(session: AsyncSession, ref: str) -> None:
    repo = TagRepository(session)
    tag = await require_tag(repo, ref, light=True)
    if tag["origin"] == "dbt":
        raise Conflict(f"tag {tag['urn']!r} comes from dbt and would return on the next ingestion")
    await repo.delete(tag["id"])


async def apply_tag(
    session: AsyncSession, kind: str, subject_ref: str, tag_ref: str, body: TagApply
) -> tuple[dict[str, Any], bool]:
    """TAGGED_WITH from a capsule or column; True when the link is new."""
    (outcome,) = await apply_tags(
        TagRepository(session), [TagLink(kind, subject_ref, tag_ref, body.added_by)]
    )
    if isinstance(outcome, DabError):
        raise outcome
    return outcome


async def remove_tag(session: AsyncSession, kind: str, subject_ref: str, tag_ref: str) -> None:
    (outcome,) = await remove_tags(TagRepository(session), [TagLink(kind, subject_ref, tag_ref)])
    if isinstance(outcome, DabError):
        raise outcome


async def list_tagged(
    session: AsyncSession, kind: str, tag_ref: str, *, limit: int, offset: int
) -> dict[str, Any]:
    repo = TagRepository(session)
    tag = await require_tag(repo, tag_ref, light=True)
    rows, total = await repo.tagged(kind, tag["id"], limit=limit, offset=offset)
    return page(rows, total, limit, offset)
