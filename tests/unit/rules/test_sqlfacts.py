"""SQL facts: sqlglot first, regex fallback, CTEs are not tables, dialects from the adapter."""

from __future__ import annotations

import pytest
from sqlglot.dialects.dialect import Dialects

from dab.rules.sqlfacts import _COMMON_DIALECTS, dialect_for, sql_facts


class TestSqlFacts:
    def test_counts_joins_and_qualified_tables(self) -> None:
        facts = sql_facts(
            'with base as (select * from "DB"."Raw"."Orders") '
            "select * from base join db.raw.customers c on c.id = base.id "
            "left join raw.items i on i.id = base.id, unqualified u"
        )
        assert facts.parsed
        assert facts.join_count == 3  # two explicit joins and one comma join
        assert facts.qualified_tables == ("db.raw.customers", "db.raw.orders", "raw.items")

    def test_regex_fallback_when_sqlglot_cannot_parse(self) -> None:
        facts = sql_facts("select ((( from db.s.a join db.s.b on")
        assert not facts.parsed
        assert facts.join_count == 1
        assert facts.qualified_tables == ("db.s.a", "db.s.b")

    @pytest.mark.parametrize(
        ("adapter", "dialect"),
        [("snowflake", "snowflake"), ("BigQuery", "bigquery"), ("nope", None), (None, None)],
    )
    def test_dialect_for_adapter(self, adapter: str | None, dialect: str | None) -> None:
        assert dialect_for(adapter) == dialect


def test_adapters_answered_without_sqlglot_are_its_dialects() -> None:
    names = {d.value for d in Dialects}
    assert _COMMON_DIALECTS.issubset(names)
    assert dialect_for("Snowflake") == "snowflake"
    assert dialect_for("sqlite") == "sqlite"  # not in the short list: sqlglot is asked
    assert dialect_for("no-such-adapter") is None
