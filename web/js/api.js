// The API client (SPEC §3): bearer token, JSON in and out, problems as ApiError, one retry on 401.
import { toProblem, formatProblem } from "./problem.js";
import { queryString } from "./util.js";

export class ApiError extends Error {
  constructor(problem) {
    super(formatProblem(problem));
    this.name = "ApiError";
    this.problem = problem;
    this.status = problem.status;
  }
}

async function readBody(res) {
  const text = await res.text();
  if (!text) return null;
  const type = res.headers.get("content-type") || "";
  if (/json/.test(type)) {
    try { return JSON.parse(text); } catch { return text; }
  }
  return text;
}

export class Api {
  /**
   * @param {object} opts
   * @param {string} opts.baseUrl  API origin ("" = same origin as the page)
   * @param {{token(): Promise<string>, refresh(): Promise<string>}} opts.auth
   * @param {(problem) => void} [opts.onSessionExpired]  told before the token is fetched again
   */
  constructor({ baseUrl, auth, onSessionExpired }) {
    this.baseUrl = String(baseUrl || "").replace(/\/+$/, "");
    this.auth = auth;
    this.onSessionExpired = onSessionExpired;
  }

  async request(method, path, { body, query, retry = true, signal } = {}) {
    const headers = { Accept: "application/json, application/problem+json" };
    let token;
    try {
      token = await this.auth.token();
    } catch (err) {
      throw new ApiError(err.problem || { title: "Not signed in", detail: err.message, status: 401, errors: [] });
    }
    if (token) headers.Authorization = `Bearer ${token}`;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let res;
    try {
      res = await fetch(this.baseUrl + path + queryString(query), {
        method, headers, signal, body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      if (err.name === "AbortError") throw err;
      throw new ApiError({ title: "Network error", detail: "The API could not be reached. Check your connection and try again.", status: 0, errors: [] });
    }
    if (res.status === 401 && retry) {
      const problem = toProblem(401, await readBody(res));
      this.onSessionExpired?.(problem);
      await this.auth.refresh();
      return this.request(method, path, { body, query, signal, retry: false });
    }
    if (res.status === 204) return null;
    const data = await readBody(res);
    if (!res.ok) throw new ApiError(toProblem(res.status, data));
    return data;
  }

  /** POST /images (presigned form): 201 {image, upload} or 200 {image, duplicate: true}. */
  createUpload({ title, content_type, size, sha256, resize }) {
    const body = { title, content_type, size };
    if (sha256) body.sha256 = sha256;
    if (resize) body.resize = resize;
    return this.request("POST", "/images", { body });
  }

  /** POST /images (URL import): 201 image (pending or ready). */
  importUrl({ title, source_url, resize }) {
    const body = { title, source_url };
    if (resize) body.resize = resize;
    return this.request("POST", "/images", { body });
  }

  list({ limit = 24, cursor, q, status } = {}, signal) {
    return this.request("GET", "/images", { query: { limit, cursor, q, status }, signal });
  }

  get(id) { return this.request("GET", `/images/${encodeURIComponent(id)}`); }
  analysis(id) { return this.request("GET", `/images/${encodeURIComponent(id)}/analysis`); }
  patch(id, changes) { return this.request("PATCH", `/images/${encodeURIComponent(id)}`, { body: changes }); }
  remove(id) { return this.request("DELETE", `/images/${encodeURIComponent(id)}`); }
  /** DELETE ...?permanent=true: every object and record at once, also from the trash. */
  purge(id) { return this.request("DELETE", `/images/${encodeURIComponent(id)}`, { query: { permanent: "true" } }); }
  /** POST /images/{id}/restore: back from the trash (404 once its window ended). */
  restore(id) { return this.request("POST", `/images/${encodeURIComponent(id)}/restore`); }

  // Webhooks (SPEC §3.11): endpoints, test events, the delivery log, redelivery, secret rotation.
  webhooks() { return this.request("GET", "/webhooks"); }
  createWebhook({ url, events }) { return this.request("POST", "/webhooks", { body: { url, events } }); }
  deleteWebhook(id) { return this.request("DELETE", `/webhooks/${encodeURIComponent(id)}`); }
  rotateWebhookSecret(id) { return this.request("POST", `/webhooks/${encodeURIComponent(id)}/rotate-secret`); }
  testWebhook(id) { return this.request("POST", `/webhooks/${encodeURIComponent(id)}/test`); }
  deliveries(id, { limit = 10 } = {}) {
    return this.request("GET", `/webhooks/${encodeURIComponent(id)}/deliveries`, { query: { limit } });
  }
  redeliver(id, deliveryId) {
    return this.request("POST", `/webhooks/${encodeURIComponent(id)}/deliveries/${encodeURIComponent(deliveryId)}/redeliver`);
  }

  /** GET /images/{id}/download?redirect=false → {url, expires_at}. */
  downloadUrl(id, params = { variant: "display" }) {
    return this.request("GET", `/images/${encodeURIComponent(id)}/download`, { query: { ...params, redirect: "false" } });
  }
}
