"""Relation identity across sources: ``database.schema.table`` compared case-insensitively.

A dbt source/seed/model and an OpenLineage dataset are the same node when they name the same
relation on the same kind of warehouse (DESIGN §3 keeps URNs per source; this is the bridge).

Example:
    >>> relation_key('"Analytics"."RAW".`Orders`')
    'analytics.raw.orders'
    >>> namespace_scheme("postgres://db.example.com:5432")
    'postgres'
    >>> schemes_agree("postgresql", "postgres"), schemes_agree("snowflake", "postgres")
    (True, False)
"""

from __future__ import annotations

from collections.abc import Iterable

_QUOTES = str.maketrans("", "", '"`')

_ALIASES = {"postgresql": "postgres", "mssql": "sqlserver", "awsathena": "athena", "s3a": "s3"}
"""OpenLineage namespace schemes and dbt adapter types that name the same engine."""


def relation_key(relation: str | None) -> str | None:
    """Quotes stripped, lower-cased; None for nothing. The stored ``capsule.relation_key``."""
    if not relation:
        return None
    return relation.translate(_QUOTES).strip().lower() or None


def namespace_scheme(namespace: str) -> str:
    """The engine part of an OpenLineage namespace (``scheme://authority``), lower-cased."""
    scheme = namespace.split("://", 1)[0] if "://" in namespace else namespace
    return _ALIASES.get(scheme.lower(), scheme.lower())


def schemes_agree(adapter_type: str | None, scheme: str) -> bool:
    """True when a dbt adapter and an OpenLineage namespace scheme name the same engine.

    An adapter that is unknown (artifacts without metadata) agrees with any scheme.
    """
    if not adapter_type:
        return True
    return _ALIASES.get(adapter_type.lower(), adapter_type.lower()) == _ALIASES.get(scheme, scheme)


def source_aliases(database: str | None, schema: str | None, name: str) -> list[str]:
    """Names an integration may give a dbt source instead of its relation, as keys. ``name`` is
    the source capsule's ``<source name>.<table name>``: dbt-ol names a source
    ``database.schema.<table name>`` (not its ``identifier``), some producers use ``name`` itself.
    Matched only where exactly one source has the key (``unique_aliases``).

    Example:
        >>> source_aliases("jaffle_shop", "raw", "jaffle_shop.customers")
        ['jaffle_shop.raw.customers', 'jaffle_shop.customers']
    """
    table = name.rsplit(".", 1)[-1]
    keys = [relation_key(f"{database}.{schema}.{table}")] if database and schema else []
    keys.append(relation_key(name))
    return [key for key in keys if key]


def alias_lookup(keys: Iterable[str]) -> tuple[set[str], set[str]]:
    """What to read to resolve alias ``keys``: source names (two-part keys) and schemas (the
    middle of three-part keys).

    Example:
        >>> alias_lookup(["db.raw.customers", "shop.orders", "a.b.c.d"])
        ({'shop.orders'}, {'raw'})
    """
    names, schemas = set(), set()
    for key in keys:
        parts = key.split(".")
        if len(parts) == 2:
            names.add(key)
        elif len(parts) == 3:
            schemas.add(parts[1])
    return names, schemas


def unique_aliases(sources: list[tuple[str, list[str]]]) -> dict[str, str]:
    """Alias key -> the one source (URN) it names; keys naming several sources are dropped.

    Example:
        >>> unique_aliases([("a", ["x.y.t", "s.t"]), ("b", ["x.z.t", "s.t"])])
        {'x.y.t': 'a', 'x.z.t': 'b'}
    """
    owners: dict[str, set[str]] = {}
    for urn, keys in sources:
        for key in keys:
            owners.setdefault(key, set()).add(urn)
    return {key: next(iter(urns)) for key, urns in sorted(owners.items()) if len(urns) == 1}
