"""The early derivation's tasks, read straight from the artifacts in a helper, equal the tasks
the ingestion plans from its parsed graph (so their results are kept), and where they differ
the digest says so (so the ingestion derives that model itself)."""

from __future__ import annotations

import copy
import gzip
from pathlib import Path
from typing import Any

import orjson
import pytest
from benchmarks.generate_dbt_project import generate_manifest

from dab.columnlineage.graph import assemble_lineage, derive_tasks, plan_lineage, task_digest
from dab.ingest.dbt import parse_dbt
from dab.services.lineage_early_tasks import derive_held, drop_held, hold_tasks, read_tasks

FIXTURES = Path(__file__).parents[2] / "fixtures" / "dbt"


def _fixture(version: str) -> dict[str, Any]:
    return {k: orjson.loads((FIXTURES / version / f"{k}.json").read_bytes()) for k in ("manifest", "catalog")}


def _generated() -> dict[str, Any]:
    manifest, catalog, _ = generate_manifest(300, 12, seed=7)
    return {"manifest": manifest, "catalog": catalog}


PROJECTS = {"v9": lambda: _fixture("v9"), "v11": lambda: _fixture("v11"), "v12": lambda: _fixture("v12")}
PROJECTS["generated"] = _generated


def _stored(docs: dict[str, Any]) -> dict[str, bytes]:
    """As a job stores them: gzip."""
    return {kind: gzip.compress(orjson.dumps(doc)) for kind, doc in docs.items()}


def _planned(docs: dict[str, Any], masking: tuple[str, ...] = ()) -> Any:
    graph = parse_dbt(copy.deepcopy(docs["manifest"]), copy.deepcopy(docs["catalog"]))
    return plan_lineage(graph, extra_masking_functions=masking)


@pytest.mark.parametrize("name", sorted(PROJECTS))
def test_tasks_equal_the_planned_ones(name: str) -> None:
    docs = PROJECTS[name]()
    plan = _planned(docs, ("mask_it",))
    read, facts = read_tasks(_stored(docs), ("mask_it",), 1 << 30)
    assert facts is True  # these projects' rules parse in the lineage's dialect
    assert [uid for uid, _ in read] == [m.unique_id for m in plan.models]
    for (uid, task), planned in zip(read, plan.tasks, strict=True):
        assert task_digest(task) == task_digest(planned), uid
        assert task[0] == planned[0] and task[1] == planned[1] and task[2:] == planned[2:]


def test_edges_equal_one_process_derivation() -> None:
    """The held tasks' results, put in plan order, assemble to the edges and coverage of one
    in-process derivation of the parsed graph."""
    docs = _generated()
    plan = _planned(docs)
    uids, _ = hold_tasks("job-1", _stored(docs), (), 1 << 30)
    derived = derive_held("job-1", list(reversed(uids)))  # any order: keyed by unique id
    assert derive_held("job-1", uids[:3]) == []  # a derived task is released
    drop_held("job-1")
    by_uid = {uid: (digest, packed) for uid, digest, packed in derived}
    results = []
    for model, task in zip(plan.models, plan.tasks, strict=True):
        digest, packed = by_uid[model.unique_id]
        assert digest == task_digest(task)
        results.append(packed)
    early = assemble_lineage(plan, results)
    direct = assemble_lineage(plan, derive_tasks(plan.tasks))
    assert early.edges == direct.edges and len(direct.edges) > 1000
    assert early.models == direct.models
    assert direct.coverage["full"] == len(plan.models)


def test_a_different_reading_changes_the_digest() -> None:
    """Tasks read from other artifacts than the parsed ones (here the sources' column types
    changed) differ in digest: the ingestion would derive those models itself."""
    docs = _fixture("v12")
    plan = _planned(docs)
    changed = copy.deepcopy(docs)
    for entry in changed["catalog"]["sources"].values():
        for column in entry.get("columns", {}).values():
            column["type"] = "a_type_nobody_has"
    read, _ = read_tasks(_stored(changed), (), 1 << 30)
    differ = [
        uid for (uid, task), p in zip(read, plan.tasks, strict=True) if task_digest(task) != task_digest(p)
    ]
    assert differ  # the models reading a source
    assert len(differ) < len(plan.tasks)  # the others still match


def test_digest_sees_column_order_not_table_order() -> None:
    a = ("select 1", {"t": {"x": "int", "y": "int"}, "u": {"z": "int"}}, None, frozenset({"md5"}))
    b = ("select 1", {"u": {"z": "int"}, "t": {"x": "int", "y": "int"}}, None, frozenset({"md5"}))
    c = ("select 1", {"t": {"y": "int", "x": "int"}, "u": {"z": "int"}}, None, frozenset({"md5"}))
    assert task_digest(a) == task_digest(b)
    assert task_digest(a) != task_digest(c)
