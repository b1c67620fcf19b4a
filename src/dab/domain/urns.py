"""URNs: the identity of every node in the graph (DESIGN.md §3).

Reserved characters inside one component (``:`` ``.`` ``%`` ``/`` and whitespace) are
percent-encoded, so a URN always splits back into the components it was built from.

Example:
    >>> urn = capsule_urn("dbt", "source", "shop", ("raw", "orders.v1"))
    >>> urn
    'urn:dab:dbt:source:shop:raw.orders%2Ev1'
    >>> parse_capsule_urn(urn).name_parts
    ('raw', 'orders.v1')
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dab.errors import InvalidInput

_RESERVED = re.compile(r"[:.%/\s]")
_ESCAPE_RUN = re.compile(r"(?:%[0-9A-Fa-f]{2})+")


def encode_component(value: str) -> str:
    """Percent-encode the characters that separate URN components."""

    def _encode(match: re.Match[str]) -> str:
        return "".join(f"%{byte:02X}" for byte in match.group(0).encode("utf-8"))

    return _RESERVED.sub(_encode, value)


def decode_component(value: str) -> str:
    """Undo ``encode_component``: each run of ``%XX`` escapes is one UTF-8 byte sequence."""
    return _ESCAPE_RUN.sub(
        lambda m: bytes.fromhex(m.group(0).replace("%", "")).decode("utf-8", errors="replace"), value
    )


@dataclass(frozen=True, slots=True)
class CapsuleUrn:
    source: str
    capsule_type: str
    namespace: str
    name_parts: tuple[str, ...]

    @property
    def name(self) -> str:
        return ".".join(self.name_parts)

    def __str__(self) -> str:
        return capsule_urn(self.source, self.capsule_type, self.namespace, self.name_parts)


@dataclass(frozen=True, slots=True)
class ColumnUrn:
    source: str
    namespace: str
    capsule_name_parts: tuple[str, ...]
    column: str

    def __str__(self) -> str:
        return column_urn(self.source, self.namespace, self.capsule_name_parts, self.column)


def _name(parts: tuple[str, ...]) -> str:
    return ".".join(encode_component(p) for p in parts)


def capsule_urn(source: str, capsule_type: str, namespace: str, name_parts: tuple[str, ...]) -> str:
    head = ":".join(encode_component(c) for c in (source, capsule_type, namespace))
    return f"urn:dab:{head}:{_name(name_parts)}"


def column_urn(source: str, namespace: str, capsule_name_parts: tuple[str, ...], column: str) -> str:
    head = f"{encode_component(source)}:column:{encode_component(namespace)}"
    return f"urn:dab:{head}:{_name(capsule_name_parts)}.{encode_component(column)}"


def test_urn(source: str, namespace: str, name: str) -> str:
    return capsule_urn(source, "test", namespace, (name,))


def domain_urn(name: str) -> str:
    return f"urn:dab:domain:{encode_component(name)}"


def tag_urn(category: str, name: str) -> str:
    return f"urn:dab:tag:{encode_component(category)}:{encode_component(name)}"


def product_urn(name: str) -> str:
    return f"urn:dab:product:{encode_component(name)}"


def _split(urn: str, expected: int, kind: str) -> list[str]:
    parts = urn.split(":")
    if len(parts) != expected or parts[:2] != ["urn", "dab"] or not all(parts):
        raise InvalidInput(f"not a {kind} URN: {urn!r}", location="urn")
    return parts


def parse_capsule_urn(urn: str) -> CapsuleUrn:
    _, _, source, capsule_type, namespace, name = _split(urn, 6, "capsule")
    if capsule_type == "column":
        raise InvalidInput(f"not a capsule URN: {urn!r}", location="urn")
    return CapsuleUrn(
        decode_component(source),
        decode_component(capsule_type),
        decode_component(namespace),
        tuple(decode_component(p) for p in name.split(".")),
    )


def parse_column_urn(urn: str) -> ColumnUrn:
    _, _, source, kind, namespace, name = _split(urn, 6, "column")
    parts = name.split(".")
    if kind != "column" or len(parts) < 2:
        raise InvalidInput(f"not a column URN: {urn!r}", location="urn")
    return ColumnUrn(
        decode_component(source),
        decode_component(namespace),
        tuple(decode_component(p) for p in parts[:-1]),
        decode_component(parts[-1]),
    )


def column_capsule_name(urn: str) -> str:
    """The dotted capsule name part of a column URN (``customers`` for ``...:customers.id``)."""
    return parse_column_urn(urn).capsule_name_parts[-1]


def column_urn_of(capsule: str, column: str) -> str:
    """The URN of column ``column`` of the capsule with URN ``capsule`` (any source).

    Example:
        >>> column_urn_of("urn:dab:dbt:source:shop:raw.orders", "id")
        'urn:dab:dbt:column:shop:raw.orders.id'
    """
    parsed = parse_capsule_urn(capsule)
    return column_urn(parsed.source, parsed.namespace, parsed.name_parts, column)
