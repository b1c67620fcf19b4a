// The console's only data source: the public /api/v1 JSON API, with the API key from sign-in.

const KEY_STORE = "dab.apiKey";
const API = "/api/v1";
const PROBE = "/capsules?limit=1";

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
  }
}

/** Thrown after a 401: the router sends the reader to sign-in. */
export class SignInRequired extends ApiError {}

export function storedKey() {
  return sessionStorage.getItem(KEY_STORE);
}

export function storeKey(key) {
  sessionStorage.setItem(KEY_STORE, key);
}

export function forgetKey() {
  sessionStorage.removeItem(KEY_STORE);
}

async function problemOf(response) {
  try {
    return await response.json();
  } catch {
    return { detail: `${response.status} ${response.statusText}` };
  }
}

/** fetch() against /api/v1: JSON out, ApiError (with the problem+json body) on any non-2xx. */
export async function api(path, { method = "GET", body, key = storedKey(), signal } = {}) {
  const headers = { Accept: "application/json" };
  if (key) headers["X-API-Key"] = key;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(API + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal,
    credentials: "omit",
  });
  if (response.status === 401) {
    const error = new SignInRequired(401, await problemOf(response));
    // The router listens and sends the reader to sign-in (unless this was a key probe).
    if (path !== PROBE) window.dispatchEvent(new CustomEvent("dab:unauthorized"));
    throw error;
  }
  if (!response.ok) throw new ApiError(response.status, await problemOf(response));
  return response.status === 204 ? null : response.json();
}

/** Like api(), but a 404 answers null: for endpoints that a server may not have. */
export async function apiOptional(path, options) {
  try {
    return await api(path, options);
  } catch (error) {
    if (error instanceof ApiError && !(error instanceof SignInRequired) && error.status === 404) return null;
    throw error;
  }
}

/** Does this server accept `key` (or need none)? Resolves to "ok" | "denied". */
export async function probeKey(key) {
  try {
    await api(PROBE, { key });
    return "ok";
  } catch (error) {
    if (error instanceof SignInRequired) return "denied";
    throw error;
  }
}

