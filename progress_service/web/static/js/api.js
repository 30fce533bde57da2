// The one way the page talks to the service: the public /api routes, with the bearer token of
// this browser tab's session (sessionStorage: it is gone when the tab closes).

const TOKEN = "progress.token";
const USER = "progress.user";

/** An answer of 4xx/5xx: `message` is the sentence the API gave (`detail` of its problem+json). */
export class ApiError extends Error {
  constructor(problem) {
    super(problem.detail || problem.title || `The service answered ${problem.status}.`);
    this.name = "ApiError";
    this.status = problem.status;
    this.errors = problem.errors || null;
  }
}

export const session = {
  get token() { return sessionStorage.getItem(TOKEN); },
  get user() {
    const user = sessionStorage.getItem(USER);
    return user ? JSON.parse(user) : null;
  },
  start(token, user) {
    sessionStorage.setItem(TOKEN, token);
    sessionStorage.setItem(USER, JSON.stringify(user));
  },
  end() {
    sessionStorage.removeItem(TOKEN);
    sessionStorage.removeItem(USER);
  },
};

/** Call the API. Resolves to the JSON answer (text for CSV, null for 204); throws ApiError.
 * A `contentType` sends the body as it is (a file, a Blob) with that Content-Type, else it goes as JSON. */
export async function api(method, path, body, { contentType = null } = {}) {
  const headers = { Accept: "application/json" };
  if (session.token) headers.Authorization = `Bearer ${session.token}`;
  if (body !== undefined) headers["Content-Type"] = contentType || "application/json";
  let response;
  try {
    response = await fetch(path, {
      method, headers, body: body === undefined || contentType ? body : JSON.stringify(body), cache: "no-store",
    });
  } catch {
    throw new ApiError({ status: 0, detail: "The service cannot be reached; check the connection and try again." });
  }
  const type = response.headers.get("Content-Type") || "";
  if (!response.ok) {
    const problem = type.includes("json") ? await response.json().catch(() => ({})) : {};
    const error = new ApiError({ status: response.status, ...problem });
    if (response.status === 401 && headers.Authorization) {
      session.end();  // the token expired or its account is gone: back to the login form
      window.dispatchEvent(new CustomEvent("session-ended", { detail: error.message }));
    }
    throw error;
  }
  if (response.status === 204) return null;
  return type.includes("json") ? response.json() : response.text();
}

/** A query string from an object, leaving out empty values. */
export function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") search.set(key, value);
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}
