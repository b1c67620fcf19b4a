"""What the direct tag-link batches share: the ``TagLinks`` protocol and row shaping."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from dab.storage.generation import new_token
from dab.storage.repositories.tags import SUBJECTS, Pair, is_row_id

Row = dict[str, Any]


class TagLinks(Protocol):
    """What ``apply_tags`` needs, within one transaction (``TagRepository`` is one too)."""

    async def refs(self, refs: set[str]) -> dict[str, Row]: ...
    async def subject_urns(self, kind: str, refs: set[str]) -> dict[str, str]: ...
    async def add_links(self, kind: str, pairs: list[tuple[str, str, str | None]]) -> dict[Pair, Row]: ...
    async def links(self, kind: str, pairs: list[Pair]) -> dict[Pair, Row]: ...
    async def remove_links(self, kind: str, pairs: list[Pair]) -> None: ...


class DirectLinks(TagLinks, Protocol):
    async def finish(self) -> bool:
        """Move the cache generation (when a link was written) and commit; whether it wrote."""

    async def abandon(self) -> None:
        """Roll back what is open (the connection may be broken: best effort)."""


def link_table(kind: str) -> tuple[str, str]:
    """(link table, its subject URN column) of ``kind``."""
    record, key, _, _ = SUBJECTS[kind]
    return record.__tablename__, key


def subject_table(kind: str) -> str:
    return str(SUBJECTS[kind][2].__tablename__)


def split_refs(refs: set[str]) -> tuple[list[str], list[int]]:
    """(URNs, row ids) among subject references, as ``TagRepository.subject_urns`` reads them."""
    ids = sorted({int(ref) for ref in refs if is_row_id(ref)})
    return sorted(ref for ref in refs if not is_row_id(ref)), ids


def subjects_found(refs: set[str], rows: list[tuple[int, str]]) -> dict[str, str]:
    """``ref`` -> URN from (id, URN) rows matched by URN or by id."""
    found: dict[str, str] = {}
    for row_id, urn in rows:
        if urn in refs and not is_row_id(urn):
            found[urn] = urn
        if str(row_id) in refs:
            found[str(row_id)] = urn
    return found


def tags_found(refs: set[str], rows: list[tuple[str, str, str]]) -> dict[str, Row]:
    """``ref`` -> the tag's id, URN and origin, from rows matched by id or by URN."""
    found: dict[str, Row] = {}
    for tag_id, urn, origin in rows:
        row = {"id": tag_id, "urn": urn, "origin": origin}
        found.update({key: row for key in (tag_id, urn) if key in refs})
    return found


def link_rows(
    key: str, rows: list[tuple[Any, ...]], stamp: Callable[[Any], Any] | None = None
) -> dict[Pair, Row]:
    """(subject URN, tag id) -> the link as ``TagRepository`` returns it."""
    out: dict[Pair, Row] = {}
    for urn, tag_id, origin, added_by, added_at in rows:
        at = stamp(added_at) if stamp is not None else added_at
        out[(urn, tag_id)] = {
            key: urn,
            "tag_id": tag_id,
            "origin": origin,
            "added_by": added_by,
            "added_at": at,
        }
    return out


def tokens() -> tuple[str, str]:
    """New tokens for the catalog and graph generation rows (``generation.ROW_ID``, ``GRAPH_ROW_ID``)."""
    return new_token(), new_token()
