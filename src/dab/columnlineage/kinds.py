"""How a source column's value reaches an output column: the edge kinds and how they compose.

Ranked by how much of the source value survives (lowest first); a path takes the kind of its
strongest hop, except that a filter/join hop makes the whole path row-only.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlglot import exp

from dab.domain.lineage import TransformationKind as Kind

RANK = {Kind.IDENTITY: 0, Kind.TRANSFORMATION: 1, Kind.MASKING: 2, Kind.AGGREGATION: 3, Kind.FILTER: 4}

MASKING_FUNCTIONS = frozenset(
    {
        "md5", "sha", "sha1", "sha2", "sha256", "sha512", "hash", "farm_fingerprint", "mask",
        "mask_inner", "mask_outer", "mask_first_n", "mask_last_n", "mask_hash", "redact",
        "encrypt", "aes_encrypt", "pgp_sym_encrypt", "tokenize", "hmac", "xxhash64", "crc32",
        "left", "right", "substr", "substring",
    }
)  # fmt: skip
"""Function names (lower case) whose result reveals at most a masked or partial value."""

# Aggregates whose result is one of the input values: the value itself survives them.
VALUE_PRESERVING_AGGREGATES = frozenset({"min", "max", "any_value", "first", "last", "arbitrary"})


def function_name(node: exp.Expr) -> str:
    if isinstance(node, exp.Anonymous):
        return str(node.name).lower()
    name = node.sql_name() if isinstance(node, exp.Func) else node.key
    return name.lower()


def combine(first: Kind, second: Kind) -> Kind:
    """The kind of a path made of two hops."""
    return first if RANK[first] >= RANK[second] else second


def strongest(kinds: Iterable[Kind]) -> Kind:
    out = Kind.IDENTITY
    for kind in kinds:
        out = combine(out, kind)
    return out


def _is_masking(node: exp.Expr, masking: frozenset[str]) -> bool:
    name = function_name(node)
    if name in ("left", "right", "substr", "substring"):
        return True  # partial reveals: left(x, n), right(x, n), substr(x, a, n)
    if isinstance(node, exp.SHA2 | exp.MD5 | exp.SHA | exp.MD5Digest):
        return True
    return name in masking


def hop_kind(column: exp.Column, projection: exp.Expr, masking: frozenset[str]) -> tuple[Kind, str | None]:
    """Kind of the hop from ``column`` to the projection it appears in, and the masking function."""
    if column is projection:
        return Kind.IDENTITY, None
    kind, function = Kind.IDENTITY, None
    child: exp.Expr = column
    node = column.parent
    while node is not None:
        if isinstance(node, exp.Window) and child is not node.this:
            return Kind.FILTER, None  # PARTITION BY / ORDER BY: decides which rows, not the value
        if isinstance(node, exp.Coalesce | exp.Paren | exp.Alias):
            pass  # the value is one of the inputs, unchanged (also what USING(...) turns into)
        elif isinstance(node, exp.AggFunc) and function_name(node) not in VALUE_PRESERVING_AGGREGATES:
            kind, function = Kind.AGGREGATION, None
        elif isinstance(node, exp.Func) and kind is not Kind.AGGREGATION and _is_masking(node, masking):
            kind, function = Kind.MASKING, function_name(node)
        elif kind is Kind.IDENTITY:
            kind = Kind.TRANSFORMATION
        if node is projection:
            break
        child, node = node, node.parent
    return kind, function
