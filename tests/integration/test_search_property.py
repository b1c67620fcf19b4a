"""Property: ``?q=`` through the search indexes answers exactly what the plain scan answers.

Generated capsule and column rows (URNs shaped like dab's, with heads that repeat across rows,
and some that are not: no ``:`` at all, ``:`` in the last part) and generated texts: pieces of
those fields anywhere (across ``:`` and ``.``, inside the constant head), with their case
changed, or random. The indexed condition of ``search_match.text_match`` must select the rows
``lower(x) LIKE '%q%'`` selects (PostgreSQL: ILIKE), and for ASCII texts the rows a Python
substring test selects. On SQLite the rows are indexed by the triggers or by the bulk path.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, or_, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from tests.integration.test_search_index import CAPSULE, COLUMN

from dab.storage.db import create_engine
from dab.storage.records import CapsuleRecord, ColumnRecord
from dab.storage.repositories._text import icontains
from dab.storage.search_index import sqlite_bulk_insert
from dab.storage.search_match import text_match

_ASCII = "abAB_.%:-9"
_CHARS = _ASCII + "éÉß\"'\\ *"
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")

words = st.text(alphabet=_CHARS.replace(":", ""), min_size=1, max_size=6)
heads = st.sampled_from(
    ["urn:dab:dbt:model:shop:", "urn:dab:dbt:column:shop:", "urn:dab:ol:dataset:pg%3A%2F%2Fh:"]
)
urns = st.one_of(
    st.builds(lambda head, parts: head + ".".join(parts), heads, st.lists(words, min_size=1, max_size=3)),
    st.text(alphabet=_CHARS, min_size=1, max_size=20),  # anything at all, colons anywhere or none
)
rows = st.lists(
    st.tuples(urns, words, st.one_of(st.none(), st.text(alphabet=_CHARS, max_size=15))),
    min_size=1,
    max_size=8,
)


def _recase(text: str, flips: list[bool]) -> str:
    return "".join(
        c.swapcase() if flip else c for c, flip in zip(text, flips + [False] * len(text), strict=False)
    )


def _piece(draw: Any, source: str) -> str:
    start = draw(st.integers(min_value=0, max_value=len(source) - 1))
    end = draw(st.integers(min_value=start + 1, max_value=len(source)))
    piece = source[start:end]
    return _recase(piece, draw(st.lists(st.booleans(), max_size=len(piece))))


@st.composite
def cases(draw: Any) -> tuple[list[tuple[str, str, str | None]], list[str], bool]:
    generated = draw(rows)
    # Unique URNs (the tables' constraint); a column URN is its capsule's plus "." and its name.
    unique = list({urn: (urn, name, description) for urn, name, description in generated}.values())
    urn_list = [urn for urn, _, _ in unique] + [f"{urn}.{name}" for urn, name, _ in unique]
    fields = [f for _, name, description in unique for f in (name, description) if f]
    texts = []
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        kind = draw(st.sampled_from(["urn", "urn", "field", "random"]))
        if kind == "urn":  # in the head, across its ":" into the tail, or in the tail
            texts.append(_piece(draw, draw(st.sampled_from(urn_list))))
        elif kind == "field" and fields:
            texts.append(_piece(draw, draw(st.sampled_from(fields))))
        else:
            texts.append(draw(st.text(alphabet=_CHARS, min_size=1, max_size=8)))
    return unique, texts, draw(st.booleans())


async def _load(engine: AsyncEngine, generated: list[tuple[str, str, str | None]], bulk: bool) -> None:
    async with engine.begin() as conn:
        await conn.execute(delete(ColumnRecord))
        await conn.execute(delete(CapsuleRecord))
    async with engine.begin() as conn:
        values = [
            {"id": i, "urn": urn, "curn": f"{urn}.{name}", "name": name, "description": description}
            for i, (urn, name, description) in enumerate(generated, start=1)
        ]
        for record, sql in ((CapsuleRecord, CAPSULE), (ColumnRecord, COLUMN)):
            async with sqlite_bulk_insert(
                conn, record.__tablename__, len(values), min_rows=1 if bulk else 10**9
            ):
                for row in values:
                    await conn.execute(text(sql), row)


async def _answers(engine: AsyncEngine, record: Any, query: str) -> tuple[list[int], list[int]]:
    fields = (record.name, record.urn, record.description)
    async with AsyncSession(engine) as session:
        indexed = (await text_match(session, record, query)).condition
        scanned = or_(*(icontains(f, query) for f in fields))
        ids = [
            list((await session.scalars(select(record.id).where(c).order_by(record.id))).all())
            for c in (indexed, scanned)
        ]
    return ids[0], ids[1]


def _python(generated: list[tuple[str, str, str | None]], record: Any, query: str) -> list[int]:
    """The ASCII oracle: SQLite's lower() and PostgreSQL's agree on ASCII."""
    q = query.translate(_ASCII_LOWER)
    out = []
    for i, (urn, name, description) in enumerate(generated, start=1):
        row_urn = urn if record is CapsuleRecord else f"{urn}.{name}"
        if any(q in (f or "").translate(_ASCII_LOWER) for f in (name, row_urn, description)):
            out.append(i)
    return out


@pytest.fixture
def engine_url(clean_database: str) -> str:
    return clean_database


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@example(case=([("urn:dab:dbt:model:shop:'b", "x", None)], ["Ab:dbt:mode", "p:'B.x", "dbt:m"], True))
@example(
    case=(
        [("urn:dab:dbt:model:shop:a.b", "c", "d:e"), ("plain", "p", None)],
        ["shop:a.b.c", "d:e", "ain"],
        False,
    )
)
@given(case=cases())
def test_indexed_answers_equal_the_scan(engine_url: str, case: Any) -> None:
    generated, texts, bulk = case

    async def run() -> None:
        engine = create_engine(engine_url)
        try:
            await _load(engine, generated, bulk and engine.dialect.name == "sqlite")
            for query in texts:
                for record in (CapsuleRecord, ColumnRecord):
                    indexed, scanned = await _answers(engine, record, query)
                    assert indexed == scanned, (record.__tablename__, query, generated)
                    if all(c in _ASCII for c in query):
                        assert scanned == _python(generated, record, query), (record.__tablename__, query)
        finally:
            await engine.dispose()

    asyncio.run(run())
