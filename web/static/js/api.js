// Calls to the JSON API from a page: the session cookie signs the request in, and the
// page's CSRF token (<meta name="csrf-token">, written by base.html) goes along with
// every call that changes something. Errors come back as ApiError with the API's body
// ({error, message, details}), so a page can put `details.fields` on its fields.

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || `HTTP ${status}`);
    this.status = status;
    this.body = body || {};
  }
}

export function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}

export async function api(path, { method = "GET", json, headers = {}, accept = "application/json" } = {}) {
  const init = { method, credentials: "same-origin", headers: { Accept: accept, ...headers } };
  if (!["GET", "HEAD", "OPTIONS"].includes(method)) init.headers["X-CSRFToken"] = csrfToken();
  if (json !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(json);
  }
  const response = await fetch(path, init);
  const type = response.headers.get("Content-Type") || "";
  const body = type.includes("json") ? await response.json() : await response.text();
  if (!response.ok) throw new ApiError(response.status, typeof body === "object" ? body : { message: body });
  return body;
}
