"""The cheap resolver: where it applies it gives exactly what ``qualify`` gives; elsewhere it steps aside."""

from __future__ import annotations

import gc
import sys
from pathlib import Path
from typing import Any

import pytest
import sqlglot
import yaml

from dab.columnlineage.graph import _Index, traced_models
from dab.columnlineage.resolve import _column, resolve
from dab.columnlineage.sql import ModelLineage, _dialect, derive_model_lineage
from dab.ingest.dbt import parse_dbt

CASES = yaml.safe_load((Path(__file__).parents[2] / "fixtures" / "columnlineage" / "cases.yaml").read_text())
SCHEMA: dict[str, dict[str, str]] = {
    **CASES["schema"],
    "db.raw.accounts": {"id": "int", "user_id": "int", "email": "text", "status": "text"},
}


def _same(sql: str, schema: dict[str, dict[str, str]], dialect: str = "duckdb") -> ModelLineage:
    fast = derive_model_lineage(sql, schema, dialect)
    full = derive_model_lineage(sql, schema, dialect, fast=False)
    assert (fast.outputs, fast.edges, fast.misses, fast.parsed) == (
        full.outputs,
        full.edges,
        full.misses,
        full.parsed,
    )
    return fast


def _resolves(sql: str, dialect: str = "duckdb") -> bool:
    return resolve(sqlglot.parse_one(sql, read=_dialect(dialect)), SCHEMA, _dialect(dialect)) is not None


@pytest.mark.parametrize("case", CASES["cases"] + CASES["misses"], ids=lambda c: c["name"])
def test_golden_cases_equal_the_qualify_path(case: dict[str, Any]) -> None:
    _same(case["sql"], SCHEMA)


SIMPLE = [
    "select * from db.raw.users",
    "with u as (select * from db.raw.users) select u.*, 1 as one from u",
    "select u.id, md5(u.email) as e from db.raw.users u join db.raw.orders o on o.user_id = u.id",
    "select status, sum(amount) as total from db.raw.orders where amount > 0 group by status",
    "select id, row_number() over (partition by country order by id) as rn from db.raw.users",
    "select id from db.raw.users union all select user_id from db.raw.orders",
    "select id, (select max(amount) from db.raw.orders) as top from db.raw.users",
    "select id from db.raw.users where id in (select user_id from db.raw.orders)",
    "select u.id, x.n from db.raw.users u left join (select user_id, count(*) as n "
    "from db.raw.orders group by user_id) x on x.user_id = u.id",
]

NOT_SIMPLE = {
    "using": "select * from db.raw.orders join db.raw.accounts using (user_id)",
    "alias reference": "select amount * 2 as double, double + 1 as more from db.raw.orders",
    "positional group by": "select status, count(*) as n from db.raw.orders group by 1",
    "ambiguous column": "select email from db.raw.users u join db.raw.accounts a on a.user_id = u.id",
    "star over a join": "select * from db.raw.users u join db.raw.accounts a on a.user_id = u.id",
    "correlated subquery": "select id, (select max(amount) from db.raw.orders o where o.user_id = u.id) "
    "as top from db.raw.users u",
    "having names an alias": "select status, sum(amount) as amount from db.raw.orders group by status "
    "having amount > 1",
    "lambda": "select list_transform([1], x -> x + 1) as l from db.raw.users",
    "mixed case": 'select "Email" from db.raw.users',
    "unnamed output": "select id + 1 from db.raw.users",
    "star except": "select * exclude (email) from db.raw.users",
    "table star except": "select u.* exclude (email) from db.raw.users u",
    "table column aliases": "with u(a, b) as (select id, email from db.raw.users) select a, b from u",
    "unknown table": "select * from db.raw.nowhere",
    "unknown column": "select nope from db.raw.users",
    "struct access": "select u.id.part as p from db.raw.users u",
    "self join without aliases": "select 1 as one from db.raw.users join db.raw.users on true",
}


@pytest.mark.parametrize("sql", SIMPLE)
def test_simple_shapes_take_the_cheap_path_with_the_same_answer(sql: str) -> None:
    assert _resolves(sql)
    assert _same(sql, SCHEMA).edges


@pytest.mark.parametrize("sql", NOT_SIMPLE.values(), ids=list(NOT_SIMPLE))
def test_other_shapes_fall_back_to_qualify(sql: str) -> None:
    tree = sqlglot.parse_one(sql, read=_dialect("duckdb"))
    before = tree.sql()
    assert resolve(tree, SCHEMA, _dialect("duckdb")) is None
    assert tree.sql() == before  # untouched: qualify gets the tree as parsed
    _same(sql, SCHEMA)


def test_upper_casing_dialects_fall_back() -> None:
    assert not _resolves("select id from db.raw.users", "snowflake")
    assert _resolves("select id from db.raw.users", "postgres")


def test_synthetic_project_resolves_cheaply_and_identically() -> None:
    sys.path.insert(0, str(Path(__file__).parents[3] / "benchmarks"))
    from generate_dbt_project import generate_manifest

    graph = parse_dbt(*generate_manifest(60, 8))
    index = _Index(graph)
    for model in traced_models(graph):
        schema = index.schema(model.urn)
        assert resolve(sqlglot.parse_one(model.compiled_sql or "", read="duckdb"), schema, _dialect("duckdb"))
        _same(model.compiled_sql or "", schema)


@pytest.mark.parametrize("sql", SIMPLE)
def test_the_listed_nodes_hold_every_node_of_the_resolved_tree(sql: str) -> None:
    """The caller lists the parsed tree's nodes once; what the resolver adds (qualifiers, expanded
    stars) is appended, so releasing the list cuts every parent link of the final tree."""
    tree = sqlglot.parse_one(sql, read="duckdb")
    nodes = list(tree.walk())
    assert resolve(tree, SCHEMA, _dialect("duckdb"), nodes) is not None
    listed = {id(node) for node in nodes}
    assert all(id(node) in listed for node in tree.walk())


@pytest.mark.parametrize(
    "sql",
    [*SIMPLE, NOT_SIMPLE["using"]],
    ids=[*(f"cheap path {i}" for i in range(len(SIMPLE))), "qualify path"],
)
def test_a_derived_model_leaves_no_cyclic_garbage_of_ours(sql: str) -> None:
    """Trees and scopes are freed by reference counting, not left to full collections."""
    derive_model_lineage(sql, SCHEMA, "duckdb")  # warm sqlglot's caches
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        derive_model_lineage(sql, SCHEMA, "duckdb")
        garbage = gc.collect()
    finally:
        if was_enabled:
            gc.enable()
    if sql in SIMPLE:
        assert garbage == 0
    else:
        assert garbage < 60  # qualify's own scratch scopes (~120 when the parsed tree is left cyclic too)


def test_a_shallower_table_key_is_left_to_qualify() -> None:
    """qualify's schema keeps only the deepest keys; the cheap path must not see more than it."""
    schema = {**SCHEMA, "raw.short": {"id": "int"}}
    sql = "select id from raw.short"
    assert resolve(sqlglot.parse_one(sql, read="duckdb"), schema, _dialect("duckdb")) is None
    _same(sql, schema)


@pytest.mark.parametrize(("name", "table"), [("id", "u"), ("Order Id", "orders"), ("1st", "__dbt__cte__x")])
def test_an_expanded_star_column_is_what_sqlglots_builder_makes(name: str, table: str) -> None:
    """The star's columns are built directly: the same node, quoting included, as ``exp.column``."""
    built, expected = _column(name, table), sqlglot.exp.column(name, table=table)
    assert built == expected and repr(built) == repr(expected)
    assert built.args == expected.args
    assert [n.args for n in built.walk()] == [n.args for n in expected.walk()]
