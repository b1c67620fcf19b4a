// Small DOM helpers shared by the console pages (no framework: the pages are plain modules).

const SVG_NS = "http://www.w3.org/2000/svg";

function apply(el, attrs) {
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "text") el.textContent = String(value);
    else if (name.startsWith("on") && typeof value === "function") el.addEventListener(name.slice(2), value);
    else el.setAttribute(name, value === true ? "" : String(value));
  }
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** An HTML element: h("a", {href: "/ui/", class: "x"}, "text", otherNode). */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  apply(el, attrs);
  append(el, children);
  return el;
}

/** An SVG element, same calling convention as h(). */
export function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  apply(el, attrs);
  append(el, children);
  return el;
}

/** A URN as a readable path segment: reserved characters encoded, ':' kept. */
export function urnPath(urn) {
  return encodeURIComponent(urn).replace(/%3A/gi, ":");
}

export function capsuleHref(urn, column) {
  return `/ui/capsules/${urnPath(urn)}${column ? `#col-${encodeURIComponent(column)}` : ""}`;
}

export function lineageHref(urn, params) {
  const query = new URLSearchParams(params || {}).toString();
  return `/ui/lineage/${urnPath(urn)}${query ? `?${query}` : ""}`;
}

export function link(href, text, attrs) {
  return h("a", { href, ...(attrs || {}) }, text);
}

export function fmtPercent(value) {
  return value === null || value === undefined ? "—" : `${(value * 100).toFixed(1)} %`;
}

export function fmtDate(value) {
  if (!value) return "—";
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? String(value) : date.toISOString().replace("T", " ").slice(0, 16) + " UTC";
}

export function dash(value) {
  return value === null || value === undefined || value === "" ? "—" : value;
}

/** A table in a focusable, labelled scroll region (narrow screens scroll it sideways). */
export function table(label, headers, rows) {
  return h(
    "div",
    { class: "table-wrap", tabindex: "0", role: "region", "aria-label": label },
    h(
      "table",
      null,
      h("caption", { text: label }),
      h("thead", null, h("tr", null, headers.map((name) => h("th", { scope: "col" }, name)))),
      h("tbody", null, rows),
    ),
  );
}

export function row(...cells) {
  return h("tr", null, cells.map((cell) => h("td", null, cell)));
}

export function pill(text, cls) {
  return h("span", { class: `pill${cls ? ` ${cls}` : ""}` }, text);
}

/** Run fn over items with at most `limit` calls in flight (keeps within API rate limits). */
export async function mapLimited(items, limit, fn) {
  const results = new Array(items.length);
  let next = 0;
  async function worker() {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index], index);
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** An alert box for a failed request: the problem's title, detail, field errors and request id. */
export function errorBox(error, title = "Something went wrong") {
  const problem = error.problem || {}; // an ApiError carries the problem+json body
  return h(
    "div",
    { class: "error", role: "alert" },
    h("h2", null, problem.title ? `${title}: ${problem.title}` : title),
    h("p", null, error.message || String(error)),
    problem.errors ? h("ul", null, problem.errors.map((e) => h("li", null, `${(e.loc || []).join(".")}: ${e.msg}`))) : null,
    problem.request_id ? h("p", { class: "muted" }, `Request id: ${problem.request_id}`) : null,
  );
}
