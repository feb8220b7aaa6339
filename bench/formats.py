# ruff: noqa: E501  (child scripts are embedded as strings; their lines are kept whole)
"""Formats (issue 13): AVIF and HEIC 12 MP sources -> fit 400x400 JPEG/WebP/AVIF, ours vs libvips;
AVIF encode time of a 2048 px rendition at the default quality/speed; bytes of the thumbnail and
display renditions in AVIF and WebP against JPEG q82 at equal PSNR.

Timings: a fresh interpreter pinned to core 0 per method and source, one untimed warm-up call per
output, then the median CPU time (process_time, every thread) of ``reps`` calls; the parent
reports the median over ``rounds``. libvips is pyvips-binary's (bench/.work/venv-vips, shared with
the renditions section); where that build cannot read a source (its libheif has no HEVC decoder)
the row says so instead of a figure.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import Any

from bench import images
from bench.common import CORE, Row, child_env, median, run_child
from bench.renditions import ensure_vips, psnr, vips_version

SOURCES = {"avif_4000x3000": "AVIF", "heic_4000x3000": "HEIF"}
OUTPUTS = ("jpeg", "webp", "avif")
BOX = 400

CHILD = r"""
import json, statistics, sys, time
method, path, reps, core = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
BOX = 400
data = open(path, "rb").read()
if method == "ours":
    sys.path.insert(0, core)
    from imageapi.adapters.pixels import process as imaging
    from imageapi.domain.models import Fit
    def run(fmt):  # what the download function's renderer runs for ?w=400&h=400&format=
        return imaging.render(data, max_pixels=50_000_000, width=BOX, height=BOX, fit=Fit.contain, format=fmt).data
else:
    import pyvips
    pyvips.cache_set_max(0)
    def run(fmt):
        t = pyvips.Image.thumbnail_buffer(data, BOX, height=BOX)
        if fmt == "jpeg":
            return t.jpegsave_buffer(Q=82, optimize_coding=True, interlace=True, keep="none")
        if fmt == "webp":
            return t.webpsave_buffer(Q=82, effort=4, keep="none")
        return t.heifsave_buffer(Q=60, compression="av1", effort=1, keep="none")  # effort 1 = aom speed 8, as ours
result = {}
for fmt in ("jpeg", "webp", "avif"):
    try:
        out = run(fmt)
    except Exception as exc:
        result[fmt] = {"error": " ".join(str(exc).split())[-200:]}  # the cause is on the last line
        continue
    times = []
    for _ in range(reps):
        t0 = time.process_time()
        run(fmt)
        times.append(time.process_time() - t0)
    result[fmt] = {"median_s": statistics.median(times), "bytes": len(out)}
print(json.dumps(result))
"""

ENCODE_CHILD = r"""
import json, statistics, sys, time
core, path, reps = sys.argv[1], sys.argv[2], int(sys.argv[3])
sys.path.insert(0, core)
from PIL import Image
from imageapi.adapters.pixels.encoding import encode
from imageapi.adapters.pixels.tunables import AVIF_QUALITY, AVIF_SPEED
im = Image.open(path).convert("RGB")
im.thumbnail((2048, 2048))
res = {"size": im.size, "quality": AVIF_QUALITY, "speed": AVIF_SPEED}
encode(im, "AVIF", None)  # warm-up
for name, fn in (("default", lambda: encode(im, "AVIF", None).data),
                 ("speed6", lambda: (lambda b: (im.save(b, "AVIF", quality=AVIF_QUALITY, speed=6), b.getvalue())[1])(__import__("io").BytesIO()))):
    walls, cpus, size = [], [], 0
    for _ in range(reps):
        w0, c0 = time.perf_counter(), time.process_time()
        size = len(fn())
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    res[name] = {"wall_s": statistics.median(walls), "cpu_s": statistics.median(cpus), "bytes": size}
print(json.dumps(res))
"""


def _source(name: str) -> Path:
    """A 12 MP photo-like source (bench/images.photo) encoded as AVIF or HEIC, made once."""
    path = images.IMAGES / f"{name}.{'avif' if name.startswith('avif') else 'heic'}"
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    photo = images.photo(4000, 3000)
    if name.startswith("avif"):
        photo.save(path, "AVIF", quality=80, speed=8)
    else:
        import pillow_heif  # dev-only: its x265 encodes the HEIC source

        pillow_heif.from_pillow(photo).save(str(path), quality=80)
    return path


def _encode(im: Any, fmt: str, quality: int) -> bytes:
    buf = io.BytesIO()
    if fmt == "JPEG":
        im.save(buf, "JPEG", quality=quality, optimize=True, progressive=True)
    elif fmt == "WEBP":
        im.save(buf, "WEBP", quality=quality, method=4)
    else:
        im.save(buf, "AVIF", quality=quality, speed=8)
    return buf.getvalue()


def _decoded(data: bytes) -> Any:
    from PIL import Image

    return Image.open(io.BytesIO(data)).convert("RGB")


def _bytes_at_psnr(ref: Any, fmt: str, target: float) -> tuple[int, int, float]:
    """Smallest quality whose PSNR reaches ``target`` (bisection over 1..100): (bytes, q, psnr)."""
    lo, hi, best = 1, 100, None
    while lo <= hi:
        q = (lo + hi) // 2
        data = _encode(ref, fmt, q)
        p = psnr(_decoded(data), ref)
        if p >= target:
            best, hi = (len(data), q, p), q - 1
        else:
            lo = q + 1
    return best or (len(_encode(ref, fmt, 100)), 100, psnr(_decoded(_encode(ref, fmt, 100)), ref))


def run(rounds: int = 3, reps: int = 3) -> tuple[list[Row], dict[str, Any]]:
    from PIL import Image

    vips = ensure_vips()
    methods = ["ours", "vips"] if vips else ["ours"]
    paths = {name: _source(name) for name in SOURCES}
    env = child_env()
    times: dict[str, dict[str, dict[str, list[float]]]] = {}
    notes: dict[str, dict[str, dict[str, str]]] = {}
    sizes: dict[str, dict[str, dict[str, int]]] = {}
    for r in range(rounds):
        for name, path in paths.items():
            for method in methods[r % 2 :] + methods[: r % 2]:
                python = str(vips) if method == "vips" and vips else sys.executable
                res = run_child(CHILD, method, str(path), str(reps), str(CORE), python=python, env=env)
                for fmt in OUTPUTS:
                    if "error" in res[fmt]:
                        notes.setdefault(name, {}).setdefault(method, {})[fmt] = res[fmt]["error"]
                        continue
                    times.setdefault(name, {}).setdefault(method, {}).setdefault(fmt, []).append(res[fmt]["median_s"])
                    sizes.setdefault(name, {}).setdefault(method, {})[fmt] = res[fmt]["bytes"]
        print(f"  formats: round {r + 1}/{rounds} done", flush=True)

    rows: list[Row] = []
    details: dict[str, Any] = {"libvips": vips_version(vips) if vips else None, "times": times, "errors": notes}
    for name in paths:
        for fmt in OUTPUTS:
            ours = median(times.get(name, {}).get("ours", {}).get(fmt, []))
            theirs = times.get(name, {}).get("vips", {}).get(fmt)
            if theirs:
                value = f"{ours * 1000:.0f} ms vs {median(theirs) * 1000:.0f} ms (x{ours / median(theirs):.2f})"
                note = ""
            else:
                value = f"{ours * 1000:.0f} ms vs n/a"
                note = "libvips: " + notes.get(name, {}).get("vips", {}).get(fmt, "not installed")
            rows.append(
                Row(
                    "8 formats",
                    f"{name} -> fit {BOX} {fmt}: ours vs libvips (CPU)",
                    value,
                    "",
                    "",
                    None,
                    note,
                    key="formats",
                )
            )

    encoded = run_child(ENCODE_CHILD, str(CORE), str(paths["avif_4000x3000"]), str(reps), env=env)
    details["avif_encode"] = encoded
    d, s6 = encoded["default"], encoded["speed6"]
    rows.append(
        Row(
            "8 formats",
            f"AVIF encode {encoded['size'][0]}x{encoded['size'][1]} q{encoded['quality']} speed {encoded['speed']} (wall | CPU)",
            f"{d['wall_s'] * 1000:.0f} ms | {d['cpu_s'] * 1000:.0f} ms",
            "",
            "< 5 s (ingest timeout 60 s)",
            d["wall_s"] < 5,
            f"Pillow's default speed 6: {s6['wall_s'] * 1000:.0f} ms, {s6['bytes']} B vs {d['bytes']} B",
            key="formats",
        )
    )

    photo = images.photo(4000, 3000)
    details["equal_psnr"] = {}
    for label, box in (("thumbnail", 256), ("display", 2048)):
        ref = photo.copy()
        ref.thumbnail((box, box), Image.Resampling.LANCZOS)
        jpeg = _encode(ref, "JPEG", 82)
        target = psnr(_decoded(jpeg), ref)
        found = {fmt: _bytes_at_psnr(ref, fmt, target) for fmt in ("WEBP", "AVIF")}
        details["equal_psnr"][label] = {"jpeg": [len(jpeg), 82, target], **found}
        value = " | ".join(f"{fmt} {b} B (q{q}, x{b / len(jpeg):.2f})" for fmt, (b, q, _) in found.items())
        rows.append(
            Row(
                "8 formats",
                f"{label} {ref.width}x{ref.height} bytes at JPEG q82's PSNR ({target:.1f} dB, {len(jpeg)} B)",
                value,
                "",
                "",
                None,
                key="formats",
            )
        )
    return rows, details
