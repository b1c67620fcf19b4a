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
