"""1. Renditions: decode + fit 400x400 + encode (JPEG q82, WebP q82), ours vs naive Pillow vs libvips.

Each measurement is a fresh interpreter pinned to core 0 (libvips with one thread). In the
child: one untimed call per output format (warm-up: the libraries' lazy initialisation is not
what we compare), then ``reps`` timed calls per format; the child reports the median CPU time (process_time, all
threads: steadier than wall time on a shared core; wall time is kept beside it). The
parent repeats that in ``rounds`` rounds, the three pipelines interleaved image by image, and
reports the median over rounds; ratios are taken per round (side by side) and their median
reported, because absolute times on a shared machine drift.

Quality: every output is decoded and compared (PSNR, RGB composited on white) with a reference
made from a full-resolution decode resized with Pillow LANCZOS (float precision resampling of
every source pixel), kept lossless.
"""

from __future__ import annotations

import math
import subprocess
import sys
import venv
from pathlib import Path
from typing import Any

from bench import images
from bench.common import CORE, WORK, Row, child_env, median, run_child

VIPS_VENV = WORK / "venv-vips"
OUT = WORK / "renditions"
BOX = 400
FORMATS = ("jpeg", "webp")
QUALITY = 82
WEBP_METHOD = 4  # imaging.WEBP effort; libvips gets the same

CHILD = r"""
import io, json, statistics, sys, time
method, path, reps, out_prefix, core = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
BOX, Q, EFFORT = 400, 82, 4
data = open(path, "rb").read()

if method == "ours":
    sys.path.insert(0, core)
    from imageapi.adapters.pixels import process as imaging
    from imageapi.domain.models import Fit
    def run(fmt):
        # exactly what the download function's renderer calls for ?w=400&h=400&format=...
        return imaging.render(data, max_pixels=50_000_000, width=BOX, height=BOX, fit=Fit.contain, format=fmt).data
elif method == "pillow":
    from PIL import Image
    def run(fmt):
        im = Image.open(io.BytesIO(data))
        scale = min(BOX / im.width, BOX / im.height)
        out = im.resize((max(1, round(im.width * scale)), max(1, round(im.height * scale))))
        buf = io.BytesIO()
        if fmt == "jpeg":
            out.convert("RGB").save(buf, "JPEG", quality=Q)
        else:
            out.save(buf, "WEBP", quality=Q)
        return buf.getvalue()
else:
    import pyvips
    pyvips.cache_set_max(0)  # never answer from libvips' operation cache
    def run(fmt):
        t = pyvips.Image.thumbnail_buffer(data, BOX, height=BOX)
        if fmt == "jpeg":
            if t.hasalpha():
                t = t.flatten(background=[255, 255, 255])
            # same encoder settings as ours: q82, optimised Huffman tables, baseline (not interlaced)
            return t.jpegsave_buffer(Q=Q, optimize_coding=True, interlace=False, keep="none")
        return t.webpsave_buffer(Q=Q, effort=EFFORT, keep="none")

result = {}
for fmt in ("jpeg", "webp"):
    out = run(fmt)  # warm-up, and the output kept for PSNR
    open(f"{out_prefix}.{fmt}", "wb").write(out)
    times, walls = [], []
    for _ in range(reps):
        t0, w0 = time.process_time(), time.perf_counter()
        run(fmt)
        times.append(time.process_time() - t0)
        walls.append(time.perf_counter() - w0)
    result[fmt] = {"median_s": statistics.median(times), "wall_s": statistics.median(walls), "bytes": len(out)}
print(json.dumps(result))
"""


def ensure_vips() -> Path | None:
    """bench/.work/venv-vips with pyvips + the pyvips-binary wheel (which ships libvips)."""
    python = VIPS_VENV / "bin" / "python"
    probe = [str(python), "-c", "import pyvips; print(pyvips.version(0), pyvips.version(1), pyvips.version(2))"]
    if python.exists() and subprocess.run(probe, capture_output=True).returncode == 0:
        return python
    print("  creating bench/.work/venv-vips (pyvips + pyvips-binary) ...", flush=True)
    venv.EnvBuilder(with_pip=True, clear=True).create(VIPS_VENV)
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    if subprocess.run([*pip, "pyvips", "pyvips-binary"]).returncode != 0 or subprocess.run(probe).returncode != 0:
        # Fallback: Debian's libvips (apt-get install libvips42) + the cffi binding in API mode.
        print("  pyvips-binary failed; trying Debian's libvips42", flush=True)
        sudo = [] if subprocess.run(["id", "-u"], capture_output=True, text=True).stdout.strip() == "0" else ["sudo"]
        subprocess.run([*sudo, "apt-get", "install", "-y", "-qq", "libvips42"], check=False)
        subprocess.run([*pip, "pyvips"], check=False)
        if subprocess.run(probe).returncode != 0:
            return None
    return python


def vips_version(python: Path) -> str:
    code = "import pyvips; print(f'{pyvips.version(0)}.{pyvips.version(1)}.{pyvips.version(2)}')"
    return subprocess.run([str(python), "-c", code], capture_output=True, text=True).stdout.strip()


# ------------------------------------------------------------------ quality


def _on_white(im: Any) -> Any:
    from PIL import Image

    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        im = im.convert("RGBA")
        canvas = Image.new("RGB", im.size, (255, 255, 255))
        canvas.paste(im, mask=im.getchannel("A"))
        return canvas
    return im.convert("RGB")


_REF_CACHE: dict[tuple[str, tuple[int, int]], Any] = {}


def reference(path: Path, size: tuple[int, int]) -> Any:
    """Full decode, EXIF orientation applied, LANCZOS to ``size``, composited on white."""
    from PIL import Image, ImageOps

    key = (str(path), size)
    if key not in _REF_CACHE:
        with Image.open(path) as opened:
            im = ImageOps.exif_transpose(opened)
            im = im.convert("RGBA" if im.has_transparency_data else "RGB")
            ref = im.resize(size, Image.Resampling.LANCZOS)
        ref_path = OUT / f"{path.stem}_ref_{size[0]}x{size[1]}.png"
        ref.save(ref_path)  # lossless, for inspection
        _REF_CACHE[key] = _on_white(ref)
    return _REF_CACHE[key]


def psnr(a: Any, b: Any) -> float:
    from PIL import ImageChops, ImageStat

    diff = ImageChops.difference(a, b)
    stat = ImageStat.Stat(diff)
    mse = sum(stat.sum2) / (a.width * a.height * len(stat.sum2))
    return float("inf") if mse == 0 else 10 * math.log10(255**2 / mse)


def quality(path: Path, output: Path) -> tuple[float, tuple[int, int]]:
    from PIL import Image

    with Image.open(output) as im:
        out = _on_white(im)
    return psnr(out, reference(path, out.size)), out.size


# ------------------------------------------------------------------ run


def run(rounds: int = 5, reps: int = 3, naive_rounds: int = 3) -> tuple[list[Row], dict[str, Any]]:
    OUT.mkdir(parents=True, exist_ok=True)
    vips_python = ensure_vips()
    names = list(images.RENDITION_IMAGES)
    paths = {n: images.ensure(n) for n in names}
    methods = ["ours", "vips", "pillow"] if vips_python else ["ours", "pillow"]
    env = child_env()
    # times[name][method][fmt] = [per-round child median]
    times: dict[str, dict[str, dict[str, list[float]]]] = {
        n: {m: {f: [] for f in FORMATS} for m in methods} for n in names
    }
    sizes: dict[str, dict[str, dict[str, int]]] = {n: {m: {} for m in methods} for n in names}
    for r in range(rounds):
        for name in names:
            order = methods[r % len(methods) :] + methods[: r % len(methods)]  # rotate who goes first
            for method in order:
                if method == "pillow" and r >= naive_rounds:
                    continue
                python = str(vips_python) if method == "vips" else sys.executable
                prefix = OUT / f"{name}_{method}"
                n_reps = 1 if method == "pillow" else reps
                res = run_child(
                    CHILD, method, str(paths[name]), str(n_reps), str(prefix), str(CORE), python=python, env=env
                )
                for fmt in FORMATS:
                    times[name][method][fmt].append(res[fmt]["median_s"])
                    sizes[name][method][fmt] = res[fmt]["bytes"]
        print(f"  renditions: round {r + 1}/{rounds} done", flush=True)

    rows: list[Row] = []
    details: dict[str, Any] = {"libvips": vips_version(vips_python) if vips_python else None, "images": {}}
    for name in names:
        kind = name.split("_", 1)[0]
        limit = 1.0 if kind == "jpeg" else 1.2
        det: dict[str, Any] = {"bytes": paths[name].stat().st_size, "size": images.RENDITION_IMAGES[name][:2]}
        for fmt in FORMATS:
            per: dict[str, Any] = {}
            for method in methods:
                t = times[name][method][fmt]
                out_file = OUT / f"{name}_{method}.{fmt}"
                p, size = quality(paths[name], out_file)
                per[method] = {
                    "median_ms": round(median(t) * 1000, 2),
                    "rounds_ms": [round(x * 1000, 2) for x in t],
                    "psnr_db": round(p, 2),
                    "output": list(size),
                    "bytes": sizes[name][method][fmt],
                }
            if "vips" in methods:
                ratios = [o / v for o, v in zip(times[name]["ours"][fmt], times[name]["vips"][fmt], strict=True)]
                ratio = median(ratios)
                per["ratio_ours_vs_vips_per_round"] = [round(x, 3) for x in ratios]
                rows.append(
                    Row(
                        "1 renditions",
                        f"{name} -> {fmt}: ours / libvips",
                        round(ratio, 2),
                        "x",
                        f"<= {limit:.1f}x",
                        ratio <= limit,
                        extra={
                            "ours_ms": per["ours"]["median_ms"],
                            "vips_ms": per["vips"]["median_ms"],
                            "pillow_ms": per["pillow"]["median_ms"],
                        },
                    )
                )
            rows.append(
                Row(
                    "1 renditions",
                    f"{name} -> {fmt}: ms ours | libvips | naive Pillow",
                    " | ".join(f"{per[m]['median_ms']:.0f}" for m in ("ours", "vips", "pillow") if m in per),
                    "ms",
                )
            )
            # Absolute PSNR is bounded by the q82 encode itself (~31-35 dB on these grainy images);
            # "no visible quality bought" = ours within 0.5 dB of libvips' output, or better.
            floor = per["vips"]["psnr_db"] - 0.5 if "vips" in per else 30.0
            rows.append(
                Row(
                    "1 renditions",
                    f"{name} -> {fmt}: PSNR dB ours | libvips | naive",
                    " | ".join(f"{per[m]['psnr_db']:.1f}" for m in ("ours", "vips", "pillow") if m in per),
                    "dB",
                    ">= libvips - 0.5 dB",
                    per["ours"]["psnr_db"] >= floor,
                )
            )
            det[fmt] = per
        details["images"][name] = det
    return rows, details


if __name__ == "__main__":
    from bench.common import print_table

    rows, details = run(rounds=int(sys.argv[1]) if len(sys.argv) > 1 else 3)
    print_table(rows)
    import json

    print(json.dumps(details, indent=1)[:4000])
