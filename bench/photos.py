"""The gallery's photos (issue 20): real-looking camera JPEGs of 3000-4000 px, made deterministically
(``bench.images.photo``: gradients, soft shapes, hard edges and grain, a different seed per photo)
and cached on disk, so the browser suite and ``make bench`` seed the same bytes every time without
paying ~0.5 s of generation per photo again.

Sizes and orientations vary (landscape, portrait, square, wide) as a camera roll does; the JPEG
quality is a camera's (90). The cache key holds every parameter, so a change makes new files.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

from bench.common import WORK

PHOTOS = WORK / "gallery-photos"
# (width, height): 3000-4000 px on the long side, the shapes a phone and a camera produce
SHAPES = ((4000, 3000), (3000, 4000), (3600, 2400), (3200, 3200), (4000, 2250), (3000, 3750))
QUALITY = 90
VERSION = 1  # bump when the generator changes: the cache key follows


def shape(index: int) -> tuple[int, int]:
    return SHAPES[index % len(SHAPES)]


def photo_path(index: int, directory: Path = PHOTOS) -> Path:
    width, height = shape(index)
    return directory / f"v{VERSION}-{index:03d}-{width}x{height}-q{QUALITY}.jpg"


def gallery_photo(index: int, directory: Path = PHOTOS) -> bytes:
    """Photo ``index`` as JPEG bytes, generated once per machine (seed = index)."""
    path = photo_path(index, directory)
    if path.exists():
        return path.read_bytes()
    from bench.images import photo

    width, height = shape(index)
    buf = io.BytesIO()
    photo(width, height, seed=1000 + index).save(buf, "JPEG", quality=QUALITY)
    data = buf.getvalue()
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_suffix(f".{os.getpid()}.tmp")
    scratch.write_bytes(data)
    os.replace(scratch, path)  # atomic: parallel workers never read half a file
    return data


def gallery_photos(count: int, directory: Path = PHOTOS) -> list[bytes]:
    return [gallery_photo(index, directory) for index in range(count)]
