"""Small helpers shared by the dbt artifact readers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def merged_meta(node: Mapping[str, Any]) -> dict[str, Any]:
    """``meta`` overlaid with ``config.meta`` (dbt >= 1.10 keeps column meta under config)."""
    meta = node.get("meta")
    config = node.get("config")
    if not config:
        return dict(meta) if meta and isinstance(meta, dict) else {}
    config_meta = config.get("meta") if isinstance(config, dict) else None
    out: dict[str, Any] = dict(meta) if isinstance(meta, dict) else {}
    if isinstance(config_meta, dict) and config_meta:
        out.update(config_meta)
    return out


def merged_tags(node: Mapping[str, Any]) -> tuple[str, ...]:
    """Node tags and ``config.tags``, deduplicated and sorted."""
    tags = node.get("tags")
    config = node.get("config")
    if not tags and not config:
        return ()
    config_tags = config.get("tags") if isinstance(config, dict) else None
    found: set[str] = set()
    for group in (tags, config_tags):
        if isinstance(group, list):
            found.update(str(t) for t in group)
        elif isinstance(group, str):
            found.add(group)
    return tuple(sorted(found)) if found else ()


def config_of(node: Mapping[str, Any]) -> Mapping[str, Any]:
    config = node.get("config")
    return config if isinstance(config, dict) else {}


def text(value: Any) -> str | None:
    """A non-empty string, or None."""
    return value if isinstance(value, str) and value else None


def key_path(section: str, unique_id: str, *rest: str) -> str:
    """JSON path of a node field, e.g. ``$.nodes["model.a.b"].depends_on.nodes``."""
    suffix = "".join(f".{r}" if not r.startswith("[") else r for r in rest)
    return f'$.{section}["{unique_id}"]{suffix}'
