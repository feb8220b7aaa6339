// Browser → S3 with the presigned POST form, with real progress (XMLHttpRequest.upload).
import { s3ErrorToProblem } from "./s3error.js";
import { toHex } from "./util.js";

export class UploadError extends Error {
  constructor(problem) {
    super(problem.detail ? `${problem.title}: ${problem.detail}` : problem.title);
    this.name = "UploadError";
    this.problem = { errors: [], ...problem };
  }
}

/** Lower-case hex SHA-256 of a Blob, or null where Web Crypto is unavailable (non-secure origin). */
export async function sha256Hex(blob) {
  if (!globalThis.crypto?.subtle) return null;
  return toHex(await crypto.subtle.digest("SHA-256", await blob.arrayBuffer()));
}

/** Accepted file extensions -> MIME type, from the server's one format registry (GET /health,
 *  `limits.file_types`); loaded once at start-up by `loadFileTypes`. */
let fileTypes = {};

/** Reads the accepted file types the API publishes; without them only a file's own type is used. */
export async function loadFileTypes(baseUrl = "", fetchImpl = fetch) {
  try {
    const res = await fetchImpl(`${String(baseUrl).replace(/\/+$/, "")}/health`);
    const types = res.ok ? (await res.json())?.limits?.file_types : null;
    if (types && typeof types === "object") fileTypes = { ...types };
  } catch {
    // the server refuses an unknown type with a clear problem; nothing else to do here
  }
  return fileTypes;
}

/** The picker's `accept` attribute for these types: image/* plus every extension (so HEIC and
 *  AVIF files that a system reports without a MIME type can still be picked). */
export function acceptAttribute(types = fileTypes) {
  return ["image/*", ...Object.keys(types).map((ext) => `.${ext}`)].join(",");
}

/** "JPEG, PNG … or HEIC": the formats these types name, for the drop zone's hint. */
export function describeTypes(types = fileTypes) {
  const names = [...new Set(Object.values(types).map((mime) => mime.split("/")[1].toUpperCase()))]
    .map((name) => ({ WEBP: "WebP" })[name] || name);
  return names.length > 1 ? `${names.slice(0, -1).join(", ")} or ${names.at(-1)}` : names.join("");
}

/** Content type to declare for a file: its own, else the one its extension names. */
export function contentTypeOf(file) {
  if (file.type) return file.type;
  const ext = (file.name.split(".").pop() || "").toLowerCase();
  return fileTypes[ext] || "application/octet-stream";
}

/**
 * POSTs `file` to `upload.url` with every form field first and `file` last.
 * Resolves with the HTTP status; rejects with UploadError built from S3's XML error.
 */
export function postToS3(upload, file, { onProgress, signal } = {}) {
  return new Promise((resolve, reject) => {
    const form = new FormData();
    for (const [name, value] of Object.entries(upload.fields || {})) form.append(name, value);
    form.append("file", file);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", upload.url);
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) onProgress?.(e.loaded, e.total); };
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress?.(file.size, file.size);
        resolve(xhr.status);
      } else {
        reject(new UploadError(s3ErrorToProblem(xhr.status, xhr.responseText)));
      }
    };
    xhr.onerror = () => reject(new UploadError({
      title: "Upload failed", status: 0,
      detail: "The file could not be sent to storage (network error or the storage refused the connection).",
    }));
    xhr.ontimeout = () => reject(new UploadError({ title: "Upload timed out", status: 0, detail: "Storage did not answer in time." }));
    xhr.onabort = () => reject(new UploadError({ title: "Upload cancelled", status: 0, detail: "" }));
    signal?.addEventListener("abort", () => xhr.abort(), { once: true });
    xhr.send(form);
  });
}
