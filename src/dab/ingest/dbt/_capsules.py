"""Capsules from manifest nodes, sources and exposures."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dab.domain.capsule import CONFIG_KEYS, Capsule, CapsuleType, Inference
from dab.domain.urns import capsule_urn
from dab.ingest.dbt._common import config_of, key_path, merged_meta, merged_tags, text
from dab.ingest.dbt._context import Context, Identity, owner_of
from dab.ingest.dbt._load import MANIFEST
from dab.ingest.dbt._results import build_freshness
from dab.ingest.dbt.redact import redact_meta, redact_secrets

CAPSULE_NODE_TYPES = {
    "model": CapsuleType.MODEL,
    "seed": CapsuleType.SEED,
    "snapshot": CapsuleType.SNAPSHOT,
}


def identify(ctx: Context, capsule_type: CapsuleType, node: Mapping[str, Any]) -> Identity:
    namespace = ctx.namespace(node.get("package_name"))
    name = str(node.get("name"))
    if capsule_type is CapsuleType.SOURCE:
        parts: tuple[str, ...] = (str(node.get("source_name")), name)
    elif capsule_type is CapsuleType.MODEL and node.get("version") is not None:
        parts = (name, f"v{node['version']}")
    else:
        parts = (name,)
    return Identity(capsule_urn("dbt", capsule_type.value, namespace, parts), namespace, parts)


def _common(
    ctx: Context, capsule_type: CapsuleType, ident: Identity, node: Mapping[str, Any]
) -> dict[str, Any]:
    meta = merged_meta(node)
    if meta:
        section = {CapsuleType.SOURCE: "sources", CapsuleType.EXPOSURE: "exposures"}.get(
            capsule_type, "nodes"
        )
        meta = redact_meta(meta, MANIFEST, key_path(section, str(node.get("unique_id")), "meta"))
    tags = merged_tags(node)
    path = text(node.get("original_file_path"))
    name = ident.name_parts[-1] if capsule_type is CapsuleType.SOURCE else ident.name_parts[0]
    return {
        "urn": ident.urn,
        "name": ".".join(ident.name_parts),
        "capsule_type": capsule_type,
        "namespace": ident.namespace,
        "unique_id": text(node.get("unique_id")),
        "description": text(node.get("description")),
        "path": path,
        "meta": meta,
        "tags": tags,
        "layer": ctx.rules.infer_layer(
            resource_type=capsule_type.value, name=name, meta=meta, tags=tags, path=path
        ),
        "domain": ctx.rules.infer_domain(meta=meta, tags=tags, path=path),
        "owner": _owner(ctx, meta, node),
    }


def _owner(ctx: Context, meta: Mapping[str, Any], node: Mapping[str, Any]) -> Inference:
    owner = owner_of(meta.get("owner"))
    if owner:
        return Inference(owner, "meta.owner")
    group = node.get("group") or config_of(node).get("group")
    if isinstance(group, str) and group in ctx.group_owners:
        return Inference(ctx.group_owners[group], f"group:{group}")
    if node.get("resource_type") == "exposure":
        owner = owner_of(node.get("owner"))
        if owner:
            return Inference(owner, "exposure.owner")
    return Inference(None)


def _relation(node: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "database": text(node.get("database")),
        "schema": text(node.get("schema")),
        "relation_name": text(node.get("relation_name")),
    }


def node_capsule(
    ctx: Context, ident: Identity, capsule_type: CapsuleType, node: Mapping[str, Any]
) -> Capsule:
    """A model, seed or snapshot."""
    config = config_of(node)
    contract = node.get("contract") or config.get("contract")
    sql = node.get("compiled_code") or node.get("compiled_sql")
    version = node.get("version")
    run = ctx.runs.get(str(node.get("unique_id")))
    return Capsule(
        **_common(ctx, capsule_type, ident, node),
        **_relation(node),
        alias=text(node.get("alias")),
        materialization=text(config.get("materialized")),
        access=text(node.get("access")) or text(config.get("access")),
        group=text(node.get("group")) or text(config.get("group")),
        version=str(version) if version is not None else None,
        contract_enforced=bool(isinstance(contract, dict) and contract.get("enforced")),
        language=text(node.get("language")),
        compiled_sql=redact_secrets(sql) if isinstance(sql, str) and sql else None,
        last_run=run.as_run_result() if run else None,
        config={k: config[k] for k in CONFIG_KEYS if config.get(k) not in (None, "", [])},
    )


def source_capsule(ctx: Context, ident: Identity, node: Mapping[str, Any]) -> Capsule:
    uid = str(node.get("unique_id"))
    result = ctx.source_results.get(uid)
    return Capsule(
        **_common(ctx, CapsuleType.SOURCE, ident, node),
        **_relation(node),
        alias=text(node.get("identifier")),
        source_name=text(node.get("source_name")),
        freshness=build_freshness(dict(node), result),
    )


def exposure_capsule(ctx: Context, ident: Identity, node: Mapping[str, Any]) -> Capsule:
    return Capsule(
        **_common(ctx, CapsuleType.EXPOSURE, ident, node),
        exposure_type=text(node.get("type")),
        maturity=text(node.get("maturity")),
        url=text(node.get("url")),
    )
