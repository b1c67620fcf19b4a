"""dbt data tests attached to capsules and columns, with their latest result."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dab.domain.quality import DataTest, TestKind
from dab.domain.urns import test_urn
from dab.ingest.dbt._common import config_of, key_path, text
from dab.ingest.dbt._context import Context

_KINDS = {
    "unique": TestKind.UNIQUE,
    "not_null": TestKind.NOT_NULL,
    "relationships": TestKind.RELATIONSHIPS,
    "accepted_values": TestKind.ACCEPTED_VALUES,
}


_CONFIG_KEYS = ("severity", "warn_if", "error_if", "where", "store_failures", "limit")


def _kind(metadata: Any) -> tuple[TestKind, str | None]:
    if not isinstance(metadata, dict) or not metadata.get("name"):
        return TestKind.SINGULAR, None
    name = str(metadata["name"])
    namespace = metadata.get("namespace")
    if namespace:
        return TestKind.GENERIC, f"{namespace}.{name}"
    return _KINDS.get(name, TestKind.GENERIC), name


def _deps(node: Mapping[str, Any]) -> list[str]:
    depends_on = node.get("depends_on")
    nodes = depends_on.get("nodes") if isinstance(depends_on, dict) else None
    return [str(n) for n in nodes] if isinstance(nodes, list) else []


def _attached(node: Mapping[str, Any], kind: TestKind, deps: list[str]) -> str | None:
    attached = node.get("attached_node")
    if isinstance(attached, str) and attached:
        return attached
    if not deps:
        return None
    if kind is TestKind.RELATIONSHIPS and len(deps) > 1:
        # dbt < 1.5 has no attached_node: the tested model is the one in kwargs.model.
        kwargs = (node.get("test_metadata") or {}).get("kwargs") or {}
        model = str(kwargs.get("model", ""))
        for dep in deps:
            if f"'{dep.rsplit('.', 1)[-1]}'" in model:
                return dep
        return deps[-1]
    return deps[0]


def build_test(ctx: Context, unique_id: str, node: Mapping[str, Any]) -> DataTest | None:
    """The test node as a DataTest, or None (with an issue) when it tests nothing we know."""
    kind, test_name = _kind(node.get("test_metadata"))
    deps = _deps(node)
    attached = _attached(node, kind, deps)
    target = ctx.ids.get(attached) if attached else None
    if target is None:
        ctx.warn(key_path("nodes", unique_id), f"test skipped: it tests no known capsule ({attached})")
        return None
    column_name = text(node.get("column_name"))
    column_urn = _column_urn(ctx, target.urn, column_name)
    config = config_of(node)
    result = ctx.runs.get(unique_id)
    return DataTest(
        urn=test_urn("dbt", ctx.namespace(node.get("package_name")), str(node.get("name"))),
        name=str(node.get("name")),
        kind=kind,
        capsule_urn=target.urn,
        column_name=column_name,
        column_urn=column_urn,
        severity=str(config.get("severity") or "error").lower(),
        unique_id=unique_id,
        test_name=test_name,
        depends_on=tuple(ctx.ids[d].urn for d in deps if d in ctx.ids),
        config={
            k: config[k]
            for k in ("severity", "warn_if", "error_if", "where", "store_failures")
            if k in config
        },
        status=result.status if result else None,
        failures=result.failures if result else None,
        message=result.message if result else None,
        executed_at=result.completed_at if result else None,
        path=text(node.get("original_file_path")),
    )


def _column_urn(ctx: Context, capsule_urn: str, column_name: str | None) -> str | None:
    if not column_name:
        return None
    columns = ctx.columns_by_name.get(capsule_urn, {})
    return columns.get(column_name.strip('"`[]').lower())
