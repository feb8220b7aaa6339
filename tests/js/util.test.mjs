import test from "node:test";
import assert from "node:assert/strict";
import {
  contrastText, formatBytes, parseCustomDownload, parseResize, queryString, titleFromFilename, titleFromUrl, toHex, validateTitle,
} from "../../web/js/util.js";

test("titles come from file names", () => {
  assert.equal(titleFromFilename("holiday_photo.JPG"), "holiday photo");
  assert.equal(titleFromFilename("archive.tar.gz"), "archive.tar");
  assert.equal(titleFromFilename(".hidden"), ".hidden");
  assert.equal(titleFromFilename("C:\\fakepath\\cat.png"), "cat");
  assert.equal(titleFromFilename("  spaced   out .png"), "spaced out");
  assert.equal(titleFromFilename("bad\u0000\u200bname.gif"), "badname");
  assert.equal(titleFromFilename(".png".replace(".png", "")), "Untitled image");
  assert.equal(titleFromFilename(`${"x".repeat(300)}.jpg`).length, 200);
});

test("titles come from URLs", () => {
  assert.equal(titleFromUrl("https://example.com/a/b/red%20fox.jpg?size=2"), "red fox");
  assert.equal(titleFromUrl("https://example.com/"), "example.com");
  assert.equal(titleFromUrl("not a url"), "Imported image");
});

test("title validation matches the API's rules", () => {
  assert.equal(validateTitle("ok"), null);
  assert.match(validateTitle("   "), /Enter a title/);
  assert.match(validateTitle("a".repeat(201)), /at most 200/);
  assert.match(validateTitle("tab\there"), /control/);
});

test("target size: empty means no resize", () => {
  assert.deepEqual(parseResize({ width: "", height: "", fit: "contain" }), { value: null, errors: [] });
});

test("target size: valid values", () => {
  assert.deepEqual(parseResize({ width: "800", height: "", fit: "cover" }), { value: { width: 800, fit: "cover" }, errors: [] });
  assert.deepEqual(parseResize({ width: " 640 ", height: "480" }), { value: { width: 640, height: 480, fit: "contain" }, errors: [] });
});

test("target size: errors name the field", () => {
  assert.deepEqual(parseResize({ width: "0", height: "5000", fit: "contain" }).errors, [
    { field: "width", message: "must be between 1 and 4096" },
    { field: "height", message: "must be between 1 and 4096" },
  ]);
  assert.deepEqual(parseResize({ width: "1.5" }).errors, [{ field: "width", message: "must be a whole number" }]);
  assert.equal(parseResize({ width: "10", fit: "stretch" }).errors[0].field, "fit");
});

test("custom download parameters", () => {
  assert.deepEqual(parseCustomDownload({ w: "300", h: "", fit: "cover", format: "webp", quality: "70" }),
    { params: { w: 300, fit: "cover", format: "webp", quality: 70 }, errors: [] });
  assert.equal(parseCustomDownload({ w: "", h: "" }).params, null);
  assert.equal(parseCustomDownload({ w: "10", quality: "101" }).errors[0].field, "quality");
  assert.equal(parseCustomDownload({ w: "10", format: "tiff" }).errors[0].field, "format");
});

test("formatBytes", () => {
  assert.equal(formatBytes(0), "0 B");
  assert.equal(formatBytes(1023), "1023 B");
  assert.equal(formatBytes(1536), "1.5 KB");
  assert.equal(formatBytes(20 * 1024 * 1024), "20.0 MB");
  assert.equal(formatBytes(null), "—");
});

test("toHex, queryString, contrastText", () => {
  assert.equal(toHex(new Uint8Array([0, 15, 255]).buffer), "000fff");
  assert.equal(queryString({ limit: 24, cursor: undefined, q: "", status: "ready" }), "?limit=24&status=ready");
  assert.equal(queryString({}), "");
  assert.equal(contrastText("#ffffff"), "#111111");
  assert.equal(contrastText("#000000"), "#ffffff");
  assert.equal(contrastText("nope"), "#000000");
});
