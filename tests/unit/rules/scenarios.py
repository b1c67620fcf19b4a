"""A small project that conforms to every built-in rule, and one breaking change per rule."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

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
    p.add(make_source(name="raw.orders"))
    p.add(make_source(name="raw.customers"))
    stg_sql = "select * from analytics.shop.raw_orders"
    p.add(make_capsule(name="stg_orders", layer="bronze", compiled_sql=stg_sql), "raw.orders")
    p.add(make_capsule(name="stg_customers", layer="bronze"), "raw.customers")
    sql = (
        "select o.id, c.email from analytics.shop.stg_orders o "
        "join analytics.shop.stg_customers c on o.customer_id = c.id"
    )
    p.add(make_capsule(name="int_orders", layer="silver", compiled_sql=sql), "stg_orders", "stg_customers")
    fct = p.add(
        make_capsule(
            name="fct_orders", layer="gold", owner="sales-team", domain="sales", access="public",
            contract_enforced=True, compiled_sql="select * from analytics.shop.int_orders",
        ),
        "int_orders",
    )  # fmt: skip
    p.columns.append(make_column(fct, "id"))
    p.columns.append(make_column(fct, "email", pii_type="email", is_masked=True))
    return p


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
        "fct_orders", compiled_sql="select * from prod.finance.ledger"
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


def broken(rule_id: str) -> Graph:
    p = conforming()
    BREAKERS[rule_id](p)
    return p.graph()


def extra_test(capsule: Capsule) -> DataTest:
    return make_test(capsule, TestKind.GENERIC, test_name="dbt_utils.unique_combination_of_columns")
