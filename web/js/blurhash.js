// Blurhash decoder (https://blurha.sh, algorithm by Wolt, MIT). Pure: no DOM, runs in Node too.
const DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz#$%*+,-.:;=?@[]^_{|}~";

export function decode83(text) {
  let value = 0;
  for (const ch of text) {
    const digit = DIGITS.indexOf(ch);
    if (digit < 0) throw new Error(`invalid blurhash character ${JSON.stringify(ch)}`);
    value = value * 83 + digit;
  }
  return value;
}

function sRGBToLinear(value) {
  const v = value / 255;
  return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
}

function linearToSRGB(value) {
  const v = Math.max(0, Math.min(1, value));
  return v <= 0.0031308
    ? Math.trunc(v * 12.92 * 255 + 0.5)
    : Math.trunc((1.055 * Math.pow(v, 1 / 2.4) - 0.055) * 255 + 0.5);
}

const signPow = (value, exp) => Math.sign(value) * Math.pow(Math.abs(value), exp);

/** Checks a blurhash; returns {numX, numY} or throws an Error saying what is wrong. */
export function validateBlurhash(hash) {
  if (typeof hash !== "string" || hash.length < 6) throw new Error("blurhash must be at least 6 characters");
  const sizeFlag = decode83(hash[0]);
  const numY = Math.floor(sizeFlag / 9) + 1;
  const numX = (sizeFlag % 9) + 1;
  if (hash.length !== 4 + 2 * numX * numY) {
    throw new Error(`blurhash length ${hash.length} does not match ${numX}x${numY} components`);
  }
  return { numX, numY };
}

/** Decodes `hash` into width*height*4 RGBA bytes (Uint8ClampedArray, ready for ImageData). */
export function decodeBlurhash(hash, width, height, punch = 1) {
  const { numX, numY } = validateBlurhash(hash);
  const maxValue = ((decode83(hash[1]) + 1) / 166) * punch;
  const colors = [];
  for (let i = 0; i < numX * numY; i++) {
    if (i === 0) {
      const v = decode83(hash.substring(2, 6));
      colors.push([sRGBToLinear(v >> 16), sRGBToLinear((v >> 8) & 255), sRGBToLinear(v & 255)]);
    } else {
      const v = decode83(hash.substring(4 + i * 2, 6 + i * 2));
      colors.push([
        signPow((Math.floor(v / (19 * 19)) - 9) / 9, 2) * maxValue,
        signPow(((Math.floor(v / 19) % 19) - 9) / 9, 2) * maxValue,
        signPow(((v % 19) - 9) / 9, 2) * maxValue,
      ]);
    }
  }
  const pixels = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let r = 0, g = 0, b = 0;
      for (let j = 0; j < numY; j++) {
        const basisY = Math.cos((Math.PI * y * j) / height);
        for (let i = 0; i < numX; i++) {
          const basis = Math.cos((Math.PI * x * i) / width) * basisY;
          const c = colors[i + j * numX];
          r += c[0] * basis; g += c[1] * basis; b += c[2] * basis;
        }
      }
      const o = 4 * (x + y * width);
      pixels[o] = linearToSRGB(r);
      pixels[o + 1] = linearToSRGB(g);
      pixels[o + 2] = linearToSRGB(b);
      pixels[o + 3] = 255;
    }
  }
  return pixels;
}
