// RFC 9457 problems (application/problem+json) into something a person can read. Pure.

const STATUS_TITLES = {
  400: "Bad request", 401: "Session expired", 403: "Forbidden", 404: "Not found",
  409: "Not ready yet", 413: "Too large", 415: "Unsupported file type", 422: "Please check the form",
  429: "Too many requests", 500: "Server error", 502: "Could not fetch the source", 503: "Service unavailable",
  504: "The source took too long",
};

/** Normalises any parsed body (problem or not) to {title, detail, status, errors:[{field,message}]}. */
export function toProblem(status, body) {
  const problem = body && typeof body === "object" ? body : {};
  const errors = Array.isArray(problem.errors)
    ? problem.errors
        .filter((e) => e && typeof e === "object")
        .map((e) => ({ field: e.field == null ? "" : String(e.field), message: String(e.message ?? "") }))
    : [];
  const fallback = STATUS_TITLES[status] || (status ? `HTTP ${status}` : "Network error");
  const title = typeof problem.title === "string" && problem.title.trim() ? problem.title.trim() : fallback;
  let detail = typeof problem.detail === "string" ? problem.detail.trim() : "";
  if (!detail && typeof body === "string" && body.trim() && body.length < 300 && !/[<>]/.test(body)) detail = body.trim();
  return { title, detail, status: problem.status ?? status ?? 0, errors, type: problem.type || "about:blank" };
}

/** Human name for an API field path like "body.resize.width" or "resize.width". */
export function fieldLabel(field) {
  const parts = String(field || "").split(".").filter((p) => p && !["body", "query", "path"].includes(p));
  return parts.join(" › ") || "request";
}

/** One-line text: "Title: detail (field: message; …)". */
export function formatProblem(problem) {
  const p = problem && "errors" in problem && "title" in problem ? problem : toProblem(problem?.status, problem);
  let text = p.title;
  if (p.detail && p.detail !== p.title) text += `: ${p.detail}`;
  if (p.errors.length) text += ` (${p.errors.map((e) => `${fieldLabel(e.field)}: ${e.message}`).join("; ")})`;
  return text;
}
