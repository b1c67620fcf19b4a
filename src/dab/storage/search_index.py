"""Substring search indexes for capsule and column text (name, URN, description).

The API matches ``q`` case-insensitively anywhere in those fields (``lower(x) LIKE '%q%'``
semantics); without an index that is a scan of every row (220k columns at 10k models: 0.3-1.8 s).

- PostgreSQL: a stored generated column ``search_text`` per searched table holding
  ``lower(name) || chr(1) || lower(urn) || chr(1) || lower(description)`` with one ``pg_trgm`` GIN
  index (migration 0028; 0013 had one per field). ``search_text LIKE lower('%q%')`` matches
  exactly the rows ``name ILIKE '%q%' OR urn ILIKE ... OR description ILIKE ...`` matches
  (PostgreSQL's ILIKE is ``lower(x) LIKE lower(p)`` on UTF-8), as long as ``q`` holds no chr(1),
  the separator; such a ``q`` keeps the per-field ILIKE. Each candidate of the index is rechecked
  with one byte-wise LIKE instead of three ILIKEs that lower both sides per row (~2.5x cheaper).
- SQLite: one FTS5 table per searched table (``capsule_search``, ``column_search``), rowid = the
  row's id, holding ``lower()`` of the fields (SQLite's lower: ASCII only) under a case-sensitive
  trigram tokenizer, kept equal by triggers. A phrase query for the ASCII-lowered text then
  matches exactly the rows ``lower(x) LIKE lower('%q%')`` matches, so no recheck is needed. FTS5
  trigrams need at least 3 characters; shorter queries keep the scan.
- Since migration 0027 ``column_search`` (220k rows at 10k models) holds one *document* per row
  instead: the three lowered fields joined by a separator no query can span (U+001F), with
  ``columnsize=0``: a first ingestion builds it with ~0.5 CPU s less (one field's token
  positions and no per-field sizes). A phrase without the separator lies inside one field, so
  the match stays exact; a text holding the separator keeps the scan, and so does a match
  restricted to one field (no fields to restrict it to). ``detail=none`` would have halved the
  build, but without positions a match is re-checked row by row and list reads got 30x slower
  at p95 (docs/PERFORMANCE.md, "Ingestion at the floor, part 9").

The objects are created by migrations 0013, 0027 and 0028 and are not part of the ORM metadata
(``include_object`` keeps autogenerate from proposing to drop them).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import ColumnElement, Text, column, func, literal_column, or_, select, table
from sqlalchemy.ext.asyncio import AsyncSession

from dab.storage.repositories._text import ESCAPE, escape_like, icontains

SEARCHED_FIELDS = ("name", "urn", "description")
# searched table -> its FTS5 table
FTS_TABLES = {"capsule": "capsule_search", "capsule_column": "column_search"}
# FTS tables holding one joined document per row (migration 0027) instead of one field each.
DOCUMENT_TABLES = frozenset({"column_search"})
DOCUMENT_SEPARATOR = "\x1f"
MIN_FTS_CHARACTERS = 3
# From this many new rows, an insert indexes them in one statement afterwards instead of one
# trigger call per row: FTS5 takes ~4x longer fed row by row (220k column rows: 22 s vs 6 s).
BULK_INDEX_ROWS = 1000
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _trgm_index(source: str, field: str) -> str:
    return f"ix_{source}_{field}_trgm"


def postgresql_upgrade() -> list[str]:
    statements = ["CREATE EXTENSION IF NOT EXISTS pg_trgm"]
    for source in FTS_TABLES:
        statements += [
            f"CREATE INDEX IF NOT EXISTS {_trgm_index(source, f)} ON {source} USING gin ({f} gin_trgm_ops)"
            for f in SEARCHED_FIELDS
        ]
    return statements


def postgresql_downgrade() -> list[str]:
    return [f"DROP INDEX IF EXISTS {_trgm_index(s, f)}" for s in FTS_TABLES for f in SEARCHED_FIELDS]


SEARCH_TEXT = "search_text"
SEPARATOR = "\x01"
# The per-field indexes migration 0028 replaces by the one on SEARCH_TEXT. The capsule name's
# stays: /search ranks distinct capsule names through it.
REPLACED_INDEXES = (*((s, f) for s in FTS_TABLES for f in ("urn", "description")), ("capsule_column", "name"))


def _document_sql() -> str:
    # Per field: lower() of each field is what ILIKE compares (a lower() of the concatenation
    # could differ under a context-sensitive ICU collation).
    return " || chr(1) || ".join(f"lower(coalesce({f}, ''))" for f in SEARCHED_FIELDS)


def postgresql_document_upgrade() -> list[str]:
    statements: list[str] = []
    for source in FTS_TABLES:
        statements += [
            f"ALTER TABLE {source} ADD COLUMN IF NOT EXISTS {SEARCH_TEXT} text "
            f"GENERATED ALWAYS AS ({_document_sql()}) STORED",
            f"CREATE INDEX IF NOT EXISTS {_trgm_index(source, 'search')} ON {source} "
            f"USING gin ({SEARCH_TEXT} gin_trgm_ops)",
        ]
    return statements + [f"DROP INDEX IF EXISTS {_trgm_index(s, f)}" for s, f in REPLACED_INDEXES]


def postgresql_document_downgrade() -> list[str]:
    statements = [
        f"CREATE INDEX IF NOT EXISTS {_trgm_index(s, f)} ON {s} USING gin ({f} gin_trgm_ops)"
        for s, f in REPLACED_INDEXES
    ]
    return statements + [f"ALTER TABLE {s} DROP COLUMN IF EXISTS {SEARCH_TEXT}" for s in FTS_TABLES]


def _lowered(prefix: str) -> str:
    return ", ".join(f"lower({prefix}{f})" for f in SEARCHED_FIELDS)


def _document(prefix: str) -> str:
    """The joined document of a row (``coalesce``: a NULL description must not void the rest)."""
    parts = [
        f"coalesce(lower({prefix}{f}), '')" if f == "description" else f"lower({prefix}{f})"
        for f in SEARCHED_FIELDS
    ]
    return " || char(31) || ".join(parts)


def _indexed(prefix: str, *, joined: bool) -> tuple[str, str]:
    """(the FTS table's columns, the values a row of ``prefix`` gives them)."""
    if joined:
        return "doc", _document(prefix)
    return ", ".join(SEARCHED_FIELDS), _lowered(prefix)


def _create(fts: str, *, joined: bool) -> str:
    tokenizer = "tokenize='trigram case_sensitive 1'"
    if joined:
        return f"CREATE VIRTUAL TABLE {fts} USING fts5(doc, {tokenizer}, columnsize=0)"
    return f"CREATE VIRTUAL TABLE {fts} USING fts5({', '.join(SEARCHED_FIELDS)}, {tokenizer})"


def _insert_trigger(source: str, fts: str, *, joined: bool) -> str:
    columns, values = _indexed("new.", joined=joined)
    return (
        f"CREATE TRIGGER {fts}_insert AFTER INSERT ON {source} BEGIN "
        f"INSERT INTO {fts} (rowid, {columns}) VALUES (new.id, {values}); END"
    )


def _sqlite_objects(source: str, fts: str, *, joined: bool) -> list[str]:
    """The FTS table of ``source``, filled from its rows, and the triggers keeping it equal."""
    columns, values = _indexed("", joined=joined)
    _, new_values = _indexed("new.", joined=joined)
    return [
        _create(fts, joined=joined),
        f"INSERT INTO {fts} (rowid, {columns}) SELECT id, {values} FROM {source}",
        _insert_trigger(source, fts, joined=joined),
        # Also fired by ON DELETE CASCADE (a capsule's columns go with it).
        f"CREATE TRIGGER {fts}_delete AFTER DELETE ON {source} BEGIN "
        f"DELETE FROM {fts} WHERE rowid = old.id; END",
        f"CREATE TRIGGER {fts}_update AFTER UPDATE OF {', '.join(SEARCHED_FIELDS)} ON {source} BEGIN "
        f"DELETE FROM {fts} WHERE rowid = old.id; "
        f"INSERT INTO {fts} (rowid, {columns}) VALUES (new.id, {new_values}); END",
    ]


def _sqlite_drop(fts: str) -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {fts}_{event}" for event in ("insert", "delete", "update")] + [
        f"DROP TABLE IF EXISTS {fts}"
    ]


def sqlite_upgrade() -> list[str]:
    """Migration 0013's objects: one field per searched field in both tables."""
    statements: list[str] = []
    for source, fts in FTS_TABLES.items():
        statements += _sqlite_objects(source, fts, joined=False)
    return statements


def sqlite_documents(*, joined: bool) -> list[str]:
    """Migration 0027 (``joined``) and its downgrade: rebuild the document tables' FTS tables
    in the one form or the other, from the rows."""
    statements: list[str] = []
    for source, fts in FTS_TABLES.items():
        if fts in DOCUMENT_TABLES:
            statements += _sqlite_drop(fts) + _sqlite_objects(source, fts, joined=joined)
    return statements


@asynccontextmanager
async def sqlite_bulk_insert(
    conn: Any, source: str, rows: int, *, min_rows: int = BULK_INDEX_ROWS
) -> AsyncIterator[None]:
    """Around a large insert into a searched SQLite table, inside its write transaction: the
    row trigger is dropped, the new rows (ids above the old maximum: ids are assigned in
    ascending order) are indexed in one statement, and the trigger comes back. SQLite DDL is
    transactional, so a failure rolls all of it back and no other writer sees the gap.
    ``min_rows``: below it the triggers index the rows (the switch costs five statements)."""
    fts = FTS_TABLES.get(source)
    if fts is None or rows < min_rows or conn.dialect.name != "sqlite":
        yield
        return
    # Python's sqlite3 opens its transaction only before DML, and DDL outside one autocommits:
    # a no-op UPDATE makes sure the DROP below is part of the write transaction.
    await conn.exec_driver_sql(f"UPDATE {source} SET id = id WHERE 0")
    last_id = (await conn.exec_driver_sql(f"SELECT coalesce(max(id), 0) FROM {source}")).scalar_one()
    await conn.exec_driver_sql(f"DROP TRIGGER {fts}_insert")
    yield
    await conn.exec_driver_sql(sqlite_index_rows(source), (last_id,))
    await conn.exec_driver_sql(_insert_trigger(source, fts, joined=fts in DOCUMENT_TABLES))


def sqlite_index_rows(source: str) -> str:
    """The statement indexing the rows of ``source`` with ids above its one parameter, in one go."""
    fts = FTS_TABLES[source]
    columns, values = _indexed("", joined=fts in DOCUMENT_TABLES)
    return f"INSERT INTO {fts} (rowid, {columns}) SELECT id, {values} FROM {source} WHERE id > ?"


def sqlite_downgrade() -> list[str]:
    statements: list[str] = []
    for fts in FTS_TABLES.values():
        statements += _sqlite_drop(fts)
    return statements


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Autogenerate filter: the search objects live in migration 0013 only."""
    del obj, compare_to
    if not reflected or name is None:
        return True
    if type_ == "table":
        return not any(name == fts or name.startswith(f"{fts}_") for fts in FTS_TABLES.values())
    if type_ == "column":
        return name != SEARCH_TEXT
    return not (type_ == "index" and name.endswith("_trgm"))


def search_document(row_id: Any) -> Any:
    """The ``search_text`` column of ``row_id``'s table (PostgreSQL; not in the ORM metadata)."""
    return literal_column(f"{row_id.table.name}.{SEARCH_TEXT}", Text)


def document_contains(document: Any, text: str) -> ColumnElement[bool] | None:
    """PostgreSQL: ``document LIKE lower('%text%')`` (``document``: a ``search_text`` column), or
    None when the text holds the separator (only the per-field ILIKE is exact then)."""
    if SEPARATOR in text:
        return None
    result: ColumnElement[bool] = document.like(func.lower(f"%{escape_like(text)}%"), escape=ESCAPE)
    return result


def uses_fts(session: AsyncSession) -> bool:
    """SQLite answers substring search from its FTS5 tables; PostgreSQL's ILIKE uses pg_trgm."""
    return bool(session.get_bind().dialect.name == "sqlite")


def fts_phrase(text: str) -> str | None:
    """The FTS5 phrase matching ``text`` as a substring (quoted, so nothing in it is syntax),
    or None when it is too short for trigrams."""
    if len(text) < MIN_FTS_CHARACTERS:
        return None
    lowered = text.translate(_ASCII_LOWER)
    return '"' + lowered.replace('"', '""') + '"'


def _fts_condition(row_id: Any, text: str, field: str | None) -> tuple[Any, Any] | None:
    """(the FTS table of ``row_id``'s table, its condition matching ``text``), or None to scan.
    A document table has no fields to restrict a match to, and a text holding its separator
    would match across fields: both scan."""
    name = FTS_TABLES[row_id.table.name]
    joined = name in DOCUMENT_TABLES
    phrase = fts_phrase(text)
    if phrase is None or (joined and (field is not None or DOCUMENT_SEPARATOR in text)):
        return None
    fts = table(name, column("rowid"), column(name))
    query = f"{{{field}}} : {phrase}" if field else phrase
    return fts, fts.c[name].op("MATCH")(query)


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


def fts_rows(row_id: Any, text: str) -> Any:
    """The rowids matching ``text`` in index order, from the FTS table alone (a match is exact),
    or None when the text is too short. Counting through ``id IN (...)`` looks every match up in
    the table again (57 ms against 3 ms for the 80k columns matching "stg"); paging in rowid
    order stops after the page, where sorting the matches by another key fetched them all."""
    found = _fts_condition(row_id, text, None)
    if found is None:
        return None
    fts, condition = found
    return select(fts.c.rowid).where(condition).order_by(fts.c.rowid)


def fts_match(row_id: Any, text: str, *, field: str | None = None) -> ColumnElement[bool] | None:
    """``row_id IN (rows of its table's FTS table matching text)`` for SQLite, or None to fall
    back to LIKE. ``field`` restricts the match to one field (an FTS5 column filter)."""
    found = _fts_condition(row_id, text, field)
    if found is None:
        return None
    fts, condition = found
    result: ColumnElement[bool] = row_id.in_(select(fts.c.rowid).where(condition))
    return result


def contains_text(
    row_id: Any, fields: tuple[Any, ...], text: str, *, fts: bool, document: bool = False
) -> ColumnElement[bool]:
    """Rows where any of ``fields`` contains ``text`` (case-insensitive): through the FTS table
    when ``fts`` (SQLite) and the text is long enough, through ``search_text`` when ``document``
    (PostgreSQL), else the per-field ILIKE (the scan)."""
    indexed = (
        fts_match(row_id, text)
        if fts
        else document_contains(search_document(row_id), text)
        if document
        else None
    )
    return indexed if indexed is not None else or_(*(icontains(f, text) for f in fields))
