import test from "node:test";
import assert from "node:assert/strict";
import { decode83, decodeBlurhash, validateBlurhash } from "../../web/js/blurhash.js";

// Expected pixels come from the Python reference implementation (blurhash-python .decode).
const CASES = [
  {
    hash: "LEHV6nWB2yk8pyo0adR*.7kCMdnj", width: 3, height: 2,
    rgb: [[[135, 164, 177], [172, 177, 175], [170, 175, 172]], [[120, 148, 162], [150, 128, 125], [150, 135, 125]]],
  },
  {
    hash: "LqG91-2swxX8l}WWjtf7gJfjfQfj", width: 4, height: 3,
    rgb: [
      [[0, 51, 133], [65, 6, 125], [127, 6, 125], [188, 6, 125]],
      [[0, 85, 131], [63, 73, 122], [125, 73, 122], [186, 73, 122]],
      [[0, 173, 127], [60, 167, 118], [122, 167, 118], [181, 167, 118]],
    ],
  },
];

test("decode83 reads base-83 digits", () => {
  assert.equal(decode83("0"), 0);
  assert.equal(decode83("~"), 82);
  assert.equal(decode83("10"), 83);
});

test("decoded pixels match the reference implementation within 1", () => {
  for (const { hash, width, height, rgb } of CASES) {
    const px = decodeBlurhash(hash, width, height);
    assert.equal(px.length, width * height * 4);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const o = 4 * (x + y * width);
        for (let c = 0; c < 3; c++) {
          assert.ok(Math.abs(px[o + c] - rgb[y][x][c]) <= 1, `${hash} (${x},${y}) channel ${c}: ${px[o + c]} vs ${rgb[y][x][c]}`);
        }
        assert.equal(px[o + 3], 255);
      }
    }
  }
});

test("component counts come from the size flag", () => {
  assert.deepEqual(validateBlurhash("LEHV6nWB2yk8pyo0adR*.7kCMdnj"), { numX: 4, numY: 3 });
});

test("invalid hashes are refused with a reason", () => {
  assert.throws(() => decodeBlurhash("abc", 4, 4), /at least 6/);
  assert.throws(() => decodeBlurhash("LEHV6nWB2yk8pyo0adR*.7kCMdn", 4, 4), /length/);
  assert.throws(() => decodeBlurhash("LEHV6nWB2yk8pyo0adR*.7kCMd\"j", 4, 4), /invalid blurhash character/);
});
