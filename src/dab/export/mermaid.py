"""Mermaid flowchart (``graph LR``), the dialect GitHub, GitLab, Notion and Obsidian render.

Node ids are stable ``n<hash>`` ids (never a reserved word such as ``end``); every label is a
double-quoted string whose special characters are Mermaid entity codes, so text is never read
as syntax. Capsules get one class per layer. Mermaid refuses diagrams over 500 edges or 50,000
characters by default, so the writer stops adding nodes and edges before either limit and says
in a closing comment how many it left out.
"""

from __future__ import annotations

from dab.export._text import one_line
from dab.export.model import Edge, ExportFormat, Node, RenderOptions, stable_id

MAX_EDGES = 500
"""Mermaid's default ``maxEdges``."""
MAX_TEXT = 45_000
"""Below Mermaid's default ``maxTextSize`` (50,000), leaving room for the closing comment."""
NODE_TEXT = 30_000
"""Text the nodes may take, so edges between them still fit."""

_ENTITIES = {
    "#": "#35;",
    '"': "#quot;",
    "<": "#lt;",
    ">": "#gt;",
    "&": "#amp;",
    "`": "#96;",
    "\n": "#10;",
    "\r": "#13;",
    "\t": "#9;",
}
_SHAPES = {
    "Capsule": ('[("', '")]'),
    "Exposure": ('[/"', '"/]'),
    "Column": ('["', '"]'),
    "Domain": ('{{"', '"}}'),
    "Tag": ('>"', '"]'),
    "DataProduct": ('[["', '"]]'),
}
_CLASSES = (
    "  classDef bronze fill:#e8c39e,stroke:#8a5a2b\n"
    "  classDef silver fill:#e4e4e4,stroke:#7a7a7a\n"
    "  classDef gold fill:#f5d76e,stroke:#9a7d0a\n"
    "  classDef unknown fill:#ffffff,stroke:#999999\n"
    "  classDef exposure fill:#d6eaf8,stroke:#2e86c1\n"
    "  classDef column fill:#fafafa,stroke:#cccccc\n"
    "  classDef domain fill:#e8daef,stroke:#7d3c98\n"
    "  classDef tag fill:#d5f5e3,stroke:#1e8449\n"
    "  classDef product fill:#fdebd0,stroke:#ca6f1e\n"
)
_NODE_CLASS = {
    "Exposure": "exposure",
    "Column": "column",
    "Domain": "domain",
    "Tag": "tag",
    "DataProduct": "product",
}


def label(text: str) -> str:
    """A quoted Mermaid label that shows ``text`` as written.

    Example:
        >>> label('say "end" <b>')
        '"say #quot;end#quot; #lt;b#gt;"'
    """
    return '"' + "".join(_ENTITIES.get(char, char) for char in text) + '"'


class MermaidWriter:
    def __init__(self, options: RenderOptions) -> None:
        self._title = options.title
        self._size = 0
        self._shown: set[str] = set()
        self._edges = 0
        self._left_nodes = 0
        self._left_edges = 0

    def _emit(self, line: str, budget: int) -> bool:
        if self._size + len(line) > budget:
            return False
        self._size += len(line)
        return True

    def start(self) -> str:
        head = f"%% {one_line(self._title)}\ngraph LR\n{_CLASSES}"
        self._size += len(head)
        return head

    def node(self, node: Node) -> str:
        if self._left_nodes:  # full: once a node did not fit, no later one is shown either
            self._left_nodes += 1
            return ""
        opening, closing = _SHAPES.get(node.label, ('["', '"]'))
        text = label(str(node.props.get("name", node.urn)))[1:-1]
        klass = _NODE_CLASS.get(node.label) or str(node.props.get("layer") or "unknown")
        line = f"  {stable_id(node.urn)}{opening}{text}{closing}:::{klass}\n"
        if not self._emit(line, NODE_TEXT):
            self._left_nodes += 1
            return ""
        self._shown.add(node.urn)
        return line

    def edge(self, edge: Edge) -> str:
        if self._edges >= MAX_EDGES or edge.source not in self._shown or edge.target not in self._shown:
            self._left_edges += 1
            return ""
        arrow = "-->" if edge.type == "FLOWS_TO" else "-.->"
        line = f"  {stable_id(edge.source)} {arrow}|{edge.type}| {stable_id(edge.target)}\n"
        if not self._emit(line, MAX_TEXT):
            self._left_edges += 1
            return ""
        self._edges += 1
        return line

    def finish(self) -> str:
        if not (self._left_nodes or self._left_edges):
            return ""
        return (
            f"  %% left out {self._left_nodes} nodes and {self._left_edges} edges: Mermaid renders at most"
            f" {MAX_EDGES} edges and 50000 characters; export GraphML or DOT for the whole graph\n"
        )


FORMAT = ExportFormat(
    name="mermaid",
    extension="mmd",
    media_type="text/vnd.mermaid",
    description="Mermaid flowchart with a class per layer (GitHub, GitLab, Notion, Obsidian)",
    writer=MermaidWriter,
)
