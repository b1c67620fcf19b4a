// /ui/ : type-ahead search over capsules and columns, and a summary of the graph.

import { SignInRequired, api, apiOptional } from "../api.js";
import { capsuleHref, fmtPercent, h, row, table } from "../dom.js";

const LAYERS = ["bronze", "silver", "gold", "unknown"];
const TYPES = ["model", "source", "seed", "snapshot", "exposure", "job", "dataset"];
const SEARCH_KINDS = new Set(["capsule", "column"]);

function hitHref(hit) {
  return hit.kind === "column" ? capsuleHref(hit.context, hit.name) : capsuleHref(hit.urn);
}

function hitItem(hit) {
  const where = hit.kind === "column" ? ` in ${hit.context.split(":").pop()}` : hit.context ? ` (${hit.context})` : "";
  return h(
    "li",
    null,
    h("a", { href: hitHref(hit), "data-kind": hit.kind }, h("span", { class: "kind" }, hit.kind), h("strong", null, hit.name), where),
  );
}

function searchBox(initial) {
  const input = h("input", {
    id: "search", type: "search", name: "q", value: initial, autocomplete: "off",
    placeholder: "orders, customer_id, stg_…", "aria-describedby": "search-status", "aria-controls": "search-results",
  });
  const status = h("p", { id: "search-status", class: "status", role: "status" }, "");
  const results = h("ul", { id: "search-results", class: "results", "aria-label": "Search results" });
  let controller = null;
  let timer = null;

  async function run() {
    const q = input.value.trim();
    history.replaceState(null, "", q ? `/ui/?q=${encodeURIComponent(q)}` : "/ui/");
    if (controller) controller.abort();
    if (!q) {
      results.replaceChildren();
      status.textContent = "";
      return;
    }
    controller = new AbortController();
    status.textContent = "Searching…";
    try {
      const body = await api(`/search?q=${encodeURIComponent(q)}&limit=30`, { signal: controller.signal });
      const hits = body.data.filter((hit) => SEARCH_KINDS.has(hit.kind)).slice(0, 20);
      results.replaceChildren(...hits.map(hitItem));
      status.textContent = hits.length ? `${hits.length} result${hits.length === 1 ? "" : "s"} for “${q}”` : `Nothing matches “${q}”.`;
    } catch (error) {
      if (error.name === "AbortError" || error instanceof SignInRequired) return;
      results.replaceChildren();
      status.textContent = `Search failed: ${error.message}`;
    }
  }

  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(run, 150);
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown" && results.firstElementChild) {
      event.preventDefault();
      results.querySelector("a").focus();
    }
  });
  results.addEventListener("keydown", (event) => {
    const links = [...results.querySelectorAll("a")];
    const index = links.indexOf(document.activeElement);
    if (event.key === "ArrowDown" && index < links.length - 1) links[index + 1].focus();
    else if (event.key === "ArrowUp") (index > 0 ? links[index - 1] : input).focus();
    else if (event.key === "Escape") input.focus();
    else return;
    event.preventDefault();
  });
  const form = h(
    "form",
    { role: "search", class: "search", onsubmit: (event) => event.preventDefault() },
    h("label", { for: "search" }, "Search capsules and columns"),
    input,
    status,
    results,
  );
  return { form, run, input };
}

async function total(query) {
  return (await api(`/capsules?limit=1${query}`)).total;
}

async function summary() {
  const [all, byLayer, byType, score] = await Promise.all([
    total(""),
    Promise.all(LAYERS.map((layer) => total(`&layer=${layer}`))),
    Promise.all(TYPES.map((type) => total(`&capsule_type=${type}`))),
    apiOptional("/conformance/score"),
  ]);
  const counts = (label, names, values) =>
    table(label, ["", "Capsules"], names.map((name, i) => row(name, String(values[i]))).filter((_, i) => values[i] > 0));
  return h(
    "section",
    { "aria-labelledby": "summary-title" },
    h("h2", { id: "summary-title" }, "The graph"),
    h(
      "div",
      { class: "cards" },
      h("div", { class: "card" }, h("h3", null, "Capsules"), h("p", { class: "big", id: "capsule-total" }, String(all))),
      h(
        "div",
        { class: "card" },
        h("h3", null, "Conformance score"),
        h("p", { class: "big", id: "conformance-score" }, score ? fmtPercent(score.score) : "—"),
        h("p", null, score ? `${score.failed} of ${score.applicable} checks fail · ` : "Not evaluated yet · ", h("a", { href: "/ui/conformance" }, "details")),
      ),
      h("div", { class: "card" }, counts("Capsules per layer", LAYERS, byLayer)),
      h("div", { class: "card" }, counts("Capsules per type", TYPES, byType)),
    ),
  );
}

export async function renderHome(view, { params }) {
  document.title = "Search · dab";
  const box = searchBox(params.get("q") || "");
  view.append(h("h1", null, "Data Architecture Brain"), box.form, await summary());
  if (box.input.value) await box.run();
}
