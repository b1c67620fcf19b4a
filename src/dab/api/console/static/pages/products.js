// /ui/products : data products with their SLO status. Needs the products API; says so when the
// server lacks it.

import { apiOptional } from "../api.js";
import { dash, h, mapLimited, row, table } from "../dom.js";

const SLO_READS_MAX = 100; // one status read per product, bounded

function targets(product) {
  // SLO targets as a nested object (slo / slo_targets), or as top-level *_target fields.
  const nested = product.slo || product.slo_targets;
  const slo = nested || Object.fromEntries(Object.entries(product).filter(([k]) => /slo|target/.test(k)));
  const parts = Object.entries(slo).filter(([, v]) => v !== null && v !== undefined).map(([k, v]) => `${k}: ${typeof v === "object" ? JSON.stringify(v) : v}`);
  return parts.length ? parts.join(" · ") : "—";
}

function met(flag) {
  if (flag === null || flag === undefined) return "—";
  return h("span", { class: flag ? "st-met" : "st-breached" }, flag ? "met" : "missed");
}

function statusCells(status) {
  if (!status) return ["—", "—", "—", "—"];
  return [
    h("span", { class: `st-${status.overall_status}` }, dash(status.overall_status)),
    met(status.freshness_met),
    met(status.availability_met),
    met(status.quality_met),
  ];
}

export async function renderProducts(view) {
  document.title = "Products · dab";
  view.append(h("h1", null, "Data products"));
  const page = await apiOptional("/products?limit=200");
  if (page === null) {
    view.append(h("p", { class: "notice", id: "not-available" }, "Data products are not available on this server (its API answers 404)."));
    return;
  }
  const products = page.data.slice(0, SLO_READS_MAX);
  const statuses = await mapLimited(products, 4, (p) => apiOptional(`/products/${encodeURIComponent(p.id)}/slo-status`).catch(() => null));
  const rows = page.data.map((p, i) =>
    row(h("strong", null, p.name), dash(p.domain), dash(p.owner), dash(p.status), dash(p.version), targets(p), ...statusCells(statuses[i])),
  );
  view.append(
    page.data.length ? table(`Products (${page.total})`, ["Product", "Domain", "Owner", "Status", "Version", "SLO targets", "SLO status", "Freshness", "Availability", "Quality"], rows) : h("p", { class: "muted" }, "No data products yet."),
  );
}
