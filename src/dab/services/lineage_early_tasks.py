"""Column-lineage tasks read straight from a job's stored artifacts, in a helper process.

This runs in a lineage helper while the ingesting process parses the same artifacts, so that
the derivation (the ingestion's critical path) starts seconds earlier. It reads only what a
task holds: each model's compiled SQL and its readable parents' columns from the catalog.
It is not the parser: where it reads a project differently (a shape it does not expect, two
nodes of one relation), its task differs from the ingesting process's own, whose digest then
does not match, and that model is derived again there. A derivation is a pure function of its
task, so a result whose task digest matches is exactly the result the ingestion would derive.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterable, Mapping
from typing import Any

from dab.columnlineage.graph import (
    TRACED_TYPES,
    Packed,
    Task,
    derive_tasks,
    dialect_of,
    masking_set,
    relation_key,
    task_digest,
)
from dab.columnlineage.sql import TreeHook
from dab.domain.gc_pause import gc_paused
from dab.ingest.dbt import artifact_bytes, decode_artifact, redact_secrets
from dab.rules._sqlparse import from_tree
from dab.rules.sqlfacts import dialect_for

_TRACED = frozenset(t.value for t in TRACED_TYPES)
_NODE_TYPES = frozenset({"model", "seed", "snapshot"})

Derived = tuple[str, str, Packed]
"""A model's unique id, its task's digest and its result."""


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _enabled(node: Mapping[str, Any]) -> bool:
    return _dict(node.get("config")).get("enabled", True) is not False


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _column_types(node: Mapping[str, Any], entry: Mapping[str, Any]) -> dict[str, str]:
    """Lower-cased column name -> type, in table order, as the parser builds the columns."""
    catalog = {str(k).lower(): v for k, v in _dict(entry.get("columns")).items() if isinstance(v, dict)}
    has_catalog = isinstance(entry.get("columns"), dict)
    found: dict[str, tuple[int | None, str, str | None]] = {}  # lowered -> (ordinal, name, type)
    for position, (key, raw) in enumerate(_dict(node.get("columns")).items(), start=1):
        if not isinstance(raw, dict):
            continue
        name = str(raw.get("name") or key)
        if name.lower() in found:
            continue
        cat = catalog.get(name.lower())
        kind = (cat.get("type") or raw.get("data_type")) if cat else raw.get("data_type")
        found[name.lower()] = (_ordinal(cat) if has_catalog else position, name, kind)
    for lowered, cat in catalog.items():
        if lowered not in found:
            found[lowered] = (_ordinal(cat), str(cat.get("name") or lowered), cat.get("type"))
    ordered = sorted(found.values(), key=lambda c: (c[0] if c[0] is not None else 1 << 30, c[1]))
    return {name.lower(): str(kind) if kind else "unknown" for _, name, kind in ordered}


def _ordinal(cat: Mapping[str, Any] | None) -> int | None:
    index = cat.get("index") if cat else None
    return index if isinstance(index, int) else None


class _Project:
    """The manifest's capsule nodes and sources, their relations and their parents."""

    def __init__(self, manifest: dict[str, Any], catalog: dict[str, Any]) -> None:
        self.entries = {**_dict(catalog.get("nodes")), **_dict(catalog.get("sources"))}
        self.nodes: dict[str, dict[str, Any]] = {}
        for section in ("nodes", "sources"):
            for uid, node in _dict(manifest.get(section)).items():
                kind = node.get("resource_type") if isinstance(node, dict) else None
                if (section == "sources" or kind in _NODE_TYPES) and _enabled(node):
                    self.nodes[uid] = node
        self.key_of: dict[str, str] = {}
        by_key: dict[str, str] = {}
        for uid, node in self.nodes.items():
            relation = _text(node.get("relation_name"))
            if relation and _text(_dict(node.get("config")).get("materialized")) != "ephemeral":
                by_key[relation_key(relation)] = uid
        self.key_of = {uid: key for key, uid in by_key.items()}
        self.types: dict[str, dict[str, str]] = {}

    def _parents(self, uid: str) -> list[str]:
        deps = _dict(self.nodes[uid].get("depends_on")).get("nodes")
        return [d for d in deps if isinstance(d, str) and d in self.nodes and d != uid] if deps else []

    def readable(self, uid: str) -> set[str]:
        out: set[str] = set()
        stack = self._parents(uid)
        while stack:
            parent = stack.pop()
            if parent not in out:
                out.add(parent)
                if _dict(self.nodes[parent].get("config")).get("materialized") == "ephemeral":
                    stack.extend(self._parents(parent))
        return out

    def columns(self, uid: str) -> dict[str, str]:
        if uid not in self.types:
            self.types[uid] = _column_types(self.nodes[uid], _dict(self.entries.get(uid)))
        return self.types[uid]

    def task(self, uid: str, dialect: str | None, masking: frozenset[str]) -> Task:
        schema = {self.key_of[p]: self.columns(p) for p in self.readable(uid) if p in self.key_of}
        node = self.nodes[uid]
        sql = node.get("compiled_code") or node.get("compiled_sql")
        return (redact_secrets(sql) if isinstance(sql, str) and sql else None, schema, dialect, masking)


def read_tasks(
    artifacts: Mapping[str, bytes], extra_masking: Iterable[str], max_bytes: int
) -> tuple[list[tuple[str, Task]], bool]:
    """Every enabled model's and snapshot's task, in manifest order, and whether the rules'
    facts come from the same parse (their dialect equals the lineage's)."""
    with gc_paused():
        docs = {
            kind: decode_artifact(artifact_bytes(artifacts[kind], f"{kind}.json", max_bytes=max_bytes), kind)
            for kind in ("manifest", "catalog")
            if kind in artifacts
        }
        project = _Project(docs["manifest"], docs.get("catalog") or {})
        adapter = _text(_dict(docs["manifest"].get("metadata")).get("adapter_type"))
        dialect, masking = dialect_of(adapter), masking_set(extra_masking)
        tasks = [
            (uid, project.task(uid, dialect, masking))
            for uid, node in project.nodes.items()
            if node.get("resource_type") in _TRACED
        ]
    return tasks, dialect_for(adapter) == dialect


_held: dict[str, tuple[dict[str, Task], TreeHook | None]] = {}
"""The helper's tasks by job: a job's tasks are released once derived or dropped."""


def hold_tasks(
    job_id: str, artifacts: Mapping[str, bytes], extra_masking: Iterable[str], max_bytes: int
) -> tuple[list[str], bool]:
    """In the helper: read the job's tasks and keep them; their unique ids, in order, and
    whether the results carry the rules' facts."""
    _held.clear()  # one job at a time per helper: an earlier job's leftovers go
    # Through pickle: the tasks kept are allocated anew once the decoded artifacts are freed,
    # not scattered among them (the helper stays up between jobs: 344 -> 179 MiB kept at 10k).
    kept = pickle.dumps(read_tasks(artifacts, extra_masking, max_bytes), pickle.HIGHEST_PROTOCOL)
    tasks, facts = pickle.loads(kept)
    _held[job_id] = (dict(tasks), from_tree if facts else None)
    return [uid for uid, _ in tasks], facts


def derive_held(job_id: str, uids: list[str]) -> list[Derived]:
    """In the helper: the results of the job's tasks ``uids`` (those it holds), with digests."""
    tasks, on_tree = _held.get(job_id, ({}, None))
    mine = [(uid, tasks.pop(uid)) for uid in uids if uid in tasks]
    results = derive_tasks([task for _, task in mine], on_tree)
    return [(uid, task_digest(task), packed) for (uid, task), packed in zip(mine, results, strict=True)]


def drop_held(job_id: str) -> None:
    _held.pop(job_id, None)
