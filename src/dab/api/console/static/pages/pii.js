// /ui/pii : the PII inventory (with counts per type, layer and domain) and the exposures, each
// with the path from its origin. Needs the compliance API; says so when the server lacks it.

import { apiOptional } from "../api.js";
import { capsuleHref, dash, h, link, pill, row, table } from "../dom.js";

const GROUPS = ["pii_type", "layer", "domain"];

function unavailable(what) {
  return h("p", { class: "notice", id: "not-available" }, `${what} is not available on this server (its API answers 404).`);
}

function groupEntries(group, body) {
  // ?group_by=<group> adds `groups`: a list of {<group>: value, count: n}.
  return (body?.groups || []).map((item) => [item[group], item.count]);
}

function counts(group, body) {
  const rows = groupEntries(group, body).map(([key, count]) => row(dash(key), String(dash(count))));
  return table(`PII columns by ${group.replace("_", " ")}`, [group.replace("_", " "), "Columns"], rows);
}

function inventoryTable(page) {
  const rows = page.data.map((item) =>
    row(
      item.capsule_urn ? link(capsuleHref(item.capsule_urn, item.urn.split(".").pop()), item.urn.split(":").pop()) : item.urn,
      pill(item.pii_type),
      dash(item.risk),
      item.masked ? "masked" : "not masked",
      dash(item.layer),
      dash(item.domain),
      dash(item.method),
    ),
  );
  return table(`PII columns (${page.total})`, ["Column", "PII type", "Risk", "Masked", "Layer", "Domain", "Detected by"], rows);
}

function columnLink(urn, capsuleOf) {
  // Columns the inventory placed in a capsule link to that capsule's column row.
  const capsule = capsuleOf.get(urn);
  return capsule ? link(capsuleHref(capsule, urn.split(".").pop()), urn) : urn;
}

function pathStep(hop, capsuleOf) {
  // One hop from the origin: the column, then how its value got there (identity, masking, ...).
  const how = hop.kind ? ` (${hop.kind}${hop.function ? `: ${hop.function}` : ""})` : " (origin)";
  return h("li", { class: "urn", "data-urn": hop.urn }, columnLink(hop.urn, capsuleOf), h("span", { class: "hop-kind" }, how));
}

function exposureTable(page, capsuleOf) {
  const rows = page.data.map((item) =>
    row(
      h("span", { class: `sev-${item.severity}` }, item.severity),
      h("span", { class: "urn" }, columnLink(item.urn, capsuleOf)),
      h("ol", { class: "path", "aria-label": "Path from the origin" }, (item.path || []).map((hop) => pathStep(hop, capsuleOf))),
      dash(item.recommendation),
    ),
  );
  return table(`Exposures (${page.total})`, ["Severity", "Exposed column", "Path from the origin", "Recommendation"], rows);
}

export async function renderPii(view) {
  document.title = "PII · dab";
  view.append(h("h1", null, "Personal data"));
  const inventory = await apiOptional("/compliance/pii-inventory?limit=200");
  if (inventory === null) {
    view.append(unavailable("The PII inventory"));
    return;
  }
  const [grouped, exposure] = await Promise.all([
    Promise.all(GROUPS.map((group) => apiOptional(`/compliance/pii-inventory?group_by=${group}`))),
    apiOptional("/compliance/pii-exposure?limit=200"),
  ]);
  view.append(
    h("div", { class: "cards" }, GROUPS.map((group, i) => h("div", { class: "card" }, counts(group, grouped[i])))),
    h("h2", null, "Inventory"),
    inventoryTable(inventory),
    h("h2", null, "Exposure"),
    exposure === null ? unavailable("PII exposure") : exposureTable(exposure, new Map(inventory.data.map((i) => [i.urn, i.capsule_urn]))),
  );
}
