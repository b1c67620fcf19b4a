"""Substring search indexes for capsule and column text (name, URN, description), migration 0032.

The API matches ``q`` case-insensitively anywhere in those fields (``lower(x) LIKE '%q%'``
semantics). Indexing the whole URN was most of the cost: a column URN is ~100 characters, and
all but its last part is a *head* shared by every row of a project, source and type
(``urn:dab:dbt:column:shop:`` in ``urn:dab:dbt:column:shop:raw.orders.id``). So each row indexes
its URN's *tail*, from the last ``:`` on (``:raw.orders.id``), and the few distinct heads are
kept in ``search_head``. ``q`` is then in the URN exactly when it is in the head, in the tail,
or crosses the ``:`` they share; ``search_match`` turns that into conditions.

- SQLite: one FTS5 table per searched table (``capsule_search``, ``column_search``), rowid = the
  row's id, holding ``lower()`` of name, URN tail and description (SQLite's lower: ASCII only)
  under a case-sensitive trigram tokenizer, kept equal by triggers.
- PostgreSQL: one ``pg_trgm`` GIN index per table over ``name || tail || description`` (was three
  per table over the whole fields); a match through it is re-checked on the fields themselves.
  ``search_head`` is fed by statement triggers, so ``COPY`` pays one ``DISTINCT`` per batch.

These objects are not in the ORM metadata (``include_object`` hides them from autogenerate).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from dab.storage.search_index_0013 import drop_fts_tables

SEARCHED_FIELDS = ("name", "urn", "description")
INDEXED_FIELDS = ("name", "urn_tail", "description")
# searched table -> its FTS5 table (SQLite)
FTS_TABLES = {"capsule": "capsule_search", "capsule_column": "column_search"}
HEAD_TABLE = "search_head"
# From this many new rows, an insert indexes them in one pass afterwards instead of one trigger
# call per row: FTS5 takes ~4x longer fed row by row (220k column rows: 22 s vs 6 s).
BULK_INDEX_ROWS = 1000


# head: up to and including the URN's last ':' ('' without one); tail: from that ':' on (the
# whole URN without one), so head and tail share it. SQLite has no "last instr": rtrim by every
# non-':' character of the value strips back to its last ':' (~0.3 CPU s over 220k URNs).
def sqlite_head(value: str) -> str:
    return f"rtrim({value}, replace({value}, ':', ''))"


def sqlite_tail(value: str) -> str:
    return f"substr({value}, length({sqlite_head(value)}))"  # substr(x, 0) is all of x


def postgresql_head(value: str) -> str:
    return f"coalesce(substring({value} from '^.*:'), '')"


def postgresql_document(prefix: str = "") -> str:
    """The one indexed text of a PostgreSQL row; queries repeat it verbatim to use the index."""
    return (
        f"({prefix}name || chr(10) || substring({prefix}urn from ':?[^:]*$') || chr(10) "
        f"|| coalesce({prefix}description, ''))"
    )


def _trgm_index(source: str) -> str:
    return f"ix_{source}_search_trgm"


NAME_INDEX = "ix_capsule_name_search_trgm"
"""PostgreSQL: ``/search`` ranks capsule names; on 11k short names their own index is cheap to
build and faster to probe than the document index."""


def postgresql_upgrade() -> list[str]:
    statements = [
        "CREATE EXTENSION IF NOT EXISTS pg_trgm",
        f"CREATE INDEX IF NOT EXISTS {NAME_INDEX} ON capsule USING gin (name gin_trgm_ops)",
        f"CREATE TABLE IF NOT EXISTS {HEAD_TABLE} (source varchar(64) NOT NULL, head text NOT NULL, "
        f"PRIMARY KEY (source, head))",
        # TG_TABLE_NAME: one function serves both tables.
        "CREATE OR REPLACE FUNCTION search_head_collect() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"INSERT INTO {HEAD_TABLE} (source, head) SELECT DISTINCT TG_TABLE_NAME, {postgresql_head('urn')} "
        "FROM new_rows ON CONFLICT DO NOTHING; RETURN NULL; END $$",
    ]
    for source in FTS_TABLES:
        statements += [
            f"INSERT INTO {HEAD_TABLE} (source, head) SELECT DISTINCT '{source}', {postgresql_head('urn')} "
            f"FROM {source} ON CONFLICT DO NOTHING",
            *(
                f"CREATE TRIGGER {source}_search_head_{event} AFTER {event.upper()} ON {source} "
                "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION search_head_collect()"
                for event in ("insert", "update")
            ),
            f"CREATE INDEX IF NOT EXISTS {_trgm_index(source)} ON {source} "
            f"USING gin ({postgresql_document()} gin_trgm_ops)",
        ]
    return statements


def postgresql_downgrade() -> list[str]:
    statements: list[str] = []
    for source in FTS_TABLES:
        statements += [
            f"DROP TRIGGER IF EXISTS {source}_search_head_{e} ON {source}" for e in ("insert", "update")
        ]
        statements.append(f"DROP INDEX IF EXISTS {_trgm_index(source)}")
    return [
        *statements,
        "DROP FUNCTION IF EXISTS search_head_collect()",
        f"DROP TABLE IF EXISTS {HEAD_TABLE}",
    ]


def _sqlite_values(prefix: str) -> str:
    return f"lower({prefix}name), lower({sqlite_tail(prefix + 'urn')}), lower({prefix}description)"


_FTS_COLUMNS = ", ".join(INDEXED_FIELDS)


def _sqlite_index_row(source: str, fts: str) -> str:
    head = sqlite_head("new.urn")
    return (
        f"INSERT INTO {fts} (rowid, {_FTS_COLUMNS}) VALUES (new.id, {_sqlite_values('new.')}); "
        f"INSERT OR IGNORE INTO {HEAD_TABLE} (source, head) VALUES ('{source}', {head});"
    )


def _insert_trigger(source: str, fts: str) -> str:
    return f"CREATE TRIGGER {fts}_insert AFTER INSERT ON {source} BEGIN {_sqlite_index_row(source, fts)} END"


def sqlite_upgrade() -> list[str]:
    statements = [
        f"CREATE TABLE IF NOT EXISTS {HEAD_TABLE} (source TEXT NOT NULL, head TEXT NOT NULL, "
        "PRIMARY KEY (source, head)) WITHOUT ROWID"
    ]
    for source, fts in FTS_TABLES.items():
        statements += [
            f"CREATE VIRTUAL TABLE {fts} USING fts5({_FTS_COLUMNS}, tokenize='trigram case_sensitive 1')",
            f"INSERT INTO {fts} (rowid, {_FTS_COLUMNS}) SELECT id, {_sqlite_values('')} FROM {source}",
            f"INSERT OR IGNORE INTO {HEAD_TABLE} (source, head) "
            f"SELECT DISTINCT '{source}', {sqlite_head('urn')} FROM {source}",
            _insert_trigger(source, fts),
            # Also fired by ON DELETE CASCADE (a capsule's columns go with it). Heads stay: a head
            # no row has any more only sends a query that it matches to the scan.
            f"CREATE TRIGGER {fts}_delete AFTER DELETE ON {source} BEGIN "
            f"DELETE FROM {fts} WHERE rowid = old.id; END",
            f"CREATE TRIGGER {fts}_update AFTER UPDATE OF {', '.join(SEARCHED_FIELDS)} ON {source} BEGIN "
            f"DELETE FROM {fts} WHERE rowid = old.id; {_sqlite_index_row(source, fts)} END",
        ]
    return statements


def sqlite_downgrade() -> list[str]:
    return [*drop_fts_tables(FTS_TABLES.values()), f"DROP TABLE IF EXISTS {HEAD_TABLE}"]


def _index_since(source: str, fts: str) -> list[str]:
    """Index the rows above an id (the one parameter) as the triggers would have, in two
    statements. (Cutting the tails in Python instead cost as much: 1.25-1.31 against 1.19-1.20
    CPU s over 220k rows.)"""
    return [
        f"INSERT INTO {fts} (rowid, {_FTS_COLUMNS}) "
        f"SELECT id, {_sqlite_values('')} FROM {source} WHERE id > ?",
        f"INSERT OR IGNORE INTO {HEAD_TABLE} (source, head) "
        f"SELECT DISTINCT '{source}', {sqlite_head('urn')} FROM {source} WHERE id > ?",
    ]


@asynccontextmanager
async def sqlite_bulk_insert(
    conn: Any, source: str, rows: int, *, min_rows: int = BULK_INDEX_ROWS
) -> AsyncIterator[None]:
    """Around a large insert into a searched SQLite table, inside its write transaction: the
    row trigger is dropped, the new rows (ids above the old maximum: ids are assigned in
    ascending order) are indexed in one pass, and the trigger comes back. SQLite DDL is
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
    for statement in _index_since(source, fts):
        await conn.exec_driver_sql(statement, (last_id,))
    await conn.exec_driver_sql(_insert_trigger(source, fts))


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Autogenerate filter: the search objects live in migrations 0013 and 0032 only."""
    del obj, compare_to
    if not reflected or name is None:
        return True
    if type_ == "table":
        return name != HEAD_TABLE and not any(
            name == fts or name.startswith(f"{fts}_") for fts in FTS_TABLES.values()
        )
    return not (type_ == "index" and name.endswith("_trgm"))
