// A lineage DAG as SVG: dagre lays it out left to right; pan with drag or arrow keys, zoom with
// the wheel, +/- keys or the buttons. Each node is an SVG link carrying its URN in data-urn.

import { h, s } from "./dom.js";

export const MAX_NODES = 500; // beyond this the farthest nodes are left out (and the page says so)
const NODE_HEIGHT = 42;
const CHAR_WIDTH = 7;
const LABEL_MAX = 32;

function clip(text, max = LABEL_MAX) {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/**
 * Keep the root and the nodes nearest to it, at most `limit`; say what was left out.
 * Returns {nodes, edges, omitted: [{distance, count}], total}.
 */
export function limitGraph(graph, limit = MAX_NODES) {
  const total = graph.nodes.length;
  if (total <= limit) return { nodes: graph.nodes, edges: graph.edges, omitted: [], total };
  const ranked = [...graph.nodes].sort(
    (a, b) => Math.abs(a.distance) - Math.abs(b.distance) || (a.name || a.urn).localeCompare(b.name || b.urn),
  );
  const kept = ranked.slice(0, limit);
  const keep = new Set(kept.map((node) => node.urn));
  const byDistance = new Map();
  for (const node of ranked.slice(limit)) byDistance.set(node.distance, (byDistance.get(node.distance) || 0) + 1);
  const omitted = [...byDistance.entries()].sort((a, b) => a[0] - b[0]).map(([distance, count]) => ({ distance, count }));
  const edges = graph.edges.filter((edge) => keep.has(edge.source) && keep.has(edge.target));
  return { nodes: kept, edges, omitted, total };
}

function layout(nodes, edges, label, subtitle) {
  const g = new dagre.graphlib.Graph({ multigraph: true });
  g.setGraph({ rankdir: "LR", nodesep: 12, ranksep: 70, edgesep: 8, marginx: 24, marginy: 24 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const node of nodes) {
    const text = clip(label(node));
    const sub = clip(subtitle(node), LABEL_MAX + 4);
    const chars = Math.max(text.length, sub.length * 0.85);
    g.setNode(node.urn, { width: Math.max(90, chars * CHAR_WIDTH + 24), height: NODE_HEIGHT, text, sub, node });
  }
  edges.forEach((edge, i) => g.setEdge(edge.source, edge.target, { edge }, `e${i}`));
  dagre.layout(g);
  return g;
}

function edgePath(points) {
  const [first, ...rest] = points;
  return `M${first.x},${first.y} ` + rest.map((p) => `L${p.x},${p.y}`).join(" ");
}

function nodeElement(g, urn, { root, href }) {
  const { x, y, width, height, text, sub, node } = g.node(urn);
  const layer = node.layer || "unknown";
  return s(
    "a",
    {
      href: href(node), class: `node layer-${layer}${urn === root ? " root" : ""}`, "data-urn": urn,
      // The accessible name is the visible text (the leading space below keeps its two lines apart).
      "aria-description": urn === root ? "the starting point" : null,
    },
    s("rect", { x: x - width / 2, y: y - height / 2, width, height }),
    s("text", { x: x - width / 2 + 10, y: y - 3 }, text),
    s("text", { x: x - width / 2 + 10, y: y + 13, class: "sub" }, ` ${sub}`),
  );
}

class Viewport {
  constructor(svg, width, height) {
    this.svg = svg;
    this.full = { x: 0, y: 0, w: Math.max(width, 1), h: Math.max(height, 1) };
    this.fit();
  }

  apply() {
    const { x, y, w, h: ht } = this.box;
    this.svg.setAttribute("viewBox", `${x} ${y} ${w} ${ht}`);
  }

  fit() {
    // The whole drawing, never magnified beyond 1:1 (small graphs stay at their natural size).
    const rect = this.svg.getBoundingClientRect();
    const w = Math.max(this.full.w, rect.width || 0);
    const ht = Math.max(this.full.h, rect.height || 0);
    this.box = { x: this.full.x - (w - this.full.w) / 2, y: this.full.y - (ht - this.full.h) / 2, w, h: ht };
    this.apply();
  }

  /** Natural size (1:1) centred on a point: the first view of a graph too big to read whole. */
  centre(x, y) {
    const rect = this.svg.getBoundingClientRect();
    this.box = { x: x - rect.width / 2, y: y - rect.height / 2, w: rect.width, h: rect.height };
    this.apply();
  }

  /** Fit when the whole graph stays legible (at least 40 % of natural size), else centre on (x, y). */
  initial(x, y) {
    const rect = this.svg.getBoundingClientRect();
    const scale = Math.min(rect.width / this.full.w, rect.height / this.full.h);
    if (scale >= 0.4) this.fit();
    else this.centre(x, y);
  }

  zoom(factor, cx = 0.5, cy = 0.5) {
    const b = this.box;
    const w = Math.min(Math.max(b.w / factor, 40), this.full.w * 4);
    const ht = (w / b.w) * b.h;
    this.box = { x: b.x + (b.w - w) * cx, y: b.y + (b.h - ht) * cy, w, h: ht };
    this.apply();
  }

  pan(dx, dy) {
    this.box.x += dx;
    this.box.y += dy;
    this.apply();
  }

  unitsPerPixel() {
    const rect = this.svg.getBoundingClientRect();
    return Math.max(this.box.w / Math.max(rect.width, 1), this.box.h / Math.max(rect.height, 1));
  }
}

function interactions(svg, view) {
  let drag = null;
  svg.addEventListener("wheel", (event) => {
    event.preventDefault();
    const rect = svg.getBoundingClientRect();
    view.zoom(event.deltaY < 0 ? 1.2 : 1 / 1.2, (event.clientX - rect.left) / rect.width, (event.clientY - rect.top) / rect.height);
  }, { passive: false });
  svg.addEventListener("pointerdown", (event) => {
    drag = { x: event.clientX, y: event.clientY, moved: false };
  });
  svg.addEventListener("pointermove", (event) => {
    if (!drag || !(event.buttons & 1)) return;
    const dx = event.clientX - drag.x;
    const dy = event.clientY - drag.y;
    if (!drag.moved && Math.hypot(dx, dy) < 4) return;
    if (!drag.moved) svg.setPointerCapture(event.pointerId);
    drag.moved = true;
    svg.classList.add("panning");
    const k = view.unitsPerPixel();
    view.pan(-dx * k, -dy * k);
    drag.x = event.clientX;
    drag.y = event.clientY;
  });
  const end = () => svg.classList.remove("panning");
  svg.addEventListener("pointerup", end);
  svg.addEventListener("pointercancel", end);
  // A drag that ends on a node must not open it.
  svg.addEventListener("click", (event) => {
    if (drag?.moved) {
      event.preventDefault();
      event.stopPropagation();
    }
    drag = null;
  }, true);
  svg.addEventListener("keydown", (event) => {
    const step = 60 * view.unitsPerPixel();
    const keys = {
      ArrowLeft: () => view.pan(-step, 0), ArrowRight: () => view.pan(step, 0),
      ArrowUp: () => view.pan(0, -step), ArrowDown: () => view.pan(0, step),
      "+": () => view.zoom(1.25), "=": () => view.zoom(1.25), "-": () => view.zoom(0.8), "0": () => view.fit(),
    };
    if (event.target !== svg && event.key.startsWith("Arrow")) return; // arrows on a node: let links be
    if (!keys[event.key]) return;
    event.preventDefault();
    keys[event.key]();
  });
}

/**
 * Render {nodes, edges} into a new frame element. Options: root (URN), label(node), subtitle(node),
 * href(node), title (accessible name of the drawing).
 */
export function drawGraph(graph, options) {
  const g = layout(graph.nodes, graph.edges, options.label, options.subtitle);
  const { width, height } = g.graph();
  const edgesLayer = s("g", { class: "edges" });
  for (const e of g.edges()) {
    const { points, edge } = g.edge(e);
    edgesLayer.append(s("path", { d: edgePath(points), class: `edge kind-${edge.kind}`, "marker-end": `url(#${options.id}-arrow)` }));
  }
  const nodesLayer = s("g", { class: "nodes" }, g.nodes().map((urn) => nodeElement(g, urn, options)));
  const svg = s(
    "svg",
    { id: options.id, role: "group", tabindex: "0", "aria-label": `${options.title}. Drag or use the arrow keys to pan, the wheel or + and - to zoom, 0 to fit.` },
    s("defs", null, s("marker", { id: `${options.id}-arrow`, viewBox: "0 0 10 10", refX: "10", refY: "5", markerWidth: "7", markerHeight: "7", orient: "auto-start-reverse" }, s("path", { d: "M0,0 L10,5 L0,10 z", class: "arrow" }))),
    edgesLayer,
    nodesLayer,
  );
  const view = new Viewport(svg, width, height);
  // Fit again once the frame has its size (the drawing is built before it is in the page).
  const start = g.node(options.root) || { x: width / 2, y: height / 2 };
  const sized = new ResizeObserver((entries) => {
    if (!entries[0].contentRect.width) return;
    sized.disconnect();
    view.initial(start.x, start.y);
  });
  sized.observe(svg);
  interactions(svg, view);
  const button = (text, label, action) => h("button", { type: "button", class: "secondary", "aria-label": label, "aria-controls": options.id, onclick: action }, text);
  const zoom = h("div", { class: "zoom" }, button("+", "Zoom in", () => view.zoom(1.25)), button("−", "Zoom out", () => view.zoom(0.8)), button("Fit", "Fit the whole graph", () => view.fit()));
  return { svg, zoom };
}

export function legend() {
  return h(
    "ul",
    { class: "legend", "aria-label": "Layer colours" },
    ["bronze", "silver", "gold", "unknown"].map((layer) => h("li", null, h("span", { class: `swatch layer-${layer}`, "aria-hidden": "true" }), layer)),
  );
}
