// /ui/lineage/{urn}?direction=&depth=&column= : the interactive lineage DAG of a capsule, and the
// column-level lineage of one of its columns when the API has it.

import { ApiError, api, apiOptional } from "../api.js";
import { capsuleHref, errorBox, h, lineageHref, urnPath } from "../dom.js";
import { MAX_NODES, drawGraph, legend, limitGraph } from "../graph.js";

const DIRECTIONS = ["both", "upstream", "downstream"];

function readParams(params) {
  const direction = DIRECTIONS.includes(params.get("direction")) ? params.get("direction") : "both";
  const depth = params.get("depth") || "3";
  return { direction, depth, column: params.get("column") || "" };
}

function controls(urn, current, columns, navigate) {
  const direction = h("select", { id: "direction", name: "direction" }, DIRECTIONS.map((d) => h("option", { value: d, selected: d === current.direction }, d)));
  const depth = h("input", { id: "depth", name: "depth", type: "number", min: "1", max: "50", value: current.depth, inputmode: "numeric" });
  const column = h(
    "select",
    { id: "column", name: "column" },
    h("option", { value: "" }, "— none —"),
    columns.map((c) => h("option", { value: c.name, selected: c.name === current.column }, c.name)),
  );
  const form = h(
    "form",
    { class: "controls", "aria-label": "Lineage options" },
    h("label", { for: "direction" }, "Direction", direction),
    h("label", { for: "depth" }, "Depth", depth),
    h("label", { for: "column" }, "Column lineage of", column),
    h("button", { type: "submit", class: "primary" }, "Show"),
  );
  const go = () => {
    const params = { direction: direction.value, depth: depth.value };
    if (column.value) params.column = column.value;
    navigate(lineageHref(urn, params));
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    go();
  });
  column.addEventListener("change", go);
  return form;
}

function omittedNotice(limited) {
  if (!limited.omitted.length) return null;
  const parts = limited.omitted.map(({ distance, count }) => `${count} at distance ${distance}`);
  return h(
    "p",
    { class: "notice", id: "omitted" },
    `Showing the ${limited.nodes.length} nodes nearest to the start of ${limited.total}; left out beyond the limit of ${MAX_NODES}: ${parts.join(", ")}. `,
    "Lower the depth or open a node to explore from there.",
  );
}

function summaryLine(limited, edges) {
  return `${limited.nodes.length} node${limited.nodes.length === 1 ? "" : "s"}, ${edges} edge${edges === 1 ? "" : "s"}.`;
}

function capsuleGraph(lineage, root) {
  performance.mark("dab:lineage-layout-start"); // read by benchmarks/bench_console.py
  const limited = limitGraph(lineage);
  const { svg, zoom } = drawGraph(limited, {
    id: "lineage-svg",
    root,
    title: `Lineage of ${root}`,
    label: (node) => node.name || node.urn,
    subtitle: (node) => `${node.capsule_type || "?"} · ${node.layer || "unknown"}${node.distance ? ` · ${node.distance > 0 ? "+" : ""}${node.distance}` : ""}`,
    href: (node) => capsuleHref(node.urn),
  });
  performance.measure("dab:lineage-layout", "dab:lineage-layout-start");
  return [
    h("p", { class: "status", id: "graph-summary" }, summaryLine(limited, limited.edges.length)),
    omittedNotice(limited),
    h("div", { class: "graph-frame", id: "lineage-graph" }, svg, zoom),
  ];
}

async function columnSection(rootUrn, current, columns) {
  const column = columns.find((c) => c.name === current.column);
  if (!column) return h("p", { class: "muted" }, current.column ? `No column “${current.column}” in this capsule.` : "Pick a column to see its column-level lineage.");
  const lineage = await apiOptional(`/columns/${urnPath(column.urn)}/lineage?direction=${current.direction}&depth=${encodeURIComponent(current.depth)}`);
  if (lineage === null) return h("p", { class: "notice" }, "Column-level lineage is not available on this server.");
  if (!lineage.edges.length) return h("p", { class: "muted", id: "column-graph-empty" }, `No column-level lineage is recorded for ${column.name}.`);
  const limited = limitGraph(lineage);
  const { svg, zoom } = drawGraph(limited, {
    id: "column-svg",
    root: column.urn,
    title: `Column lineage of ${column.name}`,
    label: (node) => `${(node.capsule_urn || "").split(":").pop()}.${node.name || node.urn}`,
    subtitle: (node) => `${node.data_type || "?"}${node.distance ? ` · ${node.distance > 0 ? "+" : ""}${node.distance}` : ""}`,
    href: (node) => (node.capsule_urn ? capsuleHref(node.capsule_urn, node.name) : capsuleHref(rootUrn)),
  });
  return h("div", null, h("p", { class: "status" }, summaryLine(limited, limited.edges.length)), omittedNotice(limited), h("div", { class: "graph-frame small", id: "column-graph" }, svg, zoom));
}

export async function renderLineage(view, { arg: urn, params, navigate }) {
  const current = readParams(params);
  const path = urnPath(urn);
  const [capsule, columns] = await Promise.all([api(`/capsules/${path}`), api(`/capsules/${path}/columns?limit=1000`)]);
  document.title = `Lineage of ${capsule.name} · dab`;
  view.append(
    h("h1", null, "Lineage of ", h("a", { href: capsuleHref(urn) }, capsule.name)),
    controls(urn, current, columns.data, navigate),
  );
  let lineage;
  try {
    lineage = await api(`/capsules/${path}/lineage?direction=${current.direction}&depth=${encodeURIComponent(current.depth)}`);
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 422) throw error;
    view.append(errorBox(error, "These options are not accepted"));
    return;
  }
  view.append(
    legend(),
    ...capsuleGraph(lineage, urn).filter(Boolean),
    h("h2", null, "Column-level lineage"),
    await columnSection(urn, current, columns.data),
  );
}
