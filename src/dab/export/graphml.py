"""GraphML: typed ``<key>`` declarations for every property, node ids are URNs.

Loads in NetworkX (``read_graphml``), yEd, Gephi and Cytoscape. Each node also carries a
``label`` (its name, what Gephi and yEd show) and ``kind`` (Capsule, Column, ...); each edge a
``type`` (FLOWS_TO, ...).
"""

from __future__ import annotations

from collections.abc import Mapping

from dab.export._text import xml_text
from dab.export.model import EDGE_PROPERTIES, NODE_PROPERTIES, Edge, ExportFormat, Node, RenderOptions, Value

_NODE_KEYS = (("kind", "string"), ("label", "string"), *((k, t) for k, t in NODE_PROPERTIES if k != "urn"))
_EDGE_KEYS = (("type", "string"), *EDGE_PROPERTIES)


def _key_lines() -> str:
    lines = [
        f'  <key id="n_{name}" for="node" attr.name="{name}" attr.type="{kind}"/>\n'
        for name, kind in _NODE_KEYS
    ]
    lines += [
        f'  <key id="e_{name}" for="edge" attr.name="{name}" attr.type="{kind}"/>\n'
        for name, kind in _EDGE_KEYS
    ]
    return "".join(lines)


def _data(prefix: str, props: Mapping[str, Value]) -> str:
    return "".join(
        f'      <data key="{prefix}_{key}">{xml_text(str(value))}</data>\n' for key, value in props.items()
    )


class GraphMLWriter:
    def __init__(self, options: RenderOptions) -> None:
        self._title = options.title
        self._edges = 0

    def start(self) -> str:
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<graphml xmlns="http://graphml.graphdrawing.org/xmlns"'
            ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
            ' xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns'
            ' http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">\n'
            f"{_key_lines()}"
            f'  <graph id="{xml_text(self._title, attribute=True)}" edgedefault="directed">\n'
        )

    def node(self, node: Node) -> str:
        props = {"kind": node.label, "label": node.props.get("name", node.urn), **node.props}
        props.pop("urn", None)
        return f'    <node id="{xml_text(node.urn, attribute=True)}">\n{_data("n", props)}    </node>\n'

    def edge(self, edge: Edge) -> str:
        self._edges += 1
        source, target = xml_text(edge.source, attribute=True), xml_text(edge.target, attribute=True)
        props = {"type": edge.type, **edge.props}
        return (
            f'    <edge id="e{self._edges}" source="{source}" target="{target}">\n'
            f"{_data('e', props)}    </edge>\n"
        )

    def finish(self) -> str:
        return "  </graph>\n</graphml>\n"


FORMAT = ExportFormat(
    name="graphml",
    extension="graphml",
    media_type="application/graphml+xml",
    description="GraphML with typed keys for every property (yEd, Gephi, Cytoscape, NetworkX)",
    writer=GraphMLWriter,
)
