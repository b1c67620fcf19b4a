"""A small project that conforms to every built-in rule, and one breaking change per rule."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from builders import make_capsule, make_column, make_graph, make_source, make_test, pk_tests

from dab.domain.capsule import Capsule, CapsuleType, Inference
from dab.domain.column import Column
from dab.domain.graph import Graph
from dab.domain.quality import DataTest, TestKind


@dataclass
class Project:
    capsules: dict[str, Capsule] = field(default_factory=dict)
    edges: list[tuple[str, str]] = field(default_factory=list)
    columns: list[Column] = field(default_factory=list)
    tests: list[DataTest] = field(default_factory=list)

    def add(self, capsule: Capsule, *parents: str, tested: bool = True) -> Capsule:
        self.capsules[capsule.name] = capsule
        self.edges.extend((p, capsule.name) for p in parents)
        if tested and capsule.capsule_type is CapsuleType.MODEL:
            self.tests.extend(pk_tests(capsule))
        return capsule

    def change(self, key: str, /, **changes: object) -> None:
        self.capsules[key] = replace(self.capsules[key], **changes)  # type: ignore[arg-type]

    def graph(self) -> Graph:
        caps = self.capsules
        return make_graph(
            caps.values(),
            [(caps[a], caps[b]) for a, b in self.edges],
            columns=self.columns,
            tests=self.tests,
        )


def conforming() -> Project:
    p = Project()
    sources = "models/staging/raw/_raw__sources.yml"
    p.add(make_source(name="raw.orders", path=sources))
    p.add(make_source(name="raw.customers", path=sources))
    stg_sql = "select id, customer_id, amount from analytics.shop.raw_orders"
    p.add(_model("stg_orders", "bronze", "staging/raw", compiled_sql=stg_sql), "raw.orders")
    p.add(_model("stg_customers", "bronze", "staging/raw"), "raw.customers")
    sql = (
        "with orders as (select id, customer_id from analytics.shop.stg_orders) "
        "select o.*, c.email from orders o join analytics.shop.stg_customers c on o.customer_id = c.id"
    )
    p.add(
        _model(
            "int_orders", "silver", "intermediate", compiled_sql=sql,
            materialization="incremental", config={"unique_key": "id"},
        ),
        "stg_orders", "stg_customers",
    )  # fmt: skip
    fct = p.add(
        _model(
            "fct_orders", "gold", "marts", domain="sales", access="public", contract_enforced=True,
            compiled_sql="select id, email from analytics.shop.int_orders", materialization="table",
        ),
        "int_orders",
    )  # fmt: skip
    p.add(
        make_capsule(
            name="orders_snapshot", capsule_type=CapsuleType.SNAPSHOT, layer="silver",
            path="snapshots/orders_snapshot.sql", config={"strategy": "timestamp"},
        ),
        "stg_orders",
    )  # fmt: skip
    p.add(
        make_capsule(name="weekly_sales", capsule_type=CapsuleType.EXPOSURE, owner="sales-team"),
        "fct_orders",
    )
    p.columns.append(make_column(fct, "id"))
    p.columns.append(make_column(fct, "email", pii_type="email", is_masked=True))
    return p


def _model(name: str, layer: str, folder: str, **kwargs: Any) -> Capsule:
    """A model owned by the sales team, in ``models/<folder>/``, with a known (empty) config."""
    kwargs.setdefault("owner", "sales-team")
    kwargs.setdefault("config", {})
    return make_capsule(name=name, layer=layer, path=f"models/{folder}/{name}.sql", **kwargs)


def _gold(p: Project) -> Capsule:
    return p.capsules["fct_orders"]


def _add_model(p: Project, name: str, layer: str, *parents: str, **kwargs: object) -> None:
    p.add(make_capsule(name=name, layer=layer, **kwargs), *parents)  # type: ignore[arg-type]


def _rejoin(p: Project) -> None:
    _add_model(p, "int_mid", "silver", "stg_orders")
    _add_model(p, "int_final", "silver", "int_mid", "stg_orders")


def _fan_out(p: Project) -> None:
    for i in range(4):
        _add_model(p, f"int_child_{i}", "silver", "stg_orders")


def _many_joins(p: Project) -> None:
    joins = " ".join(f"join analytics.shop.stg_orders t{i} on t{i}.id = o.id" for i in range(8))
    p.change("int_orders", compiled_sql=f"select 1 from analytics.shop.stg_orders o {joins}")


def _duplicate_source(p: Project) -> None:
    p.add(make_source(name="legacy.orders", relation_name="analytics.shop.raw_orders"))
    _add_model(p, "stg_legacy_orders", "bronze", "legacy.orders")


def _add_source(p: Project, name: str) -> None:
    p.add(make_source(name=name))


def _untested_model(p: Project) -> None:
    p.add(make_capsule(name="stg_x", layer="bronze"), "raw.orders", tested=False)


def _source_group_undocumented(p: Project) -> None:
    p.change("raw.customers", description=None)


def _unmasked_pii(p: Project) -> None:
    p.columns[1] = replace(p.columns[1], is_masked=False)


def _untyped_pii(p: Project) -> None:
    p.columns[1] = replace(p.columns[1], pii_type="unknown")


BREAKERS: dict[str, Callable[[Project], None]] = {
    "gold-sources-silver-or-gold": lambda p: p.edges.append(("stg_orders", "fct_orders")),
    "silver-sources-bronze-or-silver": lambda p: _add_model(p, "int_bad", "silver", "fct_orders"),
    "no-backwards-flow": lambda p: _add_model(p, "stg_bad", "bronze", "int_orders"),
    "bronze-model-naming": lambda p: p.change("stg_orders", name="orders_clean"),
    "silver-model-naming": lambda p: p.change("int_orders", name="orders_joined"),
    "gold-model-naming": lambda p: p.change("fct_orders", name="orders"),
    "model-fan-out": _fan_out,
    "too-many-joins": _many_joins,
    "direct-join-to-source": lambda p: p.edges.append(("stg_customers", "stg_orders")),
    "model-depends-on-source": lambda p: p.edges.append(("raw.orders", "int_orders")),
    "staging-depends-on-model": lambda p: p.edges.append(("stg_customers", "stg_orders")),
    "root-model": lambda p: _add_model(p, "stg_orphan", "bronze"),
    "rejoining-upstream": _rejoin,
    "multiple-sources-joined": lambda p: p.edges.append(("raw.customers", "stg_orders")),
    "duplicate-sources": _duplicate_source,
    "unused-source": lambda p: _add_source(p, "raw.unused"),
    "hard-coded-reference": lambda p: p.change(
        "fct_orders", compiled_sql="select id, email from prod.finance.ledger"
    ),
    "primary-key-tested": lambda p: _untested_model(p),
    "test-coverage": lambda p: _untested_model(p),
    "source-freshness": lambda p: p.change("raw.orders", freshness=None),
    "model-documented": lambda p: p.change("int_orders", description=""),
    "source-documented": lambda p: p.change("raw.orders", description=None),
    "source-table-documented": _source_group_undocumented,
    "gold-columns-documented": lambda p: p.columns.append(make_column(_gold(p), "amount", description=None)),
    "gold-model-has-owner": lambda p: p.change("fct_orders", owner=Inference(None)),
    "gold-model-has-domain": lambda p: p.change("fct_orders", domain=Inference(None)),
    "gold-model-has-contract": lambda p: p.change("fct_orders", contract_enforced=False),
    "public-model-has-contract": lambda p: p.change("fct_orders", contract_enforced=False),
    "pii-in-gold-unmasked": _unmasked_pii,
    "pii-column-typed": _untyped_pii,
}


def _wide(p: Project) -> None:
    for i in range(6):
        _add_model(p, f"stg_part_{i}", "bronze", "raw.orders")
    _add_model(p, "int_wide", "silver", *(f"stg_part_{i}" for i in range(6)))


def _view_chain(p: Project, length: int) -> None:
    parent = "stg_orders"
    for i in range(length):
        _add_model(p, f"int_view_{i}", "silver", parent, materialization="view")
        parent = f"int_view_{i}"
    _add_model(p, "int_end", "silver", parent)


BREAKERS.update(
    {
        "source-fan-out": lambda p: p.edges.append(("raw.orders", "stg_customers")),
        "orphan-model": lambda p: p.edges.remove(("fct_orders", "weekly_sales")),
        "model-max-upstream": _wide,
        "no-select-star": lambda p: p.change(
            "int_orders", compiled_sql="select * from analytics.shop.stg_orders"
        ),
        "incremental-unique-key": lambda p: p.change("int_orders", config={}),
        "snapshot-strategy": lambda p: p.change("orders_snapshot", config={"updated_at": "loaded_at"}),
        "chained-views": lambda p: _view_chain(p, 4),
        "exposure-parent-materialization": lambda p: p.change("fct_orders", materialization="view"),
        "exposure-private-parent": lambda p: p.change("fct_orders", access="protected"),
        "exposure-has-owner": lambda p: p.change("weekly_sales", owner=Inference(None)),
        "model-meta-keys": lambda p: p.change("stg_orders", owner=Inference(None)),
        "public-model-documented": lambda p: p.columns.append(make_column(_gold(p), "note", description=" ")),
        "test-coverage-target": _untested_model,
        "documentation-coverage-target": lambda p: p.change("int_orders", description=""),
        "model-description-length": lambda p: p.change("int_orders", description="tbd"),
        "model-directory": lambda p: p.change("fct_orders", path="models/staging/fct_orders.sql"),
        "source-directory": lambda p: p.change("raw.orders", path="models/sources.yml"),
        "test-directory": lambda p: p.change("stg_orders", path="models/staging/other/stg_orders.sql"),
    }
)


def broken(rule_id: str) -> Graph:
    p = conforming()
    BREAKERS[rule_id](p)
    return p.graph()


def extra_test(capsule: Capsule) -> DataTest:
    return make_test(capsule, TestKind.GENERIC, test_name="dbt_utils.unique_combination_of_columns")
