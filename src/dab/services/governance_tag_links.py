"""Applying tags to capsules and columns, many requests in one transaction.

The API's group commit (``api/group_commit.py``) hands every tag apply that arrives while a
transaction runs to one call of ``apply_tags``; the CLI and single writes call it with one.
Each request is checked on its own (unknown tag, capsule or column is its own NotFound), and
only the valid ones are written: a bad request never reaches an INSERT, so it fails alone and
changes nothing, without a savepoint. A handful of set-based statements serve the whole batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from dab.errors import Conflict, DabError, NotFound
from dab.storage.repositories.tags import Pair
from dab.storage.tag_links_direct import TagLinks

Applied = tuple[dict[str, Any], bool]
"""The link as the API shows it, and whether this request created it."""


@dataclass(frozen=True, slots=True)
class TagLink:
    kind: str  # "capsule" or "column"
    subject: str  # its id or URN
    tag: str  # the tag's id or URN
    added_by: str | None = None


async def apply_tags(repo: TagLinks, links: Sequence[TagLink]) -> list[Applied | DabError]:
    """TAGGED_WITH (origin ``api``) for each of ``links``, within ``repo``'s transaction (a
    ``TagRepository`` on a session, or a direct batch: ``storage/tag_links_direct``); one
    outcome per link, in order.

    Re-applying an existing link changes nothing (False); when several links of the batch name
    the same pair, the first creates it and the others see it as existing, as if sequential.
    """
    tags = await repo.refs({link.tag for link in links})
    subjects = {
        kind: await repo.subject_urns(kind, {x.subject for x in links if x.kind == kind and x.tag in tags})
        for kind in {link.kind for link in links}
    }
    outcomes: list[Applied | DabError | None] = [None] * len(links)
    wanted: dict[str, dict[Pair, list[int]]] = {}
    for i, link in enumerate(links):
        tag = tags.get(link.tag)
        urn = subjects[link.kind].get(link.subject)
        if tag is None:
            outcomes[i] = NotFound(f"tag {link.tag!r} not found")
        elif urn is None:
            outcomes[i] = NotFound(f"{link.kind} {link.subject!r} not found")
        else:
            wanted.setdefault(link.kind, {}).setdefault((urn, tag["id"]), []).append(i)
    tag_urns = {tag["id"]: tag["urn"] for tag in tags.values()}
    for kind, pairs in wanted.items():
        created = await repo.add_links(
            kind, [(urn, tag_id, links[ix[0]].added_by) for (urn, tag_id), ix in pairs.items()]
        )
        existing = [pair for pair in pairs if pair not in created]
        stored = created | (await repo.links(kind, existing) if existing else {})
        for pair, indexes in pairs.items():
            for n, i in enumerate(indexes):
                outcomes[i] = _shown(
                    kind, pair, stored.get(pair), tag_urns, created=n == 0 and pair in created
                )
    done = [o for o in outcomes if o is not None]
    assert len(done) == len(links)  # every link got its answer
    return done


async def remove_tags(repo: TagLinks, links: Sequence[TagLink]) -> list[DabError | None]:
    """Remove the API-made TAGGED_WITH of each of ``links``; one outcome per link, in order.

    As one request at a time would: an unknown tag or ingested subject (a URN is taken as is:
    it may name a link whose subject is gone) or a missing link is a NotFound, a dbt-made link
    a Conflict, and a second removal of the same link in the batch finds it gone.
    """
    tags = await repo.refs({link.tag for link in links})
    subjects: dict[str, dict[str, str]] = {}
    for kind in {link.kind for link in links}:
        refs = {x.subject for x in links if x.kind == kind and not x.subject.startswith("urn:")}
        subjects[kind] = await repo.subject_urns(kind, refs) if refs else {}
    pairs = [_pair(link, tags, subjects) for link in links]
    stored: dict[str, dict[Pair, dict[str, Any]]] = {}
    for kind in subjects:
        wanted = [
            p for p, x in zip(pairs, links, strict=True) if x.kind == kind and not isinstance(p, DabError)
        ]
        stored[kind] = await repo.links(kind, wanted) if wanted else {}
    outcomes: list[DabError | None] = []
    gone: dict[str, set[Pair]] = {}
    for link, pair in zip(links, pairs, strict=True):
        if isinstance(pair, DabError):
            outcomes.append(pair)
            continue
        row, tag_urn = stored[link.kind].get(pair), tags[link.tag]["urn"]
        if row is None or pair in gone.get(link.kind, ()):
            outcomes.append(NotFound(f"{link.kind} {link.subject!r} is not tagged with {tag_urn!r}"))
        elif row["origin"] == "dbt":
            outcomes.append(
                Conflict(f"the tag {tag_urn!r} on {pair[0]!r} comes from dbt: remove it in the dbt project")
            )
        else:
            gone.setdefault(link.kind, set()).add(pair)
            outcomes.append(None)
    for kind, removed in gone.items():
        await repo.remove_links(kind, sorted(removed))
    return outcomes


def _pair(
    link: TagLink, tags: dict[str, dict[str, Any]], subjects: dict[str, dict[str, str]]
) -> Pair | DabError:
    tag = tags.get(link.tag)
    if tag is None:
        return NotFound(f"tag {link.tag!r} not found")
    urn = link.subject if link.subject.startswith("urn:") else subjects[link.kind].get(link.subject)
    if urn is None:
        return NotFound(f"{link.kind} {link.subject!r} not found")
    return urn, tag["id"]


def _shown(
    kind: str, pair: Pair, row: dict[str, Any] | None, tag_urns: dict[str, str], *, created: bool
) -> Applied | DabError:
    urn, tag_id = pair
    if row is None:  # PostgreSQL: the link it conflicted with was removed before it was read
        return Conflict(f"the tag {tag_urns[tag_id]!r} on {urn!r} changed while it was applied: retry")
    out = {
        f"{kind}_urn": urn,
        "tag_id": tag_id,
        "tag_urn": tag_urns[tag_id],
        "origin": row["origin"],
        "added_by": row["added_by"],
        "added_at": row["added_at"],
    }
    return out, created
