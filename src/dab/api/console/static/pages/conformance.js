// /ui/conformance?severity=&rule=&layer=&status=&offset= : score, tallies, filtered violations.

import { api, apiOptional } from "../api.js";
import { capsuleHref, dash, errorBox, fmtDate, fmtPercent, h, link, row, table } from "../dom.js";

const PAGE = 50;
const SEVERITIES = ["critical", "error", "warning", "info"];
const LAYERS = ["bronze", "silver", "gold", "unknown"];
const STATUSES = ["open", "acknowledged", "waived", "resolved"];
const FILTERS = ["severity", "rule", "layer", "status"];

function readFilters(params) {
  const filters = {};
  for (const name of FILTERS) if (params.get(name)) filters[name] = params.get(name);
  if (!params.has("status")) filters.status = "open";
  return filters;
}

function href(filters, offset = 0) {
  const kept = Object.entries(filters).filter(([name, value]) => value || name === "status");
  const params = new URLSearchParams(kept);
  if (offset) params.set("offset", String(offset));
  return `/ui/conformance?${params}`;
}

function evaluateButton(navigate, label) {
  const status = h("span", { class: "status", role: "status" });
  const button = h("button", { type: "button", class: "primary" }, label);
  button.addEventListener("click", async () => {
    button.disabled = true;
    status.textContent = " Evaluating…";
    try {
      await api("/conformance/evaluate", { method: "POST", body: { scope: "full" } });
      navigate(location.pathname + location.search, { replace: true });
    } catch (error) {
      button.disabled = false;
      status.replaceChildren(errorBox(error, "Evaluation failed"));
    }
  });
  return h("p", null, button, status);
}

function scoreCards(score) {
  const bySeverity = SEVERITIES.map((sev) => row(h("span", { class: `sev-${sev}` }, sev), String(score.violations_by_severity?.[sev] ?? 0)));
  return h(
    "div",
    { class: "cards" },
    h(
      "div",
      { class: "card" },
      h("h2", null, "Score"),
      h("p", { class: "big", id: "score" }, fmtPercent(score.score)),
      h("p", null, `Weighted ${fmtPercent(score.weighted_score)} · ${score.passed} of ${score.applicable} checks pass · evaluated ${fmtDate(score.evaluated_at)}`),
    ),
    h("div", { class: "card" }, table("Violations by severity", ["Severity", "Violations"], bySeverity)),
  );
}

function rulesTable(score, filters) {
  const rules = Object.entries(score.by_rule || {}).sort((a, b) => b[1].failed - a[1].failed || a[0].localeCompare(b[0]));
  const rows = rules.map(([ruleId, tally]) =>
    row(link(href({ ...filters, rule: ruleId }), ruleId), String(tally.applicable), String(tally.failed), fmtPercent(tally.score)),
  );
  return table("Rules", ["Rule", "Applicable", "Failed", "Score"], rows);
}

function filterForm(filters, rules, navigate) {
  const select = (name, label, values) =>
    h("label", { for: `f-${name}` }, label, h("select", { id: `f-${name}`, name }, h("option", { value: "" }, "any"), values.map((v) => h("option", { value: v, selected: filters[name] === v }, v))));
  const form = h(
    "form",
    { class: "controls", "aria-label": "Filter violations" },
    select("severity", "Severity", SEVERITIES),
    select("rule", "Rule", rules),
    select("layer", "Layer", LAYERS),
    select("status", "Status", STATUSES),
    h("button", { type: "submit", class: "primary" }, "Filter"),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const chosen = {};
    for (const name of FILTERS) chosen[name] = form.elements[name].value;
    navigate(href(chosen));
  });
  return form;
}

function violationsTable(page) {
  const rows = page.data.map((v) =>
    row(
      h("span", { class: `sev-${v.severity}` }, v.severity),
      v.rule_id,
      v.capsule_urn ? link(capsuleHref(v.capsule_urn), v.capsule_urn.split(":").pop()) : dash(v.subject_urn),
      v.message,
      v.status,
      fmtDate(v.first_seen_at),
    ),
  );
  return table(`Violations (${page.total})`, ["Severity", "Rule", "Capsule", "Message", "Status", "First seen"], rows);
}

function pager(page, filters) {
  const prev = page.offset > 0 ? link(href(filters, Math.max(0, page.offset - PAGE)), "← Previous") : null;
  const next = page.offset + page.data.length < page.total ? link(href(filters, page.offset + PAGE), "Next →") : null;
  const shown = page.total ? `${page.offset + 1}–${page.offset + page.data.length} of ${page.total}` : "none";
  return h("nav", { class: "pager", "aria-label": "Violation pages" }, prev, h("span", null, shown), next);
}

export async function renderConformance(view, { params, navigate }) {
  document.title = "Conformance · dab";
  const filters = readFilters(params);
  const query = new URLSearchParams({ ...filters, limit: String(PAGE), offset: params.get("offset") || "0" });
  const [score, page] = await Promise.all([apiOptional("/conformance/score"), api(`/conformance/violations?${query}`)]);
  view.append(h("h1", null, "Architecture conformance"));
  if (score === null) {
    view.append(h("p", { class: "notice" }, "Conformance has not been evaluated on this server yet."), evaluateButton(navigate, "Evaluate now"));
  } else {
    view.append(scoreCards(score), evaluateButton(navigate, "Evaluate again"), h("h2", null, "Rules"), rulesTable(score, filters));
  }
  const rules = Object.keys(score?.by_rule || {}).sort();
  view.append(h("h2", null, "Violations"), filterForm(filters, rules, navigate), violationsTable(page), pager(page, filters));
}
