"""What an export covers, as SQL predicates on aliases of the capsule table."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, exists, or_, true
from sqlalchemy.orm import aliased

from dab.storage.records import (
    CapsuleDataProductRecord,
    CapsuleRecord,
    CapsuleTagRecord,
    ColumnRecord,
    ColumnTagRecord,
)


@dataclass(frozen=True, slots=True)
class ExportScope:
    """Which capsules are in the graph, and which kinds of node come with them."""

    project: str | None = None
    domain: str | None = None
    layer: str | None = None
    urns: frozenset[str] | None = None
    """A lineage subgraph: exactly these capsules."""
    include_columns: bool = False
    include_tags: bool = False
    include_products: bool = False

    @property
    def scoped(self) -> bool:
        return any(v is not None for v in (self.project, self.domain, self.layer, self.urns))


class Predicates:
    """Each included kind of node as a predicate, shared by node and edge queries alike."""

    def __init__(self, scope: ExportScope) -> None:
        self._scope = scope

    def in_scope(self, capsule: Any) -> ColumnElement[bool]:
        """The scope as a predicate on one alias of the capsule table."""
        s = self._scope
        conditions: list[ColumnElement[bool]] = []
        if s.project is not None:
            conditions.append(capsule.project == s.project)
        if s.domain is not None:
            conditions.append(capsule.domain_name == s.domain)
        if s.layer is not None:
            conditions.append(capsule.layer == s.layer)
        if s.urns is not None:
            # Inlined as literals: a lineage set may exceed the bound-parameter limits.
            wanted: Any = bindparam("scope_urns", sorted(s.urns), expanding=True, literal_execute=True)
            conditions.append(capsule.urn.in_(wanted))
        return and_(true(), *conditions)

    def _linked(self, link: Any, column: Any, key: Any) -> ColumnElement[bool]:
        """Some in-scope capsule is attached to ``key`` through ``link.column``."""
        c = aliased(CapsuleRecord)
        return exists().where(column == key, link.capsule_urn == c.urn, self.in_scope(c))

    def domain_included(self, domain: Any) -> ColumnElement[bool]:
        if not self._scope.scoped:
            return true()
        c = aliased(CapsuleRecord)
        return exists().where(c.domain_name == domain.name, self.in_scope(c))

    def tag_included(self, tag: Any) -> ColumnElement[bool]:
        if not self._scope.scoped:
            return true()
        on_capsule = self._linked(CapsuleTagRecord, CapsuleTagRecord.tag_id, tag.id)
        if not self._scope.include_columns:
            return on_capsule
        c, k = aliased(CapsuleRecord), aliased(ColumnRecord)
        on_column = exists().where(
            ColumnTagRecord.tag_id == tag.id,
            ColumnTagRecord.column_urn == k.urn,
            k.capsule_urn == c.urn,
            self.in_scope(c),
        )
        return or_(on_capsule, on_column)

    def product_included(self, product: Any) -> ColumnElement[bool]:
        if not self._scope.scoped:
            return true()
        return self._linked(CapsuleDataProductRecord, CapsuleDataProductRecord.product_id, product.id)
