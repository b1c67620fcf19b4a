"""dbt tags, domains and owners as graph nodes; API-made annotations are never touched."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import and_, delete, exists, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from dab.domain.urns import domain_urn, tag_urn
from dab.storage.graph_writer import DiffStats, _delete_by_id, _insert, chunked
from dab.storage.records import (
    CapsuleRecord,
    CapsuleTagRecord,
    ColumnRecord,
    ColumnTagRecord,
    DomainRecord,
    OwnerRecord,
    TagRecord,
    new_uuid,
)

DBT_TAG_CATEGORY = "dbt"


async def ensure_dbt_tags(session: AsyncSession, names: Iterable[str]) -> dict[str, str]:
    """Tag id per dbt tag name, creating the missing tags (category ``dbt``, origin ``dbt``)."""
    wanted = {tag_urn(DBT_TAG_CATEGORY, name): name for name in set(names)}
    ids: dict[str, str] = {}
    urns = list(wanted)
    for batch in chunked(urns, 1_000):
        for tag_id, urn in await session.execute(
            select(TagRecord.id, TagRecord.urn).where(TagRecord.urn.in_(batch))
        ):
            ids[wanted[urn]] = tag_id
    missing = [
        {"id": new_uuid(), "urn": urn, "name": name, "category": DBT_TAG_CATEGORY, "origin": "dbt"}
        for urn, name in wanted.items()
        if name not in ids
    ]
    await _insert(session, TagRecord, missing)
    ids.update({row["name"]: row["id"] for row in missing})
    return ids


async def _sync_links(
    session: AsyncSession,
    link: Any,
    subject: Any,
    key: str,
    wanted_names: Mapping[str, Iterable[str]],
    tag_ids: Mapping[str, str],
    project: str,
) -> DiffStats:
    """Make the dbt-origin tag links of one project's subjects equal ``wanted_names``."""
    link_key = getattr(link, key)
    stored: dict[tuple[str, str], tuple[int, str]] = {
        (urn, tag_id): (link_id, origin)
        for link_id, urn, tag_id, origin in await session.execute(
            select(link.id, link_key, link.tag_id, link.origin).join(
                subject, and_(subject.urn == link_key, subject.project == project)
            )
        )
    }
    wanted = {(urn, tag_ids[name]) for urn, names in wanted_names.items() for name in names}
    gone = [lid for pair, (lid, origin) in stored.items() if origin == "dbt" and pair not in wanted]
    await _delete_by_id(session, link, gone)
    new = [
        {key: urn, "tag_id": tag_id, "origin": "dbt", "added_by": "dbt"}
        for urn, tag_id in sorted(wanted - stored.keys())
    ]
    await _insert(session, link, new)
    return DiffStats(
        created=len(new), deleted=len(gone) + await _drop_orphan_dbt_links(session, link, subject, key)
    )


async def _drop_orphan_dbt_links(session: AsyncSession, link: Any, subject: Any, key: str) -> int:
    """dbt links of subjects that are gone: dbt writes them again if the subject returns.

    Links carry no foreign key to their subject (API-made ones must outlive it), so this is
    what the cascade used to do for the dbt-origin ones.
    """
    orphan = ~exists(select(subject.id).where(subject.urn == getattr(link, key)))
    result: Any = await session.execute(delete(link).where(link.origin == "dbt", orphan))
    return int(result.rowcount or 0)


async def sync_dbt_tag_links(
    session: AsyncSession,
    capsule_tags: Mapping[str, Iterable[str]],
    column_tags: Mapping[str, Iterable[str]],
    *,
    project: str,
) -> DiffStats:
    names = {n for tags in capsule_tags.values() for n in tags} | {
        n for tags in column_tags.values() for n in tags
    }
    tag_ids = await ensure_dbt_tags(session, names)
    caps = await _sync_links(
        session, CapsuleTagRecord, CapsuleRecord, "capsule_urn", capsule_tags, tag_ids, project
    )
    cols = await _sync_links(
        session, ColumnTagRecord, ColumnRecord, "column_urn", column_tags, tag_ids, project
    )
    return DiffStats(created=caps.created + cols.created, deleted=caps.deleted + cols.deleted)


async def ensure_named(session: AsyncSession, record: Any, names: Iterable[str]) -> int:
    """Create the domains/owners named by dbt metadata that don't exist yet."""
    wanted = sorted(set(names))
    known: set[str] = set()
    for batch in chunked(wanted, 1_000):
        known.update(await session.scalars(select(record.name).where(record.name.in_(batch))))
    rows: list[dict[str, Any]] = []
    for name in wanted:
        if name in known:
            continue
        row: dict[str, Any] = {"id": new_uuid(), "name": name, "origin": "dbt"}
        if record is DomainRecord:
            row["urn"] = domain_urn(name)
        elif record is OwnerRecord and "@" in name:
            row["email"] = name
        rows.append(row)
    if rows:
        await session.execute(insert(record), rows)
    return len(rows)
