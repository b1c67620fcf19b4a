"""Fatal input problems raise InvalidArtifact naming the artifact and the JSON path."""

from __future__ import annotations

import copy
import gzip
from pathlib import Path
from typing import Any

import orjson
import pytest

from dab.errors import InvalidArtifact
from dab.ingest.dbt import load_artifact, parse_dbt

V12 = Path(__file__).parents[2] / "fixtures" / "dbt" / "v12"


def _doc(name: str) -> dict[str, Any]:
    return load_artifact((V12 / f"{name}.json").read_bytes(), f"{name}.json")


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    return _doc("manifest")


class TestLoadArtifact:
    def test_plain_json(self) -> None:
        assert load_artifact(b'{"a": 1}', "manifest.json") == {"a": 1}

    def test_gzip_json(self) -> None:
        data = gzip.compress((V12 / "catalog.json").read_bytes())
        assert load_artifact(data, "catalog.json") == _doc("catalog")

    def test_not_json(self) -> None:
        with pytest.raises(InvalidArtifact) as info:
            load_artifact(b"<html>nope</html>", "manifest.json")
        assert (info.value.artifact, info.value.json_path) == ("manifest.json", "$")
        assert "not valid JSON" in info.value.detail

    def test_corrupt_gzip(self) -> None:
        data = gzip.compress(b'{"a": 1}')[:12]
        with pytest.raises(InvalidArtifact) as info:
            load_artifact(data, "run_results.json")
        assert info.value.artifact == "run_results.json"

    def test_gzip_of_garbage(self) -> None:
        with pytest.raises(InvalidArtifact, match="not valid JSON"):
            load_artifact(gzip.compress(b"\x00\x01garbage"), "manifest.json")

    def test_json_array_is_rejected(self) -> None:
        with pytest.raises(InvalidArtifact, match="expected a JSON object"):
            load_artifact(b"[1, 2]", "manifest.json")


class TestManifestValidation:
    def test_catalog_sent_as_manifest(self) -> None:
        with pytest.raises(InvalidArtifact) as info:
            parse_dbt(_doc("catalog"))
        assert info.value.artifact == "manifest.json"
        assert info.value.json_path == "$.metadata.dbt_schema_version"
        assert "catalog.json" in info.value.detail

    @pytest.mark.parametrize(
        ("doc", "sent"), [("run_results", "run_results.json"), ("sources", "sources.json")]
    )
    def test_other_artifacts_sent_as_manifest(self, doc: str, sent: str) -> None:
        with pytest.raises(InvalidArtifact, match=sent):
            parse_dbt(_doc(doc))

    @pytest.mark.parametrize("version", [6, 13])
    def test_unsupported_schema_version(self, manifest: dict[str, Any], version: int) -> None:
        bad = copy.deepcopy(manifest)
        bad["metadata"]["dbt_schema_version"] = f"https://schemas.getdbt.com/dbt/manifest/v{version}.json"
        with pytest.raises(InvalidArtifact) as info:
            parse_dbt(bad)
        assert info.value.json_path == "$.metadata.dbt_schema_version"
        assert f"v{version}" in info.value.detail

    @pytest.mark.parametrize("key", ["nodes", "sources"])
    def test_missing_required_object(self, manifest: dict[str, Any], key: str) -> None:
        bad = {k: v for k, v in manifest.items() if k != key}
        with pytest.raises(InvalidArtifact) as info:
            parse_dbt(bad)
        assert (info.value.artifact, info.value.json_path) == ("manifest.json", f"$.{key}")

    def test_missing_metadata(self, manifest: dict[str, Any]) -> None:
        bad = {k: v for k, v in manifest.items() if k != "metadata"}
        with pytest.raises(InvalidArtifact) as info:
            parse_dbt(bad)
        assert info.value.json_path == "$.metadata"

    def test_missing_schema_version(self) -> None:
        with pytest.raises(InvalidArtifact) as info:
            parse_dbt({"metadata": {}, "nodes": {}, "sources": {}})
        assert info.value.json_path == "$.metadata.dbt_schema_version"

    def test_manifest_sent_as_catalog(self, manifest: dict[str, Any]) -> None:
        with pytest.raises(InvalidArtifact) as info:
            parse_dbt(manifest, catalog=manifest)
        assert info.value.artifact == "catalog.json"
        assert "manifest.json" in info.value.detail

    def test_old_run_results_version(self, manifest: dict[str, Any]) -> None:
        run_results = copy.deepcopy(_doc("run_results"))
        run_results["metadata"]["dbt_schema_version"] = "https://schemas.getdbt.com/dbt/run-results/v3.json"
        with pytest.raises(InvalidArtifact) as info:
            parse_dbt(manifest, run_results=run_results)
        assert info.value.artifact == "run_results.json"


def _tiny_manifest(nodes: dict[str, Any]) -> dict[str, Any]:
    return {
        "metadata": {
            "dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json",
            "project_name": "p",
        },
        "nodes": nodes,
        "sources": {},
    }


def _model(name: str, deps: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "unique_id": f"model.p.{name}",
        "resource_type": "model",
        "package_name": "p",
        "name": name,
        "original_file_path": f"models/{name}.sql",
        "depends_on": {"nodes": deps or []},
        "config": {"enabled": True, "materialized": "view"},
        **extra,
    }


class TestNonFatalIssues:
    def test_dependency_on_unknown_node_is_an_issue(self) -> None:
        graph = parse_dbt(_tiny_manifest({"model.p.a": _model("a", ["model.p.gone", "model.p.gone"])}))
        assert len(graph.capsules) == 1
        assert graph.edges == []
        assert graph.issues[0].json_path == '$.nodes["model.p.a"].depends_on.nodes[0]'

    def test_skipped_resource_types_and_disabled_nodes(self) -> None:
        nodes = {
            "model.p.a": _model("a"),
            "model.p.off": {**_model("off"), "config": {"enabled": False}},
            "analysis.p.x": {**_model("x"), "resource_type": "analysis"},
            "operation.p.y": {**_model("y"), "resource_type": "operation"},
        }
        graph = parse_dbt(_tiny_manifest(nodes))
        assert list(graph.capsules) == ["urn:dab:dbt:model:p:a"]

    def test_versioned_model_and_ephemeral(self) -> None:
        nodes = {
            "model.p.dim.v2": _model("dim", version=2),
            "model.p.eph": {**_model("eph", ["model.p.dim.v2"]), "config": {"materialized": "ephemeral"}},
        }
        graph = parse_dbt(_tiny_manifest(nodes))
        versioned = graph.capsules["urn:dab:dbt:model:p:dim.v2"]
        assert (versioned.name, versioned.version) == ("dim.v2", "2")
        assert graph.capsules["urn:dab:dbt:model:p:eph"].materialization == "ephemeral"
        assert [(e.source_urn, e.target_urn) for e in graph.edges] == [
            ("urn:dab:dbt:model:p:dim.v2", "urn:dab:dbt:model:p:eph")
        ]

    def test_compiled_sql_and_meta_are_redacted(self) -> None:
        node = _model(
            "a",
            compiled_code="select * from read_csv('s3://k:AKIAABCDEFGHIJKLMNOP@b/x') -- password=hunter2",
            meta={"conn": "postgres://u:p4ss@h/db", "api_key": "abc", "nested": [{"token": "t"}]},
        )
        graph = parse_dbt(_tiny_manifest({"model.p.a": node}))
        capsule = graph.capsules["urn:dab:dbt:model:p:a"]
        dumped = orjson.dumps({"sql": capsule.compiled_sql, "meta": capsule.meta}).decode()
        for secret in ("AKIAABCDEFGHIJKLMNOP", "hunter2", "p4ss", "abc", '"t"'):
            assert secret not in dumped
