"""Pixel tunables: rendition boxes, qualities, resampling, and the EXIF orientation table."""

from PIL import Image

# --- tunables -------------------------------------------------------------------------------

THUMBNAIL_BOX = (256, 256)
COMPRESSED_BOX = (2048, 2048)
JPEG_QUALITY = 82
WEBP_QUALITY = 82
# AVIF (transforms only; renditions stay JPEG/WebP): q60 is a little above JPEG q82's PSNR at about
# a third of its bytes; speed 8 encodes a 2048 px photo in ~1 s where Pillow's default 6 takes 3-12 s
# (make bench, section 8 formats; docs/formats.md).
AVIF_QUALITY = 60
AVIF_SPEED = 8
# Renditions at the edge (issue 20): the three quality levels a URL may name, per encoder. "default"
# is each format at JPEG q82's PSNR (make bench, section edge: bytes at equal PSNR); "low" and
# "high" are one step either side. PNG (the jpeg class with alpha) and GIF take no quality.
EDGE_QUALITY = {
    "JPEG": {"low": 65, "default": 82, "high": 92},
    "WEBP": {"low": 62, "default": 80, "high": 90},
    "AVIF": {"low": 40, "default": 54, "high": 70},
}
# The WebP an AVIF first miss answers when the AVIF would take too long (never stored): method 0
# encodes a 3840 px photo in ~0.3 s where method 4 takes ~1 s, for ~5 % more bytes (make bench).
FAST_WEBP_METHOD = 0
# Animated images: we decode only the first frame, but we still refuse files whose frames add
# up to absurd totals (browsers and other consumers of the original will decode all of them).
ANIMATION_PIXEL_FACTOR = 10
# reduce() by integer factors first, then LANCZOS the last < 2x: about half the resampling time
# of 3.0 and still > 50 dB PSNR against a LANCZOS from every source pixel (make bench).
REDUCING_GAP = 2.0
LANCZOS = Image.Resampling.LANCZOS
# Ingest may decode a JPEG at a DCT scale up to this fraction below the largest rendition and
# upscale the rest: a 12 MP photo (4000x3000) then decodes at 1/2 (2000x1500) and resamples to
# 2048x1536 from 3 MP instead of 12 MP (~4x less resampling, most of upload -> ready). Measured
# (bench image, q82 as stored): 34.98 dB against a LANCZOS from every source pixel, 34.99 before.
DECODE_SLACK = 0.05

_FULL_BOX = (0.0, 0.0, 1.0, 1.0)
# Bytes we tolerate after the end of an image: encoders sometimes pad with these.
_PADDING = b"\x00\xff\r\n\t "
# EXIF orientation -> the transposition that undoes it (same table as ImageOps.exif_transpose).
_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
