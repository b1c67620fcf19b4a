// /ui/capsules/{urn} : everything the API knows about one capsule, with links around it.

import { api, apiOptional } from "../api.js";
import { urnPath, capsuleHref, dash, fmtDate, h, lineageHref, link, mapLimited, pill, row, table } from "../dom.js";

// Column tags come from one read per column (the column list does not carry them): done at once
// for small capsules, on request for bigger ones, so a page stays well within rate limits.
const COLUMN_TAGS_AUTO = 12;

function metaList(capsule) {
  const items = [
    ["Type", capsule.capsule_type],
    ["Layer", capsule.layer],
    ["Domain", dash(capsule.domain)],
    ["Owner", dash(capsule.owner)],
    ["Materialization", dash(capsule.materialization)],
    ["Relation", dash(capsule.relation_name)],
    ["Last run", capsule.last_run?.status ? `${capsule.last_run.status} · ${fmtDate(capsule.last_run.completed_at)}` : "—"],
    ["Tags", capsule.tags.length ? capsule.tags.map((tag) => pill(tag.name)) : "—"],
    ["Products", capsule.data_products.length ? capsule.data_products.map((p) => pill(`${p.name} (${p.role})`)) : "—"],
  ];
  return h("dl", { class: "meta" }, items.map(([name, value]) => [h("dt", null, name), h("dd", null, value)]));
}

function piiCell(column) {
  if (!column.pii_type) return "—";
  return [pill(column.pii_type, "sev-warning"), column.is_masked ? " masked" : " not masked"];
}

function readColumnTags(columns) {
  return mapLimited(columns, 4, async (column) => (await api(`/columns/${urnPath(column.urn)}`)).tags);
}

async function columnTags(columns) {
  if (columns.every((column) => Array.isArray(column.tags))) return columns.map((column) => column.tags);
  if (columns.length > COLUMN_TAGS_AUTO) return columns.map(() => null);
  return readColumnTags(columns);
}

function tagsCell(tags) {
  if (tags === null) return h("span", { class: "muted" }, "not loaded");
  return tags.length ? tags.map((tag) => pill(tag.name)) : "—";
}

function loadTagsButton(columns, tableEl) {
  const button = h("button", { type: "button", class: "secondary" }, `Load the tags of ${columns.length} columns`);
  button.addEventListener("click", async () => {
    button.disabled = true;
    button.textContent = "Loading tags…";
    const tags = await readColumnTags(columns);
    tableEl.querySelectorAll("tbody tr").forEach((tr, i) => tr.lastElementChild.replaceChildren(...[tagsCell(tags[i])].flat()));
    button.remove();
  });
  return h("p", null, button);
}

function columnsTable(columns, tags) {
  const rows = columns.map((column, i) => {
    const tr = row(
      h("strong", null, column.name),
      dash(column.data_type),
      dash(column.description),
      piiCell(column),
      tagsCell(tags[i]),
    );
    tr.id = `col-${encodeURIComponent(column.name)}`;
    return tr;
  });
  return table(`Columns (${columns.length})`, ["Name", "Type", "Description", "PII", "Tags"], rows);
}

function testsTable(tests) {
  if (!tests.length) return h("p", { class: "muted" }, "No tests.");
  const rows = tests.map((test) =>
    row(test.name, test.kind, dash(test.column), test.severity, h("span", { class: `st-${test.status}` }, dash(test.status)), fmtDate(test.executed_at)),
  );
  return table(`Tests (${tests.length})`, ["Test", "Kind", "Column", "Severity", "Latest status", "Executed"], rows);
}

function violationsTable(violations) {
  const open = violations.filter((v) => v.status === "open");
  if (!open.length) return h("p", { class: "muted" }, "No open violations.");
  const rows = open.map((v) =>
    row(h("span", { class: `sev-${v.severity}` }, v.severity), link(`/ui/conformance?rule=${encodeURIComponent(v.rule_id)}`, v.rule_id), v.message, dash(v.remediation)),
  );
  return table(`Open violations (${open.length})`, ["Severity", "Rule", "Message", "Remediation"], rows);
}

function neighbours(title, nodes) {
  return h(
    "div",
    { class: "card" },
    h("h3", null, title),
    nodes.length ? h("ul", null, nodes.map((node) => h("li", null, link(capsuleHref(node.urn), node.name || node.urn), ` ${dash(node.capsule_type)} · ${dash(node.layer)}`))) : h("p", { class: "muted" }, "None."),
  );
}

export async function renderCapsule(view, { arg: urn }) {
  const path = urnPath(urn);
  const [capsule, columns, violations, lineage] = await Promise.all([
    api(`/capsules/${path}`),
    api(`/capsules/${path}/columns?limit=1000`),
    api(`/capsules/${path}/violations?limit=200`),
    apiOptional(`/capsules/${path}/lineage?direction=both&depth=1`),
  ]);
  document.title = `${capsule.name} · dab`;
  const tags = await columnTags(columns.data);
  const nodes = lineage ? lineage.nodes : [];
  const columnTable = columnsTable(columns.data, tags);
  view.append(
    h("h1", null, capsule.name, " ", h("span", { class: "pill" }, capsule.capsule_type)),
    h("p", { class: "urn" }, capsule.urn),
    capsule.description ? h("p", null, capsule.description) : h("p", { class: "muted" }, "No description."),
    h("div", { class: "cards" }, h("div", { class: "card" }, metaList(capsule))),
    h("h2", null, "Lineage"),
    h("p", null, link(lineageHref(capsule.urn, { direction: "both", depth: "3" }), "Open the lineage graph")),
    h(
      "div",
      { class: "cards" },
      neighbours("Upstream", nodes.filter((n) => n.distance === -1)),
      neighbours("Downstream", nodes.filter((n) => n.distance === 1)),
    ),
    h("h2", null, "Columns"),
    columnTable,
    tags.includes(null) ? loadTagsButton(columns.data, columnTable) : null,
    h("h2", null, "Tests"),
    testsTable(capsule.tests),
    h("h2", null, "Open violations"),
    violationsTable(violations.data),
  );
  const target = location.hash.slice(1);
  if (target) setTimeout(() => (document.getElementById(target) || document.getElementById(decodeURIComponent(target)))?.scrollIntoView(), 0);
}
