"""Column lineage over a parsed project: relations to capsules, configured masking, process pool."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from dab.columnlineage.graph import (
    AUTO_WORKERS_MAX,
    derive_graph_lineage,
    input_digests,
    usable_cores,
    worker_count,
)
from dab.columnlineage.sql import derive_model_lineage
from dab.domain.graph import Graph
from dab.ingest.dbt import parse_dbt
from dab.settings import Settings

V12 = Path(__file__).parents[2] / "fixtures" / "dbt" / "v12"


@pytest.fixture(scope="module")
def jaffle() -> Graph:
    docs = {k: orjson.loads((V12 / f"{k}.json").read_bytes()) for k in ("manifest", "catalog")}
    return parse_dbt(docs["manifest"], docs["catalog"])


def _edges(graph: Graph, **kw: object) -> set[tuple[str, str, str, str | None]]:
    result = derive_graph_lineage(graph, **kw)  # type: ignore[arg-type]
    return {(e.source_urn, e.target_urn, e.transformation.value, e.function) for e in result.edges}


def test_workers_default_to_the_usable_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DAB_COLUMN_LINEAGE_WORKERS", raising=False)
    assert Settings(_env_file=None).dab_column_lineage_workers == 0  # type: ignore[call-arg]
    monkeypatch.setenv("DAB_COLUMN_LINEAGE_WORKERS", "1")
    assert Settings(_env_file=None).dab_column_lineage_workers == 1  # type: ignore[call-arg]
    assert worker_count(0) == min(usable_cores(), AUTO_WORKERS_MAX) >= 1
    assert worker_count(3) == 3


def test_masking_functions_from_configuration() -> None:
    schema = {"db.raw.users": {"ssn": "text"}}
    sql = "select vault_protect(ssn) as ssn from db.raw.users"
    assert derive_model_lineage(sql, schema).edges[0].kind.value == "transformation"
    configured = derive_model_lineage(sql, schema, None, frozenset({"vault_protect"}))
    assert (configured.edges[0].kind.value, configured.edges[0].function) == ("masking", "vault_protect")
    settings = Settings(dab_pii_masking_functions="vault_protect, tokenize_v2")  # type: ignore[arg-type]
    assert settings.dab_pii_masking_functions == ["vault_protect", "tokenize_v2"]


def test_digest_moves_with_the_sql_and_the_parents_columns(jaffle: Graph) -> None:
    before = input_digests(jaffle)
    orders = "urn:dab:dbt:model:jaffle_shop:orders"
    assert before == input_digests(jaffle)
    assert before != input_digests(jaffle, extra_masking_functions=["vault_protect"])
    stg = "urn:dab:dbt:column:jaffle_shop:stg_orders.status"
    column = jaffle.columns.pop(stg)
    try:
        jaffle.__dict__.pop("columns_by_capsule", None)
        after = input_digests(jaffle)
        assert after[orders] != before[orders]
        assert (
            after["urn:dab:dbt:model:jaffle_shop:stg_payments"]
            == before["urn:dab:dbt:model:jaffle_shop:stg_payments"]
        )
    finally:
        jaffle.columns[stg] = column
        jaffle.__dict__.pop("columns_by_capsule", None)


def test_ephemeral_parent_is_traced_through() -> None:
    """dbt inlines an ephemeral model as a ``__dbt__cte__`` CTE: edges go to its own parents."""
    docs = {k: orjson.loads((V12 / f"{k}.json").read_bytes()) for k in ("manifest", "catalog")}
    nodes = docs["manifest"]["nodes"]
    stg = nodes["model.jaffle_shop.stg_orders"]
    stg["config"]["materialized"] = "ephemeral"
    stg["relation_name"] = None
    nodes["model.jaffle_shop.orders"]["compiled_code"] = (
        f"with __dbt__cte__stg_orders as (\n{stg['compiled_code']}\n)\n"
        "select order_id, customer_id, order_date, status from __dbt__cte__stg_orders"
    )
    graph = parse_dbt(docs["manifest"], docs["catalog"])
    prefix = "urn:dab:dbt:column:jaffle_shop:"
    edges = {
        (e.source_urn.removeprefix(prefix), e.target_urn.removeprefix(prefix), e.transformation.value)
        for e in derive_graph_lineage(graph, only=["urn:dab:dbt:model:jaffle_shop:orders"]).edges
    }
    assert ("jaffle_shop.orders.id", "orders.order_id", "identity") in edges
    assert ("jaffle_shop.orders.user_id", "orders.customer_id", "identity") in edges
