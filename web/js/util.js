// Small pure helpers the page uses; each is unit-tested with `node --test tests/js`.

export const MAX_TITLE = 200;
export const MAX_SIDE = 4096;
export const FITS = ["contain", "cover", "fill", "inside"];
export const FORMATS = ["jpeg", "png", "webp", "avif", "gif", "auto"];

/** A title from a file name: no extension, separators to spaces, control chars gone, ≤ 200 chars. */
export function titleFromFilename(name) {
  let base = String(name || "").split(/[\\/]/).pop() || "";
  const dot = base.lastIndexOf(".");
  if (dot > 0) base = base.slice(0, dot);
  base = base.replace(/[\p{Cc}\p{Cf}]/gu, "").replace(/[_]+/g, " ").replace(/\s+/g, " ").trim();
  if (!base) base = "Untitled image";
  return Array.from(base).slice(0, MAX_TITLE).join("");
}

/** A title from a URL: its last path segment, else its host. */
export function titleFromUrl(url) {
  try {
    const u = new URL(url);
    const seg = decodeURIComponent(u.pathname.split("/").filter(Boolean).pop() || "");
    return seg ? titleFromFilename(seg) : u.hostname || "Imported image";
  } catch {
    return "Imported image";
  }
}

/** Validates a title as the API does; returns an error message or null. */
export function validateTitle(title) {
  const value = String(title ?? "").trim();
  if (!value) return "Enter a title.";
  if (Array.from(value).length > MAX_TITLE) return `Use at most ${MAX_TITLE} characters.`;
  if (/[\p{Cc}\p{Cf}]/u.test(value)) return "Remove control characters.";
  return null;
}

function side(raw, name, errors, out, max = MAX_SIDE) {
  const text = String(raw ?? "").trim();
  if (!text) return;
  if (!/^\d+$/.test(text)) { errors.push({ field: name, message: "must be a whole number" }); return; }
  const value = Number(text);
  if (value < 1 || value > max) { errors.push({ field: name, message: `must be between 1 and ${max}` }); return; }
  out[name] = value;
}

/**
 * Validates an optional target size from form strings.
 * Returns {value: {width?, height?, fit} | null, errors: [{field, message}]}; value is null when
 * neither width nor height is given (no resize requested).
 */
export function parseResize({ width, height, fit } = {}) {
  const errors = [];
  const out = {};
  side(width, "width", errors, out);
  side(height, "height", errors, out);
  const f = String(fit || "contain");
  if (!FITS.includes(f)) errors.push({ field: "fit", message: `must be one of ${FITS.join(", ")}` });
  if (errors.length) return { value: null, errors };
  if (out.width === undefined && out.height === undefined) return { value: null, errors };
  return { value: { ...out, fit: f }, errors };
}

/** Validates a custom download: w/h (at least one), fit, format, quality → query params. */
export function parseCustomDownload({ w, h, fit, format, quality } = {}) {
  const errors = [];
  const sides = {};
  side(w, "width", errors, sides);
  side(h, "height", errors, sides);
  if (!errors.length && sides.width === undefined && sides.height === undefined) {
    errors.push({ field: "width", message: "give a width, a height or both" });
  }
  const params = {};
  if (sides.width !== undefined) params.w = sides.width;
  if (sides.height !== undefined) params.h = sides.height;
  if (fit) {
    if (!FITS.includes(fit)) errors.push({ field: "fit", message: `must be one of ${FITS.join(", ")}` });
    else params.fit = fit;
  }
  if (format) {
    if (!FORMATS.includes(format)) errors.push({ field: "format", message: `must be one of ${FORMATS.join(", ")}` });
    else params.format = format;
  }
  const q = {};
  side(quality, "quality", errors, q, 100);
  if (q.quality !== undefined) params.quality = q.quality;
  return { params: errors.length ? null : params, errors };
}

export function formatBytes(bytes) {
  if (bytes == null || Number.isNaN(Number(bytes))) return "—";
  const n = Number(bytes);
  if (n < 1024) return `${n} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let value = n / 1024;
  let i = 0;
  while (value >= 1024 && i < units.length - 1) { value /= 1024; i++; }
  return `${value >= 100 ? value.toFixed(0) : value.toFixed(1)} ${units[i]}`;
}

export function formatDate(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  return d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

export function debounce(fn, ms) {
  let timer;
  const wrapped = (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), ms); };
  wrapped.cancel = () => clearTimeout(timer);
  return wrapped;
}

/** Lower-case hex of a SHA-256 digest (ArrayBuffer). */
export function toHex(buffer) {
  return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Readable text colour (#111 or #fff) on a swatch of `hex`, by WCAG relative luminance. */
export function contrastText(hex) {
  const m = /^#?([0-9a-f]{6})$/i.exec(String(hex || ""));
  if (!m) return "#000000";
  const v = parseInt(m[1], 16);
  const lin = (c) => { const s = c / 255; return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4; };
  const L = 0.2126 * lin(v >> 16) + 0.7152 * lin((v >> 8) & 255) + 0.0722 * lin(v & 255);
  return L > 0.179 ? "#111111" : "#ffffff";
}

/** Query string from a plain object, skipping empty values. */
export function queryString(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) if (v !== undefined && v !== null && v !== "") q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : "";
}
