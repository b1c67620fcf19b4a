"""The order of a model's derived edges: outputs in select order; within one output its traced
sources by (table, column), then the filter columns it does not already read, by (table, column).
Ingestion writes and compares edges in this order, so it must not depend on how a source is held."""

from __future__ import annotations

from dab.columnlineage.sql import ColumnRef, derive_model_lineage

SCHEMA = {
    "db.s.a": {"id": "int", "z": "text", "m": "text"},
    "db.s.b": {"id": "int", "a": "text", "k": "int"},
}
# Column names sort the other way round from their tables: b.a < a.z by column, a.z < b.a by table.
SQL = """
select b.a || a.z as x, a.m as y, b.id as y2
from db.s.b as b join db.s.a as a on a.id = b.id
where b.k > 0
"""


def _edges(sql: str) -> list[tuple[str, str, str, str]]:
    result = derive_model_lineage(sql, SCHEMA)
    assert not result.misses
    return [(e.target, e.source.table, e.source.column, e.kind.value) for e in result.edges]


def test_sources_then_filters_each_by_table_then_column() -> None:
    filters = [("db.s.a", "id"), ("db.s.b", "id"), ("db.s.b", "k")]
    expected = [
        ("x", "db.s.a", "z", "transformation"),
        ("x", "db.s.b", "a", "transformation"),
        *[("x", t, c, "filter") for t, c in filters],
        ("y", "db.s.a", "m", "identity"),
        *[("y", t, c, "filter") for t, c in filters],
        ("y2", "db.s.b", "id", "identity"),
        *[("y2", t, c, "filter") for t, c in filters if (t, c) != ("db.s.b", "id")],
    ]
    assert _edges(SQL) == expected


def test_a_source_reference_is_a_value_sorted_by_table_then_column() -> None:
    refs = [ColumnRef("db.s.b", "a"), ColumnRef("db.s.a", "z"), ColumnRef("db.s.a", "m")]
    assert sorted(refs) == [ColumnRef("db.s.a", "m"), ColumnRef("db.s.a", "z"), ColumnRef("db.s.b", "a")]
    assert ColumnRef("db.s.a", "m") == ColumnRef("db.s.a", "m")
    assert len({ColumnRef("db.s.a", "m"), ColumnRef("db.s.a", "m")}) == 1
