// Responsive images from an image's srcset (issue 20): every width of the CDN's allow-list up to the
// image's own, each a signed URL; the CDN answers AVIF, WebP or JPEG as the browser's Accept allows.
// Pure helpers (tests/js/srcset.test.mjs); gallery.js and viewer.js use them.

/** The `srcset` attribute: "<url> <width>w, …". */
export function srcsetAttribute(entries) {
  return (entries || []).map((entry) => `${entry.url} ${entry.width}w`).join(", ");
}

/** How wide (CSS px) an image of `aspect` (width / height) is drawn in a `box` with object-fit:
 * cover: as wide as the box, or wider when the box is taller than the image's shape. */
export function coverWidth(box, aspect) {
  if (!box || !(box.width > 0)) return 0;
  if (!(aspect > 0) || !(box.height > 0)) return box.width;
  return Math.max(box.width, box.height * aspect);
}

/** The entry whose width covers `cssWidth` x `dpr` device pixels (the narrowest that does), else
 * the widest there is (the image has no more pixels). */
export function pickEntry(entries, cssWidth, dpr = 1) {
  const sorted = [...(entries || [])].sort((a, b) => a.width - b.width);
  if (!sorted.length) return null;
  const need = Math.ceil(cssWidth * (dpr > 0 ? dpr : 1));
  return sorted.find((entry) => entry.width >= need) || sorted[sorted.length - 1];
}

/** The candidates a card offers the browser: from the narrowest that covers the box at this
 * device pixel ratio upwards. Narrower ones are left out because Chromium, above a ratio of 1,
 * may pick a candidate up to the geometric mean below the need (a 320w image for a 344 px need
 * between 320w and 480w): upscaled pixels. The wider ones stay for zoom and a larger window. */
export function candidates(entries, cssWidth, dpr = 1) {
  const chosen = pickEntry(entries, cssWidth, dpr);
  if (!chosen) return [];
  return [...entries].sort((a, b) => a.width - b.width).filter((entry) => entry.width >= chosen.width);
}
