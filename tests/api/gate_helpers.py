"""Two manifests of one change, built from the jaffle_shop fixture: the base branch and the head.

The change adds ``stg_refunds`` (a ``select *`` pass-through of a source, read by nothing),
edits ``stg_orders`` (whose downstream is ``orders``, ``customers`` and the exposure), and
configures freshness on the ``customers`` source (fixing its source-freshness violation).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import orjson

V12 = Path(__file__).parents[1] / "fixtures" / "dbt" / "v12"
PREFIX = "urn:dab:dbt:model:jaffle_shop:"
EXPOSURE_URN = "urn:dab:dbt:exposure:jaffle_shop:weekly_revenue"


def _link(manifest: dict[str, Any], parent: str, child: str) -> None:
    manifest["parent_map"].setdefault(child, []).append(parent)
    manifest["child_map"].setdefault(parent, []).append(child)


def base_manifest() -> dict[str, Any]:
    manifest: dict[str, Any] = orjson.loads((V12 / "manifest.json").read_bytes())
    uid = "exposure.jaffle_shop.weekly_revenue"
    manifest["exposures"][uid] = {
        "name": "weekly_revenue", "resource_type": "exposure", "package_name": "jaffle_shop",
        "path": "exposures.yml", "original_file_path": "models/exposures.yml", "unique_id": uid,
        "fqn": ["jaffle_shop", "weekly_revenue"], "type": "dashboard", "maturity": "high",
        "owner": {"name": "Finance", "email": "finance@example.com"}, "description": "Revenue",
        "depends_on": {"nodes": ["model.jaffle_shop.orders"], "macros": []},
        "refs": [{"name": "orders", "package": None, "version": None}], "sources": [], "metrics": [],
        "meta": {}, "tags": [], "config": {"enabled": True}, "unrendered_config": {}, "url": None,
        "label": None, "created_at": 0.0,
    }  # fmt: skip
    _link(manifest, "model.jaffle_shop.orders", uid)
    return manifest


def head_manifest() -> dict[str, Any]:
    manifest = base_manifest()
    nodes = manifest["nodes"]
    nodes["model.jaffle_shop.stg_orders"]["compiled_code"] += "\n-- reviewed"
    refunds = copy.deepcopy(nodes["model.jaffle_shop.stg_payments"])
    refunds.update(
        name="stg_refunds", unique_id="model.jaffle_shop.stg_refunds", alias="stg_refunds",
        original_file_path="models/staging/stg_refunds.sql", path="staging/stg_refunds.sql",
        relation_name='"jaffle_shop"."main"."stg_refunds"', description="",
        compiled_code='select * from "jaffle_shop"."raw"."raw_payments"',
        fqn=["jaffle_shop", "staging", "stg_refunds"], columns={},
    )  # fmt: skip
    nodes[refunds["unique_id"]] = refunds
    for parent in refunds["depends_on"]["nodes"]:
        _link(manifest, parent, refunds["unique_id"])
    source = manifest["sources"]["source.jaffle_shop.jaffle_shop.customers"]
    source["freshness"] = {"warn_after": {"count": 12, "period": "hour"}, "error_after": {}, "filter": None}
    source["loaded_at_field"] = "_loaded_at"
    return manifest


def write(tmp: Path) -> tuple[Path, Path]:
    """(head, base) manifest files under ``tmp``."""
    head, base = tmp / "head.json", tmp / "base.json"
    head.write_bytes(orjson.dumps(head_manifest()))
    base.write_bytes(orjson.dumps(base_manifest()))
    return head, base
