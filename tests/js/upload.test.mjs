// web/js/upload.js: the accepted file types come from GET /health (the server's format registry).
import { test } from "node:test";
import assert from "node:assert/strict";
import { acceptAttribute, contentTypeOf, describeTypes, loadFileTypes } from "../../web/js/upload.js";

const health = (body, ok = true) => async (url) => {
  assert.equal(url, "https://api.test/health");
  return { ok, json: async () => body };
};

test("a file's own type wins; without /health an extension names nothing", async () => {
  assert.equal(contentTypeOf({ type: "image/png", name: "x.jpg" }), "image/png");
  assert.equal(contentTypeOf({ type: "", name: "x.tif" }), "application/octet-stream");
});

test("extensions map to the types /health publishes", async () => {
  const types = await loadFileTypes("https://api.test/", health({ limits: { file_types: { tif: "image/tiff", jpg: "image/jpeg" } } }));
  assert.deepEqual(types, { tif: "image/tiff", jpg: "image/jpeg" });
  assert.equal(contentTypeOf({ type: "", name: "scan.TIF" }), "image/tiff");
  assert.equal(contentTypeOf({ type: "", name: "notes.txt" }), "application/octet-stream");
});

test("a failed /health keeps what was loaded", async () => {
  await loadFileTypes("https://api.test", health({}, false));
  assert.equal(contentTypeOf({ type: "", name: "a.jpg" }), "image/jpeg");
  await loadFileTypes("https://api.test", async () => { throw new Error("offline"); });
  assert.equal(contentTypeOf({ type: "", name: "a.jpg" }), "image/jpeg");
});

test("the picker and the hint follow the registry (HEIC only when the server accepts it)", () => {
  const on = { jpg: "image/jpeg", avif: "image/avif", heic: "image/heic", heif: "image/heic", webp: "image/webp" };
  assert.equal(acceptAttribute(on), "image/*,.jpg,.avif,.heic,.heif,.webp");
  assert.equal(describeTypes(on), "JPEG, AVIF, HEIC or WebP");
  const off = { jpg: "image/jpeg", avif: "image/avif" };
  assert.equal(acceptAttribute(off), "image/*,.jpg,.avif");
  assert.equal(describeTypes(off), "JPEG or AVIF");
});
