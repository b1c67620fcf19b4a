"""``q`` on capsules and columns as conditions over the search indexes (``search_index``).

A row matches when ``q`` is (case-insensitively) in its name, URN or description. The indexes
hold name, URN *tail* and description, so a URN match is one of:

- ``q`` in the tail: the index finds it;
- ``q`` in the head: every row of that head matches, and heads are few and broad (the whole
  project's columns), so such a ``q`` is answered by the plain scan, which stops after a page;
- ``q`` crosses the ``:`` head and tail share: that ``:`` is one of ``q``'s, and from it on ``q``
  begins the tail. For each ``:`` of ``q`` (past its first character) the rows whose tail holds
  the rest of ``q`` are found in the index and re-checked on the URN.

Texts shorter than a trigram (3 characters) are scanned, as before.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, column, func, literal_column, or_, select, table
from sqlalchemy.ext.asyncio import AsyncSession

from dab.storage.repositories._text import icontains
from dab.storage.search_index import FTS_TABLES, HEAD_TABLE, postgresql_document

MIN_FTS_CHARACTERS = 3
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_HEADS = table(HEAD_TABLE, column("source"), column("head"))

TEXT_TOTAL_CAP = 1_000
"""A text-filtered list counts at most this many matches and says when it stopped there
(``exact`` False): a broad text such as "col_1" (117k of 220k columns) cost 48 ms to count
through the index and a short one (no trigrams) a scan of every row."""


def capped_count(matches: Any) -> Any:
    """``count(*)`` of at most ``TEXT_TOTAL_CAP + 1`` rows of the ``matches`` select: more
    than the cap means the total is "at least the cap"."""
    return select(func.count()).select_from(matches.limit(TEXT_TOTAL_CAP + 1).subquery())


def capped_total(counted: int, text: str | None) -> tuple[int, bool]:
    """What a list answers for ``capped_count``'s result: (total, exact). Without a text
    nothing was capped."""
    if not text or counted <= TEXT_TOTAL_CAP:
        return counted, True
    return TEXT_TOTAL_CAP, False


def fts_phrase(text: str) -> str | None:
    """The FTS5 phrase matching ``text`` as a substring (quoted, so nothing in it is syntax),
    or None when it is too short for trigrams."""
    if len(text) < MIN_FTS_CHARACTERS:
        return None
    lowered = text.translate(_ASCII_LOWER)
    return '"' + lowered.replace('"', '""') + '"'


def _fts_rows(source: str, phrase: str, field: str | None = None) -> Any:
    fts_name = FTS_TABLES[source]
    fts = table(fts_name, column("rowid"), column(fts_name))
    query = f"{{{field}}} : {phrase}" if field else phrase
    return select(fts.c.rowid).where(fts.c[fts_name].op("MATCH")(query))


_SEPARATOR = "\n"  # between the fields of the PostgreSQL document (chr(10))


def _fields(record: Any) -> tuple[Any, Any, Any]:
    return record.name, record.urn, record.description


def _indexed(record: Any, text: str, *, sqlite: bool, field: str | None = None) -> ColumnElement[bool]:
    """Rows whose indexed text holds ``text`` (``len(text) >= 3``): exact on SQLite (the FTS
    table holds the lowered fields); on PostgreSQL the document match is re-checked on the
    fields when ``text`` holds the separator (only then can it span two). ``field``: that field
    only on SQLite, the whole document on PostgreSQL; the caller re-checks."""
    if sqlite:
        phrase = fts_phrase(text)
        assert phrase is not None
        result: ColumnElement[bool] = record.id.in_(_fts_rows(record.__tablename__, phrase, field))
        return result
    document = icontains(literal_column(postgresql_document(f"{record.__tablename__}.")), text)
    if field or _SEPARATOR not in text:  # then a document match lies inside one field: exact
        return document
    return and_(document, _scan(record, text))


def _scan(record: Any, text: str) -> ColumnElement[bool]:
    return or_(*(icontains(f, text) for f in _fields(record)))


@dataclass(frozen=True, slots=True)
class TextMatch:
    condition: ColumnElement[bool]
    by_index: Any | None = None
    """SQLite, when the index alone answers: the matching rowids in id order (count and page
    from the FTS table without looking rows up: 3 ms against 57 ms for 80k matches)."""


async def _in_a_head(session: AsyncSession, source: str, text: str) -> bool:
    found: Any = select(literal_column("1")).where(_HEADS.c.source == source, icontains(_HEADS.c.head, text))
    return (await session.scalar(found.limit(1))) is not None


async def text_match(session: AsyncSession, record: Any, text: str) -> TextMatch:
    """The condition for rows of ``record``'s table matching ``text``, through the index when it
    can answer; exactly the rows of the plain scan either way."""
    if len(text) < MIN_FTS_CHARACTERS or await _in_a_head(session, record.__tablename__, text):
        return TextMatch(_scan(record, text))
    sqlite = session.get_bind().dialect.name == "sqlite"
    whole = _indexed(record, text, sqlite=sqlite)
    crossing = []
    for at in (i for i, ch in enumerate(text) if ch == ":" and i > 0):
        rest = text[at:]
        if len(rest) < MIN_FTS_CHARACTERS:  # ":" or ":x" begins every tail or most: scan
            return TextMatch(_scan(record, text))
        crossing.append(
            and_(_indexed(record, rest, sqlite=sqlite, field="urn_tail"), icontains(record.urn, text))
        )
    if crossing:
        return TextMatch(or_(whole, *crossing))
    phrase = fts_phrase(text) if sqlite else None
    if phrase is None:
        return TextMatch(whole)
    rows = _fts_rows(record.__tablename__, phrase)
    return TextMatch(whole, rows.order_by(rows.selected_columns[0]))


def name_match(record: Any, text: str, *, sqlite: bool) -> ColumnElement[bool]:
    """``text`` in a capsule's name (``/search``), through an index for 3 characters or more."""
    plain = icontains(record.name, text)
    if len(text) < MIN_FTS_CHARACTERS:
        return plain
    if sqlite:
        return _indexed(record, text, sqlite=True, field="name")
    return plain  # PostgreSQL: capsule names have their own trigram index
