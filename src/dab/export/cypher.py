"""Cypher: uniqueness constraints first, then idempotent ``UNWIND [...] AS row MERGE`` batches.

Every statement ends with ``;`` at the end of its last line, and no value ever contains a raw
line break (strings are single-quoted with backslash escapes), so a file splits into statements
at lines ending in ``;``. Running the file twice creates nothing new: nodes are merged on their
URN, relationships on their two ends. ``CREATE CONSTRAINT`` lines are Neo4j 5 syntax; other
openCypher engines (Memgraph, FalkorDB) load the rest when those lines are skipped.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from dab.export._text import one_line
from dab.export.model import NODE_LABELS, Edge, ExportFormat, Node, RenderOptions, Value

BATCH = 500
_ESCAPES = {c: f"\\u{c:04x}" for c in range(0x20)} | {
    ord("\\"): "\\\\",
    ord("'"): "\\'",
    ord("\n"): "\\n",
    ord("\r"): "\\r",
    ord("\t"): "\\t",
}
_PLAIN = re.compile("[^\\\\'\x00-\x1f]*")


def literal(value: Value) -> str:
    """A Cypher literal that reads back as ``value``.

    Example:
        >>> print(literal("it's\\n"))
        'it\\'s\\n'
        >>> literal(3)
        '3'
    """
    if isinstance(value, int):
        return str(value)
    if _PLAIN.fullmatch(value):
        return f"'{value}'"
    return "'" + value.translate(_ESCAPES) + "'"


def map_literal(props: Mapping[str, Value]) -> str:
    return "{" + ", ".join(f"{key}: {literal(value)}" for key, value in props.items()) + "}"


class CypherWriter:
    def __init__(self, options: RenderOptions) -> None:
        self._title = options.title
        self._key: tuple[str, ...] | None = None
        self._rows: list[str] = []

    def start(self) -> str:
        lines = [
            f"// {one_line(self._title)}: idempotent Cypher (MERGE on urn).",
            "// One statement per ';'-terminated line group. CREATE CONSTRAINT is Neo4j 5 syntax:",
            "// skip those lines for Memgraph or FalkorDB.",
        ]
        lines += [
            f"CREATE CONSTRAINT dab_{label.lower()}_urn IF NOT EXISTS"
            f" FOR (n:{label}) REQUIRE n.urn IS UNIQUE;"
            for label in NODE_LABELS
        ]
        return "\n".join(lines) + "\n"

    def _add(self, key: tuple[str, ...], row: str) -> str:
        flushed = self._flush() if key != self._key or len(self._rows) >= BATCH else ""
        self._key = key
        self._rows.append(row)
        return flushed

    def _flush(self) -> str:
        if not self._rows or self._key is None:
            return ""
        rows, key = self._rows, self._key
        self._rows = []
        head = "UNWIND [\n" + ",\n".join(rows) + "\n] AS row\n"
        if len(key) == 1:
            return f"{head}MERGE (n:{key[0]} {{urn: row.urn}}) SET n += row;\n"
        kind, source, target = key
        return (
            f"{head}MATCH (a:{source} {{urn: row.s}}) MATCH (b:{target} {{urn: row.t}})\n"
            f"MERGE (a)-[r:{kind}]->(b) SET r += row.p;\n"
        )

    def node(self, node: Node) -> str:
        return self._add((node.label,), map_literal({"urn": node.urn, **node.props}))

    def edge(self, edge: Edge) -> str:
        row = f"{{s: {literal(edge.source)}, t: {literal(edge.target)}, p: {map_literal(edge.props)}}}"
        return self._add((edge.type, edge.source_label, edge.target_label), row)

    def finish(self) -> str:
        return self._flush()


FORMAT = ExportFormat(
    name="cypher",
    extension="cypher",
    media_type="application/x-cypher-query",
    description="Idempotent Cypher MERGE batches (Neo4j cypher-shell, Memgraph, FalkorDB)",
    writer=CypherWriter,
)
