"""One statement per kind of node or edge, each with its row-to-item mapping."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeAlias

from sqlalchemy import Select, select
from sqlalchemy.engine import Row
from sqlalchemy.orm import aliased

from dab.export.model import Edge, Item, Node
from dab.storage.graph_export._scope import Predicates
from dab.storage.records import (
    CapsuleDataProductRecord,
    CapsuleLineageRecord,
    CapsuleRecord,
    CapsuleTagRecord,
    ColumnLineageRecord,
    ColumnRecord,
    ColumnTagRecord,
    DataProductRecord,
    DomainRecord,
    TagRecord,
)

Query: TypeAlias = "tuple[Select[*tuple[Any, ...]], Callable[[Row[Any]], Item]]"
C, K, D, T, P = CapsuleRecord, ColumnRecord, DomainRecord, TagRecord, DataProductRecord


def _props(**values: Any) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def label_of(capsule_type: str) -> str:
    return "Exposure" if capsule_type == "exposure" else "Capsule"


def domains(where: Predicates) -> Query:
    stmt = select(D.urn, D.name, D.owner, D.description).where(where.domain_included(D)).order_by(D.urn)
    return stmt, lambda r: Node(
        "Domain", r.urn, _props(name=r.name, owner=r.owner, description=r.description)
    )


def capsules(where: Predicates) -> Query:
    stmt = (
        select(
            C.urn, C.name, C.capsule_type, C.layer, C.domain_name, C.owner, C.description, C.project,
            C.materialization, C.relation_name, C.exposure_type, C.maturity, C.url,
        )
        .where(where.in_scope(C))
        .order_by(C.capsule_type == "exposure", C.urn)
    )  # fmt: skip

    def node(r: Row[Any]) -> Item:
        props = _props(
            name=r.name, type=r.capsule_type, layer=r.layer, domain=r.domain_name, owner=r.owner,
            description=r.description, project=r.project, materialization=r.materialization,
            relation_name=r.relation_name, exposure_type=r.exposure_type, maturity=r.maturity, url=r.url,
        )  # fmt: skip
        return Node(label_of(r.capsule_type), r.urn, props)

    return stmt, node


def columns(where: Predicates) -> Query:
    stmt = (
        select(K.urn, K.name, K.capsule_urn, K.description, K.data_type, K.ordinal, K.pii_type)
        .join(C, C.urn == K.capsule_urn)
        .where(where.in_scope(C))
        .order_by(K.urn)
    )

    def node(r: Row[Any]) -> Item:
        props = _props(
            name=r.name, type="column", description=r.description, capsule=r.capsule_urn,
            data_type=r.data_type, ordinal=r.ordinal, pii_type=r.pii_type,
        )  # fmt: skip
        return Node("Column", r.urn, props)

    return stmt, node


def tags(where: Predicates) -> Query:
    stmt = select(T.urn, T.name, T.category, T.description).where(where.tag_included(T)).order_by(T.urn)
    return stmt, lambda r: Node(
        "Tag", r.urn, _props(name=r.name, description=r.description, category=r.category)
    )


def products(where: Predicates) -> Query:
    stmt = (
        select(P.urn, P.name, P.owner, P.description, D.name.label("domain"))
        .outerjoin(D, D.id == P.domain_id)
        .where(where.product_included(P))
        .order_by(P.urn)
    )
    return stmt, lambda r: Node(
        "DataProduct", r.urn, _props(name=r.name, domain=r.domain, owner=r.owner, description=r.description)
    )


def flows_to(where: Predicates) -> Query:
    s, t = aliased(C), aliased(C)
    stmt = (
        select(s.urn.label("src"), t.urn.label("dst"), s.capsule_type.label("st"), t.capsule_type.label("tt"))
        .select_from(CapsuleLineageRecord)
        .join(s, s.urn == CapsuleLineageRecord.source_urn)
        .join(t, t.urn == CapsuleLineageRecord.target_urn)
        .where(CapsuleLineageRecord.edge_type == "FLOWS_TO", where.in_scope(s), where.in_scope(t))
        .order_by(s.capsule_type == "exposure", t.capsule_type == "exposure", s.urn, t.urn)
    )
    return stmt, lambda r: Edge("FLOWS_TO", r.src, r.dst, label_of(r.st), label_of(r.tt))


def contains(where: Predicates) -> Query:
    stmt = (
        select(C.urn.label("src"), K.urn.label("dst"), C.capsule_type)
        .join(C, C.urn == K.capsule_urn)
        .where(where.in_scope(C))
        .order_by(C.capsule_type == "exposure", C.urn, K.urn)
    )
    return stmt, lambda r: Edge("CONTAINS", r.src, r.dst, label_of(r.capsule_type), "Column")


def derived_from(where: Predicates) -> Query:
    """A column DERIVED_FROM the column it was computed from (the stored edge, read backwards)."""
    ks, kt, cs, ct = aliased(K), aliased(K), aliased(C), aliased(C)
    lineage = ColumnLineageRecord
    stmt = (
        select(lineage.target_urn.label("src"), lineage.source_urn.label("dst"), lineage.transformation)
        .join(ks, ks.urn == lineage.source_urn)
        .join(cs, cs.urn == ks.capsule_urn)
        .join(kt, kt.urn == lineage.target_urn)
        .join(ct, ct.urn == kt.capsule_urn)
        .where(where.in_scope(cs), where.in_scope(ct))
        .order_by(lineage.target_urn, lineage.source_urn)
    )
    return stmt, lambda r: Edge(
        "DERIVED_FROM", r.src, r.dst, "Column", "Column", _props(transformation=r.transformation)
    )


def capsule_domains(where: Predicates) -> Query:
    stmt = (
        select(C.urn.label("src"), D.urn.label("dst"), C.capsule_type)
        .join(D, D.name == C.domain_name)
        .where(where.in_scope(C))
        .order_by(C.capsule_type == "exposure", C.urn)
    )
    return stmt, lambda r: Edge("BELONGS_TO", r.src, r.dst, label_of(r.capsule_type), "Domain")


def product_domains(where: Predicates) -> Query:
    stmt = (
        select(P.urn.label("src"), D.urn.label("dst"))
        .join(D, D.id == P.domain_id)
        .where(where.product_included(P), where.domain_included(D))
        .order_by(P.urn)
    )
    return stmt, lambda r: Edge("BELONGS_TO", r.src, r.dst, "DataProduct", "Domain")


def _capsule_links(
    where: Predicates, link: Any, target: Any, key: Any, prop: str, kind: str, label: str
) -> Query:
    """``kind`` edges from in-scope capsules through ``link`` (``key`` names the target row),
    carrying the link's ``prop`` column."""
    stmt = (
        select(C.urn.label("src"), target.urn.label("dst"), C.capsule_type, getattr(link, prop).label("prop"))
        .join(C, C.urn == link.capsule_urn)
        .join(target, target.id == key)
        .where(where.in_scope(C))
        .order_by(C.capsule_type == "exposure", C.urn, target.urn)
    )
    return stmt, lambda r: Edge(kind, r.src, r.dst, label_of(r.capsule_type), label, _props(**{prop: r.prop}))


def capsule_tags(where: Predicates) -> Query:
    return _capsule_links(where, CapsuleTagRecord, T, CapsuleTagRecord.tag_id, "origin", "TAGGED_WITH", "Tag")


def column_tags(where: Predicates) -> Query:
    link = ColumnTagRecord
    stmt = (
        select(K.urn.label("src"), T.urn.label("dst"), link.origin)
        .join(K, K.urn == link.column_urn)
        .join(C, C.urn == K.capsule_urn)
        .join(T, T.id == link.tag_id)
        .where(where.in_scope(C))
        .order_by(K.urn, T.urn)
    )
    return stmt, lambda r: Edge("TAGGED_WITH", r.src, r.dst, "Column", "Tag", _props(origin=r.origin))


def capsule_products(where: Predicates) -> Query:
    link = CapsuleDataProductRecord
    return _capsule_links(where, link, P, link.product_id, "role", "PART_OF", "DataProduct")
