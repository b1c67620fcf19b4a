// The console's router: one shell, a page module per URL, sign-in when the API answers 401.

import { SignInRequired, forgetKey, probeKey, storeKey, storedKey } from "./api.js";
import { errorBox, h } from "./dom.js";
import { renderCapsule } from "./pages/capsule.js";
import { renderConformance } from "./pages/conformance.js";
import { renderHome } from "./pages/home.js";
import { renderLineage } from "./pages/lineage.js";
import { renderPii } from "./pages/pii.js";
import { renderProducts } from "./pages/products.js";

const ROUTES = [
  [/^\/ui\/?$/, renderHome, "/ui/"],
  [/^\/ui\/capsules\/(.+)$/, renderCapsule, null],
  [/^\/ui\/lineage\/(.+)$/, renderLineage, null],
  [/^\/ui\/conformance\/?$/, renderConformance, "/ui/conformance"],
  [/^\/ui\/pii\/?$/, renderPii, "/ui/pii"],
  [/^\/ui\/products\/?$/, renderProducts, "/ui/products"],
];

const main = document.getElementById("main");
const signOut = document.getElementById("signout");
let authRequired = true;
let renderToken = 0;

export function navigate(href, { replace = false } = {}) {
  if (replace) history.replaceState(null, "", href);
  else history.pushState(null, "", href);
  render();
}

function markCurrent(navHref) {
  for (const a of document.querySelectorAll(".top nav a")) {
    if (a.getAttribute("href") === navHref) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
}

function showLoading() {
  main.setAttribute("aria-busy", "true");
  main.replaceChildren(h("p", { class: "status", role: "status" }, "Loading…"));
}

function goSignIn(reason) {
  const here = location.pathname + location.search + location.hash;
  const next = location.pathname.startsWith("/ui/signin") ? "/ui/" : here;
  const params = new URLSearchParams({ next });
  if (reason) params.set("reason", reason);
  navigate(`/ui/signin?${params}`, { replace: true });
}

function renderSignIn() {
  document.title = "Sign in · dab";
  markCurrent(null);
  const params = new URLSearchParams(location.search);
  const next = params.get("next") || "/ui/";
  const message = h("p", { id: "signin-message", class: "status", role: "status" },
    params.get("reason") === "expired" ? "Your API key was not accepted any more. Sign in again." : "");
  const input = h("input", { id: "api-key", name: "api-key", type: "password", autocomplete: "off", required: true });
  const form = h(
    "form",
    { class: "signin card", "aria-labelledby": "signin-title" },
    h("h1", { id: "signin-title" }, "Sign in to dab"),
    h("label", { for: "api-key" }, "API key"),
    input,
    h("button", { type: "submit", class: "primary" }, "Sign in"),
    message,
    h("p", { class: "muted" }, "The key is kept for this browser tab only and sent as X-API-Key."),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    message.textContent = "Checking the key…";
    try {
      if ((await probeKey(input.value)) === "denied") {
        message.textContent = "That API key was not accepted.";
        message.className = "status error";
        input.focus();
        return;
      }
      storeKey(input.value);
      navigate(next.startsWith("/ui/") ? next : "/ui/", { replace: true });
    } catch (error) {
      message.replaceChildren(errorBox(error, "Could not reach the server"));
    }
  });
  main.replaceChildren(form);
  main.removeAttribute("aria-busy");
  input.focus();
}

async function render() {
  const token = ++renderToken;
  signOut.hidden = !authRequired || !storedKey();
  if (location.pathname.startsWith("/ui/signin")) {
    if (!authRequired) return navigate("/ui/", { replace: true });
    return renderSignIn();
  }
  const route = ROUTES.find(([pattern]) => pattern.test(location.pathname));
  showLoading();
  if (!route) {
    main.replaceChildren(h("h1", null, "Page not found"), h("p", null, h("a", { href: "/ui/" }, "Back to search")));
    main.removeAttribute("aria-busy");
    return;
  }
  const [pattern, page, navHref] = route;
  markCurrent(navHref);
  const match = location.pathname.match(pattern);
  const arg = match[1] === undefined ? undefined : decodeURIComponent(match[1]);
  const view = h("div", { class: "view" });
  try {
    await page(view, { arg, params: new URLSearchParams(location.search), navigate });
    if (token !== renderToken) return; // a newer navigation won
    main.replaceChildren(view);
  } catch (error) {
    if (token !== renderToken) return;
    if (error instanceof SignInRequired) return; // onUnauthorized() has taken over
    main.replaceChildren(errorBox(error));
  } finally {
    if (token === renderToken) main.removeAttribute("aria-busy");
  }
}

function onClick(event) {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const anchor = event.target.closest("a");
  if (!anchor) return;
  const href = anchor.getAttribute("href");
  if (!href || !href.startsWith("/ui/") || anchor.hasAttribute("download") || anchor.target) return;
  event.preventDefault();
  navigate(href);
  main.focus({ preventScroll: true });
  window.scrollTo(0, 0);
}

function onUnauthorized() {
  if (location.pathname.startsWith("/ui/signin")) return; // parallel requests: the first one decides
  const hadKey = storedKey() !== null;
  forgetKey();
  goSignIn(hadKey ? "expired" : "");
}

async function boot() {
  window.addEventListener("dab:unauthorized", onUnauthorized);
  document.addEventListener("click", onClick);
  window.addEventListener("popstate", render);
  signOut.addEventListener("click", () => {
    forgetKey();
    goSignIn("");
  });
  // The shell says whether this server wants a key (with auth disabled there is no sign-in).
  authRequired = document.querySelector('meta[name="dab-auth"]')?.content !== "disabled";
  if (authRequired && !storedKey() && !location.pathname.startsWith("/ui/signin")) return goSignIn("");
  render();
}

boot();
