"""Table keys shared by the SQL walk and the simple-shape resolver."""

from __future__ import annotations

from sqlglot import exp
from sqlglot.dialects.dialect import NormalizationStrategy

FOLDS_TO_LOWER = (NormalizationStrategy.LOWERCASE, NormalizationStrategy.CASE_INSENSITIVE)
"""Dialects whose unquoted names mean their lower case: the catalog's keys are lower case already."""


def table_key(parts: list[str]) -> str:
    return ".".join(p.lower() for p in parts if p)


def table_of(table: exp.Table) -> str:
    return table_key([table.catalog, table.db, table.name])
