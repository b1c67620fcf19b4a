"""Graphviz DOT: node ids are stable ``n<hash>`` ids, the URN is each node's ``id`` attribute
(carried into SVG output) and every text is a double-quoted, escaped string.

Capsules can be grouped into one cluster per layer or per domain. Clusters are written as runs of
consecutive nodes; Graphviz merges subgraphs of the same name, so the order of nodes in the
stream does not matter.
"""

from __future__ import annotations

from dab.export.model import Edge, ExportFormat, Node, RenderOptions, stable_id

_SHAPES = {
    "Capsule": "box",
    "Exposure": "house",
    "Column": "plaintext",
    "Domain": "folder",
    "Tag": "note",
    "DataProduct": "component",
}
_LAYER_COLOURS = {"bronze": "#e8c39e", "silver": "#dcdcdc", "gold": "#f5d76e"}


def quoted(text: str) -> str:
    """A DOT string that renders as ``text`` (labels and ids are escString: backslash escapes).

    Example:
        >>> print(quoted('say "hi"\\\\'))
        "say \\"hi\\"\\\\"
    """
    text = text.replace("\\", "\\\\").replace('"', '\\"')
    text = text.replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n")
    return f'"{text}"'


class DotWriter:
    def __init__(self, options: RenderOptions) -> None:
        self._cluster_by = options.cluster
        self._title = options.title
        self._open: str | None = None

    def start(self) -> str:
        return (
            f"digraph dab {{\n  label={quoted(self._title)};\n  rankdir=LR;\n"
            '  node [fontname="Helvetica", fontsize=10];\n  edge [fontname="Helvetica", fontsize=8];\n'
        )

    def _cluster(self, node: Node) -> str:
        """Close or open the cluster this node belongs to ('' when nothing changes)."""
        key = None
        if self._cluster_by and node.label in ("Capsule", "Exposure"):
            key = str(node.props.get(self._cluster_by) or "unknown")
        if key == self._open:
            return ""
        text = "  }\n" if self._open is not None else ""
        self._open = key
        if key is not None:
            text += f"  subgraph cluster_{stable_id(key)} {{\n    label={quoted(key)};\n"
        return text

    def node(self, node: Node) -> str:
        attrs = [
            f"id={quoted(node.urn)}",
            f"label={quoted(str(node.props.get('name', node.urn)))}",
            f"shape={_SHAPES.get(node.label, 'ellipse')}",
            f"tooltip={quoted(node.urn)}",
        ]
        colour = _LAYER_COLOURS.get(str(node.props.get("layer")))
        if colour:
            attrs.append(f'style=filled, fillcolor="{colour}"')
        return f"{self._cluster(node)}  {stable_id(node.urn)} [{', '.join(attrs)}];\n"

    def edge(self, edge: Edge) -> str:
        closing = ""
        if self._open is not None:
            closing, self._open = "  }\n", None
        label = edge.type
        for key in ("transformation", "role"):
            if key in edge.props:
                label += f" ({edge.props[key]})"
        style = "" if edge.type == "FLOWS_TO" else ", style=dashed"
        return (
            f"{closing}  {stable_id(edge.source)} -> {stable_id(edge.target)}"
            f" [label={quoted(label)}{style}];\n"
        )

    def finish(self) -> str:
        return ("  }\n" if self._open is not None else "") + "}\n"


FORMAT = ExportFormat(
    name="dot",
    extension="dot",
    media_type="text/vnd.graphviz",
    description="Graphviz DOT, optionally clustered by layer or domain (dot, VS Code previews)",
    writer=DotWriter,
)
