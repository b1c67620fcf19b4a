"""State shared while one manifest is turned into a Graph."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dab.domain.column import Column
from dab.domain.graph import Graph, IngestIssue
from dab.ingest.dbt._load import MANIFEST
from dab.ingest.dbt._results import NodeResult
from dab.ingest.dbt.layers import LayerRules

if TYPE_CHECKING:
    from dab.ingest.dbt._reuse import ParseMemo


@dataclass(slots=True)
class Identity:
    urn: str
    namespace: str
    name_parts: tuple[str, ...]


@dataclass(slots=True)
class Context:
    root_package: str
    project_name: str | None
    rules: LayerRules
    graph: Graph
    group_owners: dict[str, str] = field(default_factory=dict)
    catalog: dict[str, dict[str, Any]] = field(default_factory=dict)
    runs: dict[str, NodeResult] = field(default_factory=dict)
    source_results: dict[str, dict[str, Any]] = field(default_factory=dict)
    ids: dict[str, Identity] = field(default_factory=dict)
    columns_by_name: dict[str, dict[str, str]] = field(default_factory=dict)
    """capsule URN -> lower-cased column name -> column URN"""
    columns_index: dict[str, list[Column]] | None = field(default_factory=dict)
    """capsule URN -> its columns in ``Graph.columns_by_capsule`` order; None: not usable"""
    keep: ParseMemo | None = None
    reused: set[str] = field(default_factory=set)
    """unique ids whose capsule came from ``reuse`` (tests naming only these can be reused too)"""
    reuse: ParseMemo | None = None
    consume: bool = False
    """the caller gave the decoded artifacts up: bodies are released once built (``parse_dbt``)"""
    strings: dict[str, str] = field(default_factory=dict)
    """one copy of each column name, type and description (``build_columns``)"""

    def namespace(self, package: Any) -> str:
        name = str(package or self.root_package)
        if self.project_name and name == self.root_package:
            return self.project_name
        return name

    def warn(self, json_path: str, message: str, artifact: str = MANIFEST) -> None:
        self.graph.issues.append(IngestIssue(artifact, json_path, message))


def root_package_of(manifest: dict[str, Any]) -> str:
    """``metadata.project_name`` (dbt >= 1.6), else the package owning most nodes."""
    metadata = manifest.get("metadata") or {}
    name = metadata.get("project_name")
    if isinstance(name, str) and name:
        return name
    counts = Counter(
        node.get("package_name")
        for node in (manifest.get("nodes") or {}).values()
        if isinstance(node, dict) and node.get("package_name")
    )
    return str(counts.most_common(1)[0][0]) if counts else "default"


def group_owners(manifest: dict[str, Any]) -> dict[str, str]:
    """dbt group name -> owner e-mail (or name)."""
    out: dict[str, str] = {}
    for group in (manifest.get("groups") or {}).values():
        if not isinstance(group, dict) or not group.get("name"):
            continue
        owner = owner_of(group.get("owner"))
        if owner:
            out[str(group["name"])] = owner
    return out


def owner_of(value: Any) -> str | None:
    """An owner given as a string or as ``{email, name}``."""
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, dict):
        for key in ("email", "name"):
            found = value.get(key)
            if isinstance(found, str) and found.strip():
                return found.strip()
    return None
