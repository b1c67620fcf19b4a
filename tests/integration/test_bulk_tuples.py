"""Rows -> DBAPI tuples for bulk inserts: the fast path gives what the field-by-field path gives."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dab.storage.graph_writer import Plan, _as_tuples, _general_tuple, _in_pair_order

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
