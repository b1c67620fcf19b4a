"""What a check sees: the graph, the subject, and facts computed once per evaluation."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, NamedTuple

from dab.domain.capsule import Capsule, CapsuleType
from dab.domain.column import Column
from dab.domain.graph import Graph
from dab.rules.sqlfacts import SqlFacts, graph_dialect, sql_facts

LAYER_RANK: dict[str, int] = {"bronze": 0, "silver": 1, "gold": 2}
_NO_CAPSULES: list[Capsule] = []


class Subject(NamedTuple):
    """A capsule, or one column of it (a tuple: built once per column on the hot path)."""

    capsule: Capsule
    column: Column | None = None

    @property
    def urn(self) -> str:
        return self.column.urn if self.column is not None else self.capsule.urn


def relation_key(capsule: Capsule) -> str | None:
    """Lower-cased ``database.schema.name`` of a capsule's relation, without quotes."""
    if capsule.relation_name:
        return (
            capsule.relation_name.replace('"', "").replace("`", "").replace("[", "").replace("]", "").lower()
        )
    if capsule.schema:
        parts = [p for p in (capsule.database, capsule.schema, capsule.name.split(".")[-1]) if p]
        return ".".join(parts).lower()
    return None


@dataclass
class EvalContext:
    """One evaluation's view of the graph; derived facts are computed lazily and once."""

    graph: Graph
    _sql: dict[str, SqlFacts] = field(default_factory=dict)
    cel_capsules: dict[str, Any] = field(default_factory=dict)
    """CEL values of capsules, built once per evaluation and shared by every CEL rule."""
    _chains: dict[frozenset[str], dict[str, int]] = field(default_factory=dict)

    def capsule(self, urn: str) -> Capsule | None:
        return self.graph.capsules.get(urn)

    def parents(self, urn: str) -> list[str]:
        return self.graph.parents.get(urn, [])

    def children(self, urn: str) -> list[str]:
        return self.graph.children.get(urn, [])

    def parent_capsules(self, urn: str) -> list[Capsule]:
        """Distinct parent capsules in URN order (shared: not to be mutated)."""
        return self.upstream.get(urn, _NO_CAPSULES)

    @cached_property
    def upstream(self) -> dict[str, list[Capsule]]:
        """Node URN -> its distinct parent capsules in URN order, for every node with parents:
        built in one pass, as about half the rules read it for nearly every model."""
        caps = self.graph.capsules
        return {
            urn: [caps[p] for p in (sorted(set(ps)) if len(ps) > 1 else ps) if p in caps]
            for urn, ps in self.graph.parents.items()
        }

    def child_models(self, urn: str) -> list[str]:
        """Distinct child models of a node, in URN order."""
        caps = self.graph.capsules
        return sorted(
            {
                c
                for c in self.graph.children.get(urn, ())
                if c in caps and caps[c].capsule_type is CapsuleType.MODEL
            }
        )

    @cached_property
    def feeding_only(self) -> dict[str, list[str]]:
        """Node URN -> the nodes whose only child it is (any number of edges), in URN order."""
        out: dict[str, list[str]] = defaultdict(list)
        for urn, below in self.graph.children.items():
            first = below[0]
            if all(c == first for c in below):
                out[first].append(urn)
        return {child: sorted(parents) for child, parents in out.items()}

    @cached_property
    def layers(self) -> dict[str, str]:
        """Capsule URN -> ``Capsule.layer_value``, read once per capsule (the property reads an
        enum's value on every call: ~1 us; ~25k reads a run before this index)."""
        return {urn: c.layer_value for urn, c in self.graph.capsules.items()}

    @cached_property
    def layer_ranks(self) -> dict[str, int]:
        """Capsule URN -> rank of its layer in the medallion order; -1 outside it."""
        rank = LAYER_RANK.get
        return {urn: rank(layer, -1) for urn, layer in self.layers.items()}

    @cached_property
    def pii_marked_columns(self) -> dict[str, list[Column]]:
        """Capsule URN -> its columns with a ``pii_type`` (column order kept), for the checks
        that apply to no other column (``CheckSpec.pii_marked_only``)."""
        out: dict[str, list[Column]] = {}
        for urn, columns in self.graph.columns_by_capsule.items():
            marked = [c for c in columns if c.pii_type is not None]
            if marked:
                out[urn] = marked
        return out

    def sql(self, capsule: Capsule) -> SqlFacts | None:
        if not capsule.compiled_sql:
            return None
        facts = self._sql.get(capsule.urn)
        if facts is None:
            facts = sql_facts(capsule.compiled_sql, self.dialect)
            self._sql[capsule.urn] = facts
        return facts

    @cached_property
    def dialect(self) -> str | None:
        return graph_dialect(self.graph)

    @cached_property
    def known_relations(self) -> frozenset[str]:
        """Relation keys of every capsule, plus their ``schema.name`` suffixes."""
        out: set[str] = set()
        for capsule in self.graph.capsules.values():
            key = relation_key(capsule)
            if key:
                out.add(key)
                out.add(".".join(key.split(".")[-2:]))
        return frozenset(out)

    @cached_property
    def duplicate_sources(self) -> dict[tuple[str, str], list[str]]:
        """(project, relation key) -> URNs of the sources reading it, where more than one does.

        Sources are grouped per project (capsule namespace): two projects that each declare the
        same raw table are not duplicates of one another.
        """
        by_key: dict[tuple[str, str], list[str]] = defaultdict(list)
        for capsule in self.graph.capsules.values():
            if capsule.capsule_type is CapsuleType.SOURCE:
                key = relation_key(capsule)
                if key:
                    by_key[(capsule.namespace, key)].append(capsule.urn)
        return {k: sorted(v) for k, v in by_key.items() if len(v) > 1}

    @cached_property
    def duplicate_of(self) -> dict[str, tuple[str, list[str]]]:
        """Source URN -> (relation key, every source reading it) where more than one does."""
        return {urn: (key, urns) for (_project, key), urns in self.duplicate_sources.items() for urn in urns}

    @cached_property
    def source_group_leaders(self) -> frozenset[str]:
        """The first source URN of each group: group-level checks are judged on it alone."""
        return frozenset(min(c.urn for c in group) for group in self.sources_by_group.values())

    @cached_property
    def sources_by_group(self) -> dict[tuple[str, str], list[Capsule]]:
        """(project, source name) -> the source's tables."""
        groups: dict[tuple[str, str], list[Capsule]] = defaultdict(list)
        for capsule in self.graph.capsules.values():
            if capsule.capsule_type is CapsuleType.SOURCE:
                groups[source_group(capsule)].append(capsule)
        return dict(groups)

    @cached_property
    def models_by_project(self) -> dict[str, list[Capsule]]:
        """Project (capsule namespace) -> its models: project-level checks judge these together."""
        out: dict[str, list[Capsule]] = defaultdict(list)
        for capsule in self.graph.capsules.values():
            if capsule.capsule_type is CapsuleType.MODEL:
                out[capsule.namespace].append(capsule)
        return dict(out)

    @cached_property
    def project_leaders(self) -> frozenset[str]:
        """The first model URN of each project: project-level checks are judged on it alone."""
        return frozenset(min(c.urn for c in models) for models in self.models_by_project.values())

    def view_chain(self, urn: str, materializations: frozenset[str]) -> int:
        """Length of the longest unbroken chain of upstream models materialised as one of
        ``materializations`` ending right above ``urn`` (memoised; cycles count once)."""
        memo = self._chains.get(materializations)
        if memo is None:
            memo = self._chains[materializations] = {}
        found = memo.get(urn)
        if found is not None:
            return found
        links = self._chain_links(urn, materializations)
        found = 0
        for link in links:  # the usual case: every link was judged already
            length = memo.get(link)
            if length is None:
                break
            found = max(found, 1 + length)
        else:
            memo[urn] = found
            return found
        # Depth first: (node, None) is still to expand; (node, its links) waits for its links'
        # lengths, so a node's links are found once, not again when it is finished.
        on_path = {urn}
        stack: list[tuple[str, list[str] | None]] = [(urn, links)]
        stack.extend((p, None) for p in links if p not in memo and p not in on_path)
        while stack:
            node, waiting = stack.pop()
            if node in memo:
                continue
            if waiting is not None:
                on_path.discard(node)
                memo[node] = max((1 + memo.get(p, 0) for p in waiting), default=0)
                continue
            waiting = self._chain_links(node, materializations)
            on_path.add(node)
            stack.append((node, waiting))
            stack.extend((p, None) for p in waiting if p not in memo and p not in on_path)
        return memo[urn]

    def _chain_links(self, urn: str, materializations: frozenset[str]) -> list[str]:
        # The indexed parents other rules read too (distinct, known capsules only).
        parents = self.upstream.get(urn)
        if not parents:
            return []
        return [
            p.urn
            for p in parents
            if p.capsule_type is CapsuleType.MODEL and (p.materialization or "") in materializations
        ]


def source_group(capsule: Capsule) -> tuple[str, str]:
    """(project, source name) of a source table."""
    return capsule.namespace, capsule.source_name or capsule.name.split(".")[0]
