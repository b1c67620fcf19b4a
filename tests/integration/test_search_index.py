"""Substring search through the indexes of migrations 0013, 0027 and 0028 answers what the plain scan
answers.

On SQLite the FTS5 tables must give exactly the rows ``lower(x) LIKE lower('%q%')`` gives, for
any text (case, non-ASCII, quotes, LIKE and GLOB wildcards, FTS5 syntax, the column documents'
field separator, a text running from one field into the next), and stay equal to their tables
through inserts, updates, cascaded deletes and migration 0027 down and up. On PostgreSQL the
lowered ``search_text`` document (migration 0028) must give exactly the rows the per-field ILIKE
gives, and the text pages (a window of the first ids, or every match sorted) the scan's pages.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from dab.storage import migrate, search_index
from dab.storage.db import create_engine
from dab.storage.records import CapsuleRecord, ColumnRecord
from dab.storage.repositories import columns as columns_repository
from dab.storage.repositories.capsules import CapsuleFilters, CapsuleRepository
from dab.storage.repositories.columns import ColumnFilters, ColumnRepository
from dab.storage.search_index import FTS_TABLES, contains_text

T = TypeVar("T")
NAMES = [
    "Orders",
    "ORDER_items",
    "Straße_Ünïcode",
    "émile",
    "ÉMILE_upper",
    "kelvin_\u212a_sign",
    'quote"d',
    "100%_done",
    "back\\slash",
    "NEAR AND OR",
    "a*b^c",
    "col:on",
    "{brace}",
    "  spaced  out ",
    "x",
    "glob[ab]?*x",
    "sep\x1farated",
    "sep\x01arated",
]
QUERIES = [
    "order",
    "ORDER",
    "rder_i",
    "ße_ü",
    "ÉMI",
    "émi",
    "emi",
    "kelvin_k",
    "_\u212a_",
    'e"d',
    '"',
    "0%_",
    "%_d",
    "k\\s",
    "near and",
    "a*b",
    "l:o",
    "{br",
    "ced  o",
    "zzz",
    "or",
    "Ünï",
    "urn:dab",
    "description of",
    "b[ab]?*",
    "[ab]",
    "ob[a",
    "?*x",
    "b]?",
    "p\x1fa",
    "x\x1fdesc",
    "out urn",
    "ders.ord",
    "orders\x1furn",
    "done\x1f",
    "\x01",
    "p\x01a",
    "x",
    "É",
    "\\",
    "%",
    "_",
]
CAPSULE = (
    "INSERT INTO capsule (id, urn, project, source, capsule_type, namespace, name, layer, dbt_tags, "
    "meta, contract_enforced, column_count, pii_column_count, content_hash, created_at, updated_at, "
    "description) VALUES (:id, :urn, 'p', 'dbt', 'model', 'p', :name, 'gold', '[]', '{}', false, 1, 0, "
    "'h', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, :description)"
)
COLUMN = (
    "INSERT INTO capsule_column (id, urn, project, capsule_urn, name, description, meta, dbt_tags, "
    "constraints, stats, is_masked, content_hash, created_at, updated_at) VALUES (:id, :curn, 'p', "
    ":urn, :name, :description, '{}', '[]', '[]', '{}', false, 'h', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
)


def _rows() -> list[dict[str, Any]]:
    rows = []
    for i, name in enumerate(NAMES, start=1):
        description = None if i % 3 == 0 else f"Description of {name.upper()}"
        urn = f"urn:dab:dbt:model:p:{name}"
        rows.append({"id": i, "urn": urn, "curn": f"{urn}.{name}", "name": name, "description": description})
    return rows


class _Database:
    """Runs each step in its own event loop with its own engine (asyncpg binds to the loop)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.dialect = create_engine(url).dialect.name

    def run(self, step: Callable[[AsyncEngine], Awaitable[T]]) -> T:
        async def go() -> T:
            engine = create_engine(self.url)
            try:
                return await step(engine)
            finally:
                await engine.dispose()

        return asyncio.run(go())


@pytest.fixture
def database(clean_database: str) -> _Database:
    async def load(engine: AsyncEngine) -> None:
        async with engine.begin() as conn:
            for row in _rows():
                await conn.execute(text(CAPSULE), row)
                await conn.execute(text(COLUMN), row)

    db = _Database(clean_database)
    db.run(load)
    return db


async def _ids(
    engine: AsyncEngine, record: Any, query: str, *, fts: bool, document: bool = False
) -> list[int]:
    fields = (record.name, record.urn, record.description)
    async with AsyncSession(engine) as session:
        matched = contains_text(record.id, fields, query, fts=fts, document=document)
        return list((await session.scalars(select(record.id).where(matched).order_by(record.id))).all())


def _answers(database: _Database, *, fts: bool, document: bool = False) -> dict[tuple[str, str], list[int]]:
    async def run(engine: AsyncEngine) -> dict[tuple[str, str], list[int]]:
        return {
            (record.__tablename__, q): await _ids(engine, record, q, fts=fts, document=document)
            for record in (CapsuleRecord, ColumnRecord)
            for q in QUERIES
        }

    return database.run(run)


def _hits(database: _Database, record: Any, query: str) -> list[int]:
    return database.run(lambda engine: _ids(engine, record, query, fts=True))


def _sqlite_only(database: _Database) -> None:
    if database.dialect != "sqlite":
        pytest.skip("the FTS5 tables are SQLite's; PostgreSQL's search document is tested below")


class TestFtsAnswersLikeTheScan:
    def test_every_query_gives_the_rows_the_scan_gives(self, database: _Database) -> None:
        _sqlite_only(database)
        indexed, scanned = _answers(database, fts=True), _answers(database, fts=False)
        assert indexed == scanned
        # Not vacuous: most queries hit something, and some hit nothing.
        assert sum(1 for ids in scanned.values() if ids) >= len(scanned) // 2
        assert any(not ids for ids in scanned.values())

    def test_list_totals_counted_by_the_index_equal_the_scan(self, database: _Database) -> None:
        _sqlite_only(database)

        async def totals(engine: AsyncEngine) -> dict[str, tuple[int, int]]:
            out = {}
            async with AsyncSession(engine) as session:
                for q in QUERIES:
                    _, capsules, exact = await CapsuleRepository(session).list_page(
                        CapsuleFilters(q=q), sort_key="name", descending=False, limit=1, offset=0
                    )
                    _, columns, also_exact = await ColumnRepository(session).list_page(
                        ColumnFilters(q=q), limit=1, offset=0
                    )
                    assert exact and also_exact  # far below the cap
                    out[q] = (capsules, columns)
            return out

        scanned = _answers(database, fts=False)
        expected = {q: (len(scanned["capsule", q]), len(scanned["capsule_column", q])) for q in QUERIES}
        assert database.run(totals) == expected

    def test_text_pages_read_through_the_index_equal_the_scans_pages(self, database: _Database) -> None:
        # With a text the columns come in id order: the index's own order, read page by page.
        async def pages(engine: AsyncEngine) -> dict[str, list[list[int]]]:
            out: dict[str, list[list[int]]] = {}
            async with AsyncSession(engine) as session:
                for q in QUERIES:
                    repo = ColumnRepository(session)
                    out[q] = [
                        [
                            row["id"]
                            for row in (await repo.list_page(ColumnFilters(q=q), limit=2, offset=o))[0]
                        ]
                        for o in range(0, len(NAMES), 2)
                    ]
            return out

        scanned = _answers(database, fts=False)
        expected = {
            q: [scanned["capsule_column", q][o : o + 2] for o in range(0, len(NAMES), 2)] for q in QUERIES
        }
        assert database.run(pages) == expected
        assert any(len(ids) > 2 for ids in scanned.values())  # some texts span several pages

    def test_a_broad_text_counts_up_to_the_cap_and_says_so(
        self, database: _Database, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(search_index, "TEXT_TOTAL_CAP", 3)
        scanned = _answers(database, fts=False)

        async def lists(engine: AsyncEngine) -> dict[str, Any]:
            async with AsyncSession(engine) as session:
                capsules = CapsuleRepository(session)
                return {
                    q: (
                        await capsules.list_page(
                            CapsuleFilters(q=q), sort_key="name", descending=False, limit=50, offset=0
                        ),
                        await ColumnRepository(session).list_page(ColumnFilters(q=q), limit=2, offset=2),
                        await capsules.list_page(
                            CapsuleFilters(), sort_key="name", descending=False, limit=1, offset=0
                        ),
                    )
                    for q in ("description of", "order", "zzz")
                }

        answers = database.run(lists)
        broad, few, none = answers["description of"], answers["order"], answers["zzz"]
        assert len(scanned["capsule", "description of"]) > 3
        assert broad[0][1:] == (3, False)  # a lower bound, and said so ...
        assert len(broad[0][0]) == len(scanned["capsule", "description of"])  # ... the rows are all there
        assert broad[1][1:] == (3, False)
        assert [r["id"] for r in broad[1][0]] == scanned["capsule_column", "description of"][
            2:4
        ]  # past the cap's page
        assert (
            few[0][1:] == (len(scanned["capsule", "order"]), True) and len(scanned["capsule", "order"]) <= 3
        )
        assert none[0][1:] == (0, True)
        assert broad[2][1:] == (len(NAMES), True)  # no text: never capped

    def test_the_tables_follow_updates_and_cascaded_deletes(self, database: _Database) -> None:
        _sqlite_only(database)

        async def change(engine: AsyncEngine) -> None:
            async with engine.begin() as conn:
                await conn.execute(text("UPDATE capsule SET name = 'Renamed_Thing' WHERE id = 1"))
                await conn.execute(text("UPDATE capsule_column SET description = 'NEW words' WHERE id = 2"))
                await conn.execute(text("DELETE FROM capsule WHERE id = 4"))  # its column cascades

        database.run(change)
        assert _answers(database, fts=True) == _answers(database, fts=False)

        async def counts(engine: AsyncEngine) -> list[tuple[int, int]]:
            async with engine.connect() as conn:
                pairs = []
                for source, fts in FTS_TABLES.items():
                    rows = await conn.scalar(text(f"SELECT count(*) FROM {source}"))
                    indexed = await conn.scalar(text(f"SELECT count(*) FROM {fts}"))
                    pairs.append((rows, indexed))
                return pairs

        assert database.run(counts) == [(len(NAMES) - 1, len(NAMES) - 1)] * 2
        assert _hits(database, CapsuleRecord, "renamed_t") == [1]
        assert _hits(database, CapsuleRecord, "émile") == []  # capsule 4, deleted
        assert _hits(database, ColumnRecord, "émile") == []
        assert _hits(database, ColumnRecord, "new wor") == [2]

    def test_migration_0030_rebuilds_the_column_documents_down_and_up(self, database: _Database) -> None:
        _sqlite_only(database)
        scanned = _answers(database, fts=False)

        async def form(engine: AsyncEngine) -> str:
            async with engine.connect() as conn:
                sql = "SELECT sql FROM sqlite_master WHERE name = 'column_search'"
                return str(await conn.scalar(text(sql)))

        assert "columnsize=0" in database.run(form)
        migrate.downgrade(database.url, "0026")
        try:
            assert "columnsize=0" not in database.run(form)  # 0013's one field per searched field
            assert "description" in database.run(form)
            with pytest.MonkeyPatch.context() as patch:  # read it as 0013's table is read
                patch.setattr(search_index, "DOCUMENT_TABLES", frozenset())
                assert _answers(database, fts=True) == scanned
        finally:
            migrate.upgrade(database.url)
        assert "columnsize=0" in database.run(form)
        assert _answers(database, fts=True) == scanned


def _postgres_only(database: _Database) -> None:
    if database.dialect != "postgresql":
        pytest.skip("the search document and pg_trgm are PostgreSQL's")


class TestPostgresSearchDocument:
    def test_one_trigram_index_per_table_and_the_capsule_names(self, database: _Database) -> None:
        _postgres_only(database)

        async def names(engine: AsyncEngine) -> set[str]:
            async with engine.connect() as conn:
                rows = await conn.execute(
                    text("SELECT indexname FROM pg_indexes WHERE indexname LIKE '%_trgm'")
                )
                return {r[0] for r in rows}

        expected = {"ix_capsule_search_trgm", "ix_capsule_column_search_trgm", "ix_capsule_name_trgm"}
        assert database.run(names) == expected

    def test_the_document_gives_the_rows_the_per_field_ilike_gives(self, database: _Database) -> None:
        _postgres_only(database)
        assert _answers(database, document=True, fts=False) == _answers(database, fts=False)
        assert database.run(
            lambda engine: _ids(engine, CapsuleRecord, "ORDER", fts=False, document=True)
        ) == [1, 2]
        # The separator inside q: answered by the per-field ILIKE, so no match across fields.
        assert database.run(lambda e: _ids(e, ColumnRecord, "p\x01a", fts=False, document=True)) == [
            NAMES.index("sep\x01arated") + 1
        ]
        assert database.run(lambda e: _ids(e, ColumnRecord, "d\x01u", fts=False, document=True)) == []

    def test_the_document_follows_updates(self, database: _Database) -> None:
        _postgres_only(database)

        async def update(engine: AsyncEngine) -> None:
            async with engine.begin() as conn:
                await conn.execute(
                    text("UPDATE capsule_column SET description = 'Brand NEW words' WHERE id = 2")
                )
                await conn.execute(text("UPDATE capsule SET name = 'Renamed_T' WHERE id = 1"))

        database.run(update)
        assert _answers(database, document=True, fts=False) == _answers(database, fts=False)
        assert database.run(lambda e: _ids(e, ColumnRecord, "new wor", fts=False, document=True)) == [2]
        assert database.run(lambda e: _ids(e, CapsuleRecord, "renamed_t", fts=False, document=True)) == [1]

    @pytest.mark.parametrize("window", [1, 3, 100])
    def test_broad_text_pages_equal_the_scans_pages(
        self, database: _Database, monkeypatch: pytest.MonkeyPatch, window: int
    ) -> None:
        """Every text treated as broad (cap 0): its page comes from the id window when the
        window holds it, else from every match sorted; both must be the scan's page."""
        _postgres_only(database)
        monkeypatch.setattr(columns_repository, "TEXT_TOTAL_CAP", 0)
        monkeypatch.setattr(columns_repository, "ID_WINDOW", window)

        async def pages(engine: AsyncEngine) -> dict[str, list[list[int]]]:
            async with AsyncSession(engine) as session:
                repo = ColumnRepository(session)
                return {
                    q: [
                        [r["id"] for r in (await repo.list_page(ColumnFilters(q=q), limit=2, offset=o))[0]]
                        for o in range(0, len(NAMES), 2)
                    ]
                    for q in QUERIES
                }

        scanned = _answers(database, fts=False)
        expected = {
            q: [scanned["capsule_column", q][o : o + 2] for o in range(0, len(NAMES), 2)] for q in QUERIES
        }
        assert database.run(pages) == expected
