"""The layer mapping used by ingestion: dbt's defaults, or a YAML file from settings."""

from __future__ import annotations

from pathlib import Path

import yaml

from dab.errors import InvalidInput
from dab.ingest.dbt import LayerRules


def load_layer_rules(path: Path | None) -> LayerRules | None:
    """None means the parser's defaults (DESIGN.md §4)."""
    if path is None:
        return None
    try:
        config = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise InvalidInput(f"cannot read layer rules {path}: {exc}", location="DAB_LAYER_RULES_FILE") from exc
    if not isinstance(config, dict):
        raise InvalidInput(f"{path}: expected a mapping at the top level", location="DAB_LAYER_RULES_FILE")
    return LayerRules.from_mapping(config)
