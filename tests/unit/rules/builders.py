"""Typed builders of domain objects for rule tests (no parser involved)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from dab.domain.capsule import Capsule, CapsuleType, Freshness, Inference
from dab.domain.column import Column
from dab.domain.graph import Graph
from dab.domain.lineage import LineageEdge
from dab.domain.quality import DataTest, TestKind

NS = "shop"


def capsule_urn(name: str, capsule_type: CapsuleType = CapsuleType.MODEL, namespace: str = NS) -> str:
    return f"urn:dab:dbt:{capsule_type.value}:{namespace}:{name}"


def make_capsule(
    *,
    name: str,
    capsule_type: CapsuleType = CapsuleType.MODEL,
    layer: str = "unknown",
    description: str | None = "documented",
    owner: str | None = None,
    domain: str | None = None,
    access: str | None = None,
    contract_enforced: bool = False,
    compiled_sql: str | None = None,
    freshness: Freshness | None = None,
    relation_name: str | None = None,
    source_name: str | None = None,
    tags: tuple[str, ...] = (),
    meta: Mapping[str, Any] | None = None,
    path: str | None = None,
    materialization: str | None = None,
    config: Mapping[str, Any] | None = None,
    namespace: str = NS,
) -> Capsule:
    return Capsule(
        urn=capsule_urn(name, capsule_type, namespace),
        name=name,
        capsule_type=capsule_type,
        namespace=namespace,
        description=description,
        layer=Inference(layer, "test"),
        owner=Inference(owner),
        domain=Inference(domain),
        access=access,
        contract_enforced=contract_enforced,
        compiled_sql=compiled_sql,
        freshness=freshness,
        relation_name=relation_name or f"analytics.{NS}.{name.replace('.', '_')}",
        source_name=source_name,
        tags=tags,
        meta=meta or {},
        path=path,
        materialization=materialization,
        config=config,
    )


def make_source(*, name: str, fresh: bool = True, **kwargs: Any) -> Capsule:
    freshness = Freshness(warn_after="12 hours") if fresh else None
    group = name.split(".")[0]
    return make_capsule(
        name=name, capsule_type=CapsuleType.SOURCE, layer="bronze", freshness=freshness,
        source_name=kwargs.pop("source_name", group), **kwargs,
    )  # fmt: skip


def make_column(
    capsule: Capsule,
    name: str,
    *,
    description: str | None = "documented",
    pii_type: str | None = None,
    is_masked: bool = False,
    data_type: str | None = "text",
) -> Column:
    return Column(
        urn=f"urn:dab:dbt:column:{NS}:{capsule.name}.{name}",
        capsule_urn=capsule.urn,
        name=name,
        description=description,
        pii_type=pii_type,
        is_masked=is_masked,
        data_type=data_type,
    )


def make_test(
    capsule: Capsule,
    kind: TestKind,
    column: str | None = None,
    *,
    test_name: str | None = None,
    path: str | None = None,
) -> DataTest:
    name = f"{test_name or kind.value}_{capsule.name}_{column or 'x'}"
    return DataTest(
        urn=f"urn:dab:dbt:test:{NS}:{name}",
        name=name,
        kind=kind,
        capsule_urn=capsule.urn,
        column_name=column,
        test_name=test_name or kind.value,
        path=path,
    )


def pk_tests(capsule: Capsule, column: str = "id") -> list[DataTest]:
    """unique and not_null on one column, declared next to the model when its path is known."""
    folder = capsule.path.rsplit("/", 1)[0] if capsule.path and "/" in capsule.path else None
    path = f"{folder}/_models.yml" if folder else None
    return [
        make_test(capsule, TestKind.UNIQUE, column, path=path),
        make_test(capsule, TestKind.NOT_NULL, column, path=path),
    ]


def make_graph(
    capsules: Iterable[Capsule],
    edges: Iterable[tuple[Capsule, Capsule]] = (),
    *,
    columns: Iterable[Column] = (),
    tests: Iterable[DataTest] = (),
) -> Graph:
    """``edges`` are (upstream, downstream) pairs."""
    return Graph(
        capsules={c.urn: c for c in capsules},
        columns={c.urn: c for c in columns},
        edges=[LineageEdge(a.urn, b.urn) for a, b in edges],
        tests={t.urn: t for t in tests},
    )
