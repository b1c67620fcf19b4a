"""Columns: the manifest's documentation merged with the catalog's types and order."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
from types import MappingProxyType
from typing import Any

from dab.domain.column import Column
from dab.domain.urns import column_urn, encode_component
from dab.ingest.dbt._catalog import CatalogColumn, CatalogColumns, by_lowered_name
from dab.ingest.dbt._common import merged_meta, merged_tags
from dab.ingest.dbt._load import MANIFEST
from dab.ingest.dbt.redact import redact_meta

_SENSITIVE = frozenset({"pii", "sensitive", "confidential", "restricted", "secret", "high", "personal"})
_FALSE_STRINGS = frozenset({"false", "no", "0", "off", ""})


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() not in _FALSE_STRINGS
    return bool(value)


def _tag_pii(tags: Iterable[str]) -> tuple[bool, str | None]:
    flagged = False
    for tag in tags:
        lowered = tag.lower()
        if lowered.startswith("pii:") and len(lowered) > 4:
            return True, lowered[4:]
        flagged = flagged or lowered == "pii"
    return flagged, None


def pii_type_of(meta: Mapping[str, Any], tags: Iterable[str]) -> str | None:
    """The PII type the metadata declares for a column, ``"unknown"`` if only flagged, else None.

    Example:
        >>> pii_type_of({"pii": True}, []), pii_type_of({}, ["pii:email"])
        ('unknown', 'email')
        >>> pii_type_of({"pii": False}, ["pii"]) is None
        True
    """
    pii = meta.get("pii")
    if pii is not None and not _truthy(pii):
        return None
    declared = meta.get("pii_type")
    tag_flag, tag_type = _tag_pii(tags)
    if isinstance(declared, str) and declared.strip():
        return declared.strip().lower()
    if tag_type:
        return tag_type
    sensitivity = meta.get("sensitivity")
    sensitive = isinstance(sensitivity, str) and sensitivity.strip().lower() in _SENSITIVE
    if (pii is not None) or _truthy(meta.get("contains_pii", False)) or sensitive or tag_flag:
        return "unknown"
    return None


def _is_masked(meta: Mapping[str, Any]) -> bool:
    return _truthy(meta.get("masked", False)) or _truthy(meta.get("masking", False))


def _constraints(raw: Any) -> tuple[Mapping[str, Any], ...]:
    if not isinstance(raw, list):
        return ()
    return tuple(c for c in raw if isinstance(c, dict))


def build_columns(
    capsule_urn: str,
    namespace: str,
    name_parts: tuple[str, ...],
    manifest_columns: Mapping[str, Any] | None,
    catalog_columns: Mapping[str, Any] | None,
    shared: dict[str, str] | None = None,
) -> list[Column]:
    """Union of manifest and catalog columns, matched case-insensitively (manifest name kept).

    ``shared``: one string per distinct value for the whole parse (names, types, descriptions
    repeat across capsules; the JSON's own copies are then released with the documents).
    """
    if shared is None:
        shared = {}
    catalog = (
        catalog_columns
        if isinstance(catalog_columns, CatalogColumns)
        else by_lowered_name(catalog_columns or _EMPTY, shared)
    )
    # Every column URN of a capsule shares this prefix (computed once: this is the hot loop).
    prefix = column_urn("dbt", namespace, name_parts, "")
    out: list[Column] = []
    seen: set[str] = set()
    for position, (key, raw) in enumerate((manifest_columns or {}).items(), start=1):
        if not isinstance(raw, dict):
            continue
        name = str(raw.get("name") or key)
        lowered = name.lower()
        if lowered in seen:
            continue
        seen.add(lowered)
        cat = catalog.get(lowered)
        ordinal = (cat.ordinal if cat else None) if catalog_columns is not None else position
        out.append(_column(prefix, capsule_urn, name, raw, cat, ordinal, shared))
    for lowered, cat in catalog.items():
        if lowered not in seen:
            seen.add(lowered)
            name = str(cat.name or lowered)
            out.append(_column(prefix, capsule_urn, name, _EMPTY, cat, cat.ordinal, shared))
    return out


_EMPTY: Mapping[str, Any] = MappingProxyType({})
"""Shared by every column without meta or stats: a dict each was ~128 bytes per column."""


@lru_cache(maxsize=65536)
def _encoded(name: str) -> str:
    return encode_component(name)


def _one(shared: dict[str, str], value: Any) -> Any:
    """The parse's one copy of a string (any other value as it is)."""
    return shared.setdefault(value, value) if type(value) is str else value


def _column(
    prefix: str,
    capsule_urn: str,
    name: str,
    raw: Mapping[str, Any],
    cat: CatalogColumn | None,
    ordinal: int | None,
    shared: dict[str, str],
) -> Column:
    meta: Mapping[str, Any] = _EMPTY
    tags: tuple[str, ...] = ()
    if raw.get("meta") or raw.get("config") or raw.get("tags"):
        merged = merged_meta(raw)
        if merged:
            meta = redact_meta(merged, MANIFEST, f"$..columns[{raw.get('name')!r}].meta")
        tags = merged_tags(raw)
    if cat:  # a column of {} in the catalog reads as all None: the same as no catalog column
        data_type = cat.data_type or raw.get("data_type")
        stats = cat.stats
        description = raw.get("description") or cat.comment
    else:
        data_type, stats, description = raw.get("data_type"), None, raw.get("description")
    constraints = raw.get("constraints")
    flagged = bool(meta or tags)
    return Column(
        urn=prefix + _encoded(name),
        capsule_urn=capsule_urn,
        name=_one(shared, name),
        description=_one(shared, description) if description else None,
        data_type=_one(shared, str(data_type)) if data_type else None,
        ordinal=ordinal,
        meta=meta,
        tags=tags,
        constraints=_constraints(constraints) if constraints else (),
        stats=stats if isinstance(stats, dict) and stats else _EMPTY,
        pii_type=pii_type_of(meta, tags) if flagged else None,
        is_masked=_is_masked(meta) if meta else False,
    )
