import test from "node:test";
import assert from "node:assert/strict";
import { candidates, coverWidth, pickEntry, srcsetAttribute } from "../../web/js/srcset.js";

const widths = [160, 240, 320, 480, 640, 960, 1000];
const entries = widths.map((width) => ({ width, url: `https://cdn.example/r/o/i/edge/${width}?v=1&Policy=p` }));

test("the srcset attribute lists every candidate with its width", () => {
  assert.equal(srcsetAttribute(entries.slice(0, 2)), "https://cdn.example/r/o/i/edge/160?v=1&Policy=p 160w, https://cdn.example/r/o/i/edge/240?v=1&Policy=p 240w");
  assert.equal(srcsetAttribute(undefined), "");
});

test("the pick covers the CSS width times the device pixel ratio", () => {
  assert.equal(pickEntry(entries, 172, 1).width, 240);
  assert.equal(pickEntry(entries, 172, 2).width, 480); // 344 device pixels
  assert.equal(pickEntry(entries, 160, 1).width, 160); // exactly enough
  assert.equal(pickEntry(entries, 600, 3).width, 1000); // more than the image has: the widest
  assert.equal(pickEntry(entries, 172, 0).width, 240); // a bogus ratio counts as 1
  assert.equal(pickEntry([], 100, 1), null);
});

test("cards offer only candidates that cover the box, so the browser never upscales", () => {
  assert.deepEqual(candidates(entries, 172, 2).map((e) => e.width), [480, 640, 960, 1000]);
  assert.deepEqual(candidates(entries, 172, 1).map((e) => e.width), [240, 320, 480, 640, 960, 1000]);
  assert.deepEqual(candidates(entries, 5000, 1).map((e) => e.width), [1000]);
});

test("object-fit cover draws a wide image wider than its box", () => {
  assert.equal(coverWidth({ width: 172, height: 129 }, 4 / 3), 172);
  assert.equal(Math.round(coverWidth({ width: 172, height: 129 }, 16 / 9)), 229);
  assert.equal(coverWidth({ width: 172, height: 129 }, 3 / 4), 172); // portrait: as wide as the box
  assert.equal(coverWidth({ width: 0, height: 0 }, 1), 0);
  assert.equal(coverWidth({ width: 172, height: 129 }, undefined), 172);
});
