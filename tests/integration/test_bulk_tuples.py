"""Rows -> DBAPI tuples for bulk inserts: the fast path gives what the field-by-field path gives."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.dialects.sqlite import aiosqlite

from dab.storage.graph_writer import (
    Plan,
    _as_tuples,
    _general_tuple,
    _in_pair_order,
    row_encoder,
    tuple_encoder,
)
from dab.storage.records import CapsuleRecord, ColumnLineageRecord

KEYS = ["urn", "name", "meta", "ordinal"]
DEFAULTS = {"created_at": 7}

values = st.one_of(st.none(), st.text(max_size=5), st.integers())
full_rows = st.fixed_dictionaries(dict.fromkeys(KEYS, values))
odd_rows = st.dictionaries(st.sampled_from([*KEYS, "created_at", "extra"]), values)


def _expected(batch: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [_general_tuple(row, PLAN, DEFAULTS) for row in batch]


def _safe_upper(value: Any) -> Any:
    return value.upper() if isinstance(value, str) else value


PLAN: Plan = [("urn", None), ("name", _safe_upper), ("meta", repr), ("ordinal", None), ("created_at", str)]


# Generating text is slow on a loaded machine: Hypothesis' health check failed the suite there.
LOADED = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


class TestAsTuples:
    @LOADED
    @given(st.lists(full_rows, max_size=20))
    def test_rows_of_one_mapper(self, batch: list[dict[str, Any]]) -> None:
        assert _as_tuples(batch, PLAN, DEFAULTS) == _expected(batch)

    @LOADED
    @given(st.lists(st.one_of(full_rows, odd_rows), max_size=20))
    def test_rows_with_missing_or_other_keys(self, batch: list[dict[str, Any]]) -> None:
        assert _as_tuples(batch, PLAN, DEFAULTS) == _expected(batch)

    def test_a_missing_key_takes_the_default_or_none(self) -> None:
        rows = [{"urn": "u", "name": "n", "meta": {}, "ordinal": 1}, {"urn": "v", "name": "m", "meta": {}}]
        assert _as_tuples(rows, PLAN, DEFAULTS) == [("u", "N", "{}", 1, "7"), ("v", "M", "{}", None, "7")]


@settings(deadline=None)  # the first run builds Hypothesis' text tables: slow on a loaded machine
@given(st.lists(st.tuples(st.text(max_size=4), st.text(max_size=4)), unique=True))
def test_column_edges_insert_in_the_order_of_sorting_the_pairs(pairs: list[tuple[str, str]]) -> None:
    assert _in_pair_order(pairs) == sorted(pairs)


class TestTupleEncoder:
    """Rows built as tuples (the column edges) encode to what their row dicts encode to."""

    @LOADED
    @given(st.lists(st.tuples(st.text(max_size=5), st.text(max_size=5), st.sampled_from(["identity", "filter"]),
                              st.one_of(st.none(), st.text(max_size=5))), max_size=20))  # fmt: skip
    def test_column_edges(self, edges: list[tuple[str, str, str, str | None]]) -> None:
        table, dialect = ColumnLineageRecord.__table__, aiosqlite.dialect()
        names, as_tuples = tuple_encoder(
            table, dialect, ["project", "source_urn", "target_urn", "transformation", "function"]
        )
        rows = [("p", *edge) for edge in edges]
        dicts = [dict(zip(names, row, strict=False)) for row in rows]
        if dicts:
            dict_names, dict_tuples = row_encoder(table, dialect, dicts[0])
            assert dict_names == names == [*dicts[0], "source"]
            assert as_tuples(rows) == dict_tuples(dicts)

    def test_converted_columns(self) -> None:
        """A column with a bind processor (a timestamp on SQLite) is converted, ``None`` kept."""
        table, dialect = CapsuleRecord.__table__, aiosqlite.dialect()
        when = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)
        names, as_tuples = tuple_encoder(table, dialect, ["urn", "created_at", "updated_at"])
        row = {"urn": "u", "created_at": when, "updated_at": when}  # no clock-valued default left
        dict_names, dict_tuples = row_encoder(table, dialect, row)
        assert names == dict_names
        assert as_tuples([("u", when, when)]) == dict_tuples([row])
        assert as_tuples([("u", when, when)])[0][1] != when  # converted to the driver's text
        assert as_tuples([("u", None, when)])[0][1] is None
