"""Analysis of the thumbnail-size image: perceptual hash, BlurHash, dominant colours."""

import math
import statistics
from collections.abc import Sequence
from typing import cast

import blurhash
from PIL import Image

from imageapi.adapters.pixels.encoding import _flatten
from imageapi.adapters.pixels.tunables import LANCZOS
from imageapi.domain.models import (
    DominantColor,
)

# --- analysis ---------------------------------------------------------------------------------

# DCT-II basis for the 8 lowest frequencies of a 32-sample signal (perceptual hash).
_DCT = [[math.cos(math.pi * k * (2 * n + 1) / 64) for n in range(32)] for k in range(8)]


def phash(img: Image.Image) -> str:
    """64-bit DCT perceptual hash as 16 hex chars, compatible in layout with imagehash.phash.

    Written by hand (separable DCT of the 8x8 lowest frequencies of a 32x32 grayscale) because
    the ``imagehash`` library pulls numpy + scipy (~100 MB) into the Lambda layer.
    """
    gray = _flatten(img).convert("L").resize((32, 32), LANCZOS)
    # Pillow types pixel data for every mode at once; an "L" image has one int per pixel.
    px = cast(Sequence[int], gray.get_flattened_data())
    rows = [px[r * 32 : (r + 1) * 32] for r in range(32)]
    # Row transform (32 rows x 8 freqs), then column transform of those 8 columns.
    row_dct = [[sum(v * c for v, c in zip(row, basis, strict=True)) for basis in _DCT] for row in rows]
    coeffs = [sum(row_dct[y][u] * _DCT[v][y] for y in range(32)) for v in range(8) for u in range(8)]
    median = statistics.median(coeffs)
    bits = "".join("1" if c > median else "0" for c in coeffs)
    return f"{int(bits, 2):016x}"


def blurhash_of(img: Image.Image) -> str:
    small = _flatten(img)
    small.thumbnail((32, 32), LANCZOS)
    px = cast(Sequence[tuple[int, int, int]], small.get_flattened_data())  # RGB after _flatten
    w = small.width
    rows = [[list(p) for p in px[r * w : (r + 1) * w]] for r in range(small.height)]
    return blurhash.encode(rows, components_x=4, components_y=3)


def dominant_colors(img: Image.Image, count: int = 5) -> list[DominantColor]:
    small = img.copy()
    small.thumbnail((64, 64), LANCZOS)
    if small.mode == "RGBA":  # transparent pixels are not a colour of the picture
        rgba = cast(Sequence[tuple[int, int, int, int]], small.get_flattened_data())
        opaque = [p[:3] for p in rgba if p[3] >= 128]
        if not opaque:
            return []
        small = Image.new("RGB", (len(opaque), 1))
        small.putdata(opaque)
    quantized = small.quantize(colors=count, method=Image.Quantize.MEDIANCUT)
    palette = quantized.getpalette() or []
    counts = cast(list[tuple[int, int]], quantized.getcolors() or [])  # "P" mode: (count, palette index)
    total = sum(n for n, _ in counts)
    colors = [
        DominantColor(hex="#{:02x}{:02x}{:02x}".format(*palette[i * 3 : i * 3 + 3]), share=round(n / total, 4))
        for n, i in sorted(counts, reverse=True)[:count]
    ]
    return colors
