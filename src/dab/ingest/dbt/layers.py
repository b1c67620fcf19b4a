"""Layer (bronze/silver/gold) and domain inference rules; configurable from a YAML mapping."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from dab.domain.capsule import Inference, Layer
from dab.errors import InvalidInput

_LAYERS = {layer.value: layer for layer in Layer if layer is not Layer.UNKNOWN}


def _default_folders() -> dict[str, Layer]:
    return _invert(
        {
            Layer.BRONZE: ("staging", "base", "raw", "bronze"),
            Layer.SILVER: ("intermediate", "silver"),
            Layer.GOLD: ("marts", "mart", "gold", "reporting", "presentation"),
        }
    )


def _default_prefixes() -> tuple[tuple[str, Layer], ...]:
    table = {
        Layer.BRONZE: ("raw_", "src_", "base_", "stg_"),
        Layer.SILVER: ("int_",),
        Layer.GOLD: ("dim_", "fct_", "fact_", "mart_", "rpt_", "agg_"),
    }
    return tuple((prefix, layer) for layer, prefixes in table.items() for prefix in prefixes)


def _default_tags() -> dict[str, Layer]:
    return dict(_LAYERS)


def _invert(table: Mapping[Layer, Iterable[str]]) -> dict[str, Layer]:
    return {name.lower(): layer for layer, names in table.items() for name in names}


@dataclass(frozen=True, slots=True)
class LayerRules:
    """How layers and domains are inferred; the defaults follow DESIGN.md §4.

    ``from_mapping`` reads the YAML form (each key optional, replacing that default)::

        folders: {bronze: [staging, raw], silver: [intermediate], gold: [marts]}
        prefixes: {bronze: [stg_], silver: [int_], gold: [fct_, dim_]}
        tags: {bronze: [bronze], silver: [silver], gold: [gold]}
        types: {source: bronze, seed: bronze}
        domain_folders: [marts]
    """

    folders: Mapping[str, Layer] = field(default_factory=_default_folders)
    prefixes: tuple[tuple[str, Layer], ...] = field(default_factory=_default_prefixes)
    tags: Mapping[str, Layer] = field(default_factory=_default_tags)
    types: Mapping[str, Layer] = field(default_factory=lambda: {"source": Layer.BRONZE, "seed": Layer.BRONZE})
    domain_folders: tuple[str, ...] = ("marts", "mart")

    @classmethod
    def from_mapping(cls, config: Mapping[str, Any]) -> LayerRules:
        """Build rules from a YAML-loaded mapping; unknown keys or layers raise InvalidInput."""
        unknown = set(config) - {"folders", "prefixes", "tags", "types", "domain_folders"}
        if unknown:
            raise InvalidInput(f"unknown layer rule keys: {sorted(unknown)}", location="layer_rules")
        defaults = cls()
        prefixes = defaults.prefixes
        if "prefixes" in config:
            table = _layer_table(config["prefixes"], "prefixes")
            prefixes = tuple((p, layer) for layer, names in table.items() for p in names)
        return cls(
            folders=_invert(_layer_table(config["folders"], "folders"))
            if "folders" in config
            else defaults.folders,
            prefixes=prefixes,
            tags=_invert(_layer_table(config["tags"], "tags")) if "tags" in config else defaults.tags,
            types={str(k): _layer(v, "types") for k, v in _mapping(config["types"], "types").items()}
            if "types" in config
            else defaults.types,
            domain_folders=tuple(str(f).lower() for f in _strings(config["domain_folders"], "domain_folders"))
            if "domain_folders" in config
            else defaults.domain_folders,
        )

    def infer_layer(
        self, *, resource_type: str, name: str, meta: Mapping[str, Any], tags: Iterable[str], path: str | None
    ) -> Inference:
        """First hit wins: meta.layer, tags, folder, name prefix, resource type."""
        if resource_type == "exposure":
            return Inference(Layer.UNKNOWN.value)
        found = (
            _from_meta(meta)
            or self._from_tags(tags)
            or self._from_folder(path)
            or self._from_prefix(name)
            or self._from_type(resource_type)
        )
        return found or Inference(Layer.UNKNOWN.value)

    def _from_tags(self, tags: Iterable[str]) -> Inference | None:
        for tag in tags:
            lowered = tag.lower()
            if lowered.startswith("layer:") and lowered[6:] in _LAYERS:
                return Inference(lowered[6:], f"tag:{tag}")
            if lowered in self.tags:
                return Inference(self.tags[lowered].value, f"tag:{tag}")
        return None

    def _from_folder(self, path: str | None) -> Inference | None:
        for segment in folders_of(path):
            layer = self.folders.get(segment.lower())
            if layer is not None:
                return Inference(layer.value, f"folder:{segment}")
        return None

    def _from_prefix(self, name: str) -> Inference | None:
        lowered = name.lower()
        for prefix, layer in self.prefixes:
            if lowered.startswith(prefix):
                return Inference(layer.value, f"prefix:{prefix}")
        return None

    def _from_type(self, resource_type: str) -> Inference | None:
        layer = self.types.get(resource_type)
        return Inference(layer.value, f"type:{resource_type}") if layer is not None else None

    def infer_domain(self, *, meta: Mapping[str, Any], tags: Iterable[str], path: str | None) -> Inference:
        """``meta.domain`` -> ``domain:<x>`` tag -> sub-folder of a marts folder -> none."""
        domain = meta.get("domain")
        if isinstance(domain, str) and domain.strip():
            return Inference(domain.strip(), "meta.domain")
        for tag in tags:
            if tag.lower().startswith("domain:") and len(tag) > 7:
                return Inference(tag[7:], f"tag:{tag}")
        segments = folders_of(path)
        for index, segment in enumerate(segments[:-1]):
            if segment.lower() in self.domain_folders:
                sub = segments[index + 1]
                return Inference(sub, f"folder:{segment}/{sub}")
        return Inference(None)


def _from_meta(meta: Mapping[str, Any]) -> Inference | None:
    value = meta.get("layer")
    if isinstance(value, str) and value.strip().lower() in _LAYERS:
        return Inference(value.strip().lower(), "meta.layer")
    return None


def folders_of(path: str | None) -> list[str]:
    """The directory segments of a project-relative file path (the file name dropped)."""
    if not path:
        return []
    return [s for s in path.replace("\\", "/").split("/")[:-1] if s]


def _mapping(value: Any, key: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise InvalidInput(f"layer rules: {key} must be a mapping", location=f"layer_rules.{key}")
    return value


def _strings(value: Any, key: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise InvalidInput(f"layer rules: {key} must be a list of strings", location=f"layer_rules.{key}")
    return list(value)


def _layer(value: Any, key: str) -> Layer:
    layer = _LAYERS.get(str(value).lower())
    if layer is None:
        raise InvalidInput(f"layer rules: unknown layer {value!r} in {key}", location=f"layer_rules.{key}")
    return layer


def _layer_table(value: Any, key: str) -> dict[Layer, list[str]]:
    return {
        _layer(layer, key): [s.lower() for s in _strings(v, key)] for layer, v in _mapping(value, key).items()
    }
