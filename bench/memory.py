"""2. Memory: peak RSS of the ingest path (imaging.process_upload) in a fresh process.

The child imports everything first and records its peak RSS (VmHWM, the peak ru_maxrss would
report for a process not forked from a big parent: the baseline, interpreter + imports),
then reads the file and runs process_upload once; the figure is the peak minus that baseline,
so it holds the upload's bytes, the decoded pixels and every intermediate copy. Median of
``runs`` fresh processes.
"""

from __future__ import annotations

from typing import Any

from bench import images
from bench.common import CORE, Row, median, run_child

CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, sys.argv[2])
from imageapi.adapters.pixels import process as imaging
from imageapi.domain.models import ResizeSpec
import PIL.Image, PIL.JpegImagePlugin, PIL.PngImagePlugin, PIL.WebPImagePlugin, blurhash
def rss():
    # VmHWM: this process image's peak RSS. (ru_maxrss would do, but Linux carries it over from
    # the forking parent across exec, so a child of a big bench process would report the parent.)
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024  # KiB -> MiB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
base = rss()
data = open(sys.argv[1], "rb").read()
t0 = time.process_time()
out = imaging.process_upload(data, max_pixels=int(sys.argv[3]))
cpu = time.process_time() - t0
print(json.dumps({"baseline_mib": base, "peak_mib": rss(), "input_mib": len(data) / 2**20, "cpu_s": cpu,
                  "renditions": {k: [v.width, v.height, len(v.data)] for k, v in out.renditions.items()}}))
"""

MAX_PIXELS = 50_000_000
MAX_UPLOAD = 20 * 1024 * 1024
JPEG_TARGET_MIB = 128


def run(runs: int = 3) -> tuple[list[Row], dict[str, Any]]:
    cases = {
        "jpeg_50mp": images.ensure("jpeg_50mp"),
        "png_limit": images.largest_png(MAX_PIXELS, MAX_UPLOAD),
    }
    rows: list[Row] = []
    details: dict[str, Any] = {}
    for name, path in cases.items():
        results = [run_child(CHILD, str(path), str(CORE), str(MAX_PIXELS)) for _ in range(runs)]
        from PIL import Image

        with Image.open(path) as im:
            size, mode = im.size, im.mode
        delta = median([r["peak_mib"] - r["baseline_mib"] for r in results])
        base = median([r["baseline_mib"] for r in results])
        peak = median([r["peak_mib"] for r in results])
        details[name] = {
            "file": path.name,
            "size": list(size),
            "mode": mode,
            "pixels": size[0] * size[1],
            "input_mib": round(results[0]["input_mib"], 2),
            "baseline_mib": round(base, 1),
            "peak_mib": round(peak, 1),
            "ingest_mib": round(delta, 1),
            "cpu_s": round(median([r["cpu_s"] for r in results]), 3),
            "renditions": results[0]["renditions"],
            "runs": results,
        }
        label = f"{size[0]}x{size[1]} {mode} {path.suffix[1:].upper()}, {results[0]['input_mib']:.1f} MiB"
        if name == "jpeg_50mp":
            rows.append(
                Row(
                    "2 memory",
                    f"ingest peak RSS - baseline, {label}",
                    round(delta, 1),
                    "MiB",
                    f"<= {JPEG_TARGET_MIB} MiB",
                    delta <= JPEG_TARGET_MIB,
                )
            )
        else:
            rows.append(Row("2 memory", f"ingest peak RSS - baseline, {label}", round(delta, 1), "MiB", "report"))
        rows.append(Row("2 memory", f"  absolute peak | baseline ({name})", f"{peak:.0f} | {base:.0f}", "MiB"))
    return rows, details
