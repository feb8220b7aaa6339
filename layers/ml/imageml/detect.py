"""DB (differentiable binarisation) text detection with PP-OCRv4 det, post-processed in numpy.

Steps: resize so the longer side is at most ``max_side`` (both sides multiples of 32), normalise
as PP-OCR does ((x/255 - 0.5) / 0.5, BGR channel order), run the model, threshold the probability
map, dilate by a 2x2 kernel, label 8-connected regions (run-length scan + union-find), score each
region by its mean probability, fit a *rotated* minimum-area rectangle to the region's convex
hull (rotating calipers), expand it by the DB unclip distance ``area * ratio / perimeter`` (for
a rectangle the rounded offset polygon's min-area rectangle is the rectangle grown by that
distance on every side), and map it back to the input image's pixel coordinates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from . import models

DEFAULT_MAX_SIDE = 960
DEFAULT_MAX_BOXES = 100
THRESH = 0.3
BOX_THRESH = 0.5
UNCLIP_RATIO = 1.6
MIN_SIZE = 3


@dataclass
class TextBox:
    quad: np.ndarray  # (4, 2) float32: top-left, top-right, bottom-right, bottom-left
    score: float

    def xywh(self, width: int, height: int) -> list[int]:
        x0 = max(0, int(np.floor(self.quad[:, 0].min())))
        y0 = max(0, int(np.floor(self.quad[:, 1].min())))
        x1 = min(width, int(np.ceil(self.quad[:, 0].max())))
        y1 = min(height, int(np.ceil(self.quad[:, 1].max())))
        return [x0, y0, max(0, x1 - x0), max(0, y1 - y0)]


def to_bgr_array(image: Image.Image) -> np.ndarray:
    """HxWx3 uint8 in BGR order (PP-OCR models were trained on OpenCV's BGR)."""
    if image.mode != "RGB":
        image = image.convert("RGB")
    return np.asarray(image)[:, :, ::-1]


def _target_size(w: int, h: int, max_side: int) -> tuple[int, int]:
    ratio = min(1.0, max_side / max(w, h))
    tw = max(32, round(w * ratio / 32) * 32)
    th = max(32, round(h * ratio / 32) * 32)
    return tw, th


def preprocess(image: Image.Image, max_side: int) -> np.ndarray:
    tw, th = _target_size(image.width, image.height, max_side)
    resized = image.convert("RGB").resize((tw, th), Image.Resampling.BILINEAR)
    x = np.asarray(resized, dtype=np.float32)[:, :, ::-1]
    x = x * np.float32(2.0 / 255.0) - np.float32(1.0)
    return np.ascontiguousarray(x.transpose(2, 0, 1)[None])


# ---------------------------------------------------------------- connected regions


def _runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Horizontal runs of True: (row, start, end) with end exclusive, sorted by row then start."""
    h, w = mask.shape
    padded = np.zeros((h, w + 2), dtype=np.int8)
    padded[:, 1:-1] = mask
    d = np.diff(padded, axis=1)
    rs, cs = np.nonzero(d == 1)
    _, ce = np.nonzero(d == -1)
    return rs, cs, ce


def label_runs(rows: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Label runs into 8-connected components. Returns a component index per run (0..n-1)."""
    n = len(rows)
    parent = list(range(n))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    if n == 0:
        return np.zeros(0, dtype=np.int64)
    # index range of each row's runs
    row_vals = rows.tolist()
    st = starts.tolist()
    en = ends.tolist()
    bounds = np.flatnonzero(np.diff(rows)) + 1
    first = [0, *bounds.tolist()]
    last = [*bounds.tolist(), n]
    prev_row, prev_lo, prev_hi = -2, 0, 0
    for lo, hi in zip(first, last, strict=True):
        r = row_vals[lo]
        if r == prev_row + 1:
            j = prev_lo
            for i in range(lo, hi):
                s, e = st[i], en[i]
                # 8-connectivity: runs touch if [s-1, e+1) overlaps [s', e')
                while j < prev_hi and en[j] < s:  # en[j] <= s-1 -> cannot touch
                    j += 1
                k = j
                while k < prev_hi and st[k] <= e:  # st[k] < e+1
                    ra, rb = find(i), find(k)
                    if ra != rb:
                        parent[ra] = rb
                    k += 1
        prev_row, prev_lo, prev_hi = r, lo, hi
    roots = np.fromiter((find(i) for i in range(n)), dtype=np.int64, count=n)
    _, labels = np.unique(roots, return_inverse=True)
    return labels


# ---------------------------------------------------------------- geometry


def convex_hull(points: np.ndarray) -> np.ndarray:
    """Monotone-chain convex hull of (N, 2) float points, counter-clockwise, no repeats."""
    pts = np.unique(points, axis=0)
    if len(pts) <= 2:
        return pts
    pts = pts[np.lexsort((pts[:, 1], pts[:, 0]))]
    p = pts.tolist()

    def cross(o, a, b):
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    lower: list = []
    for q in p:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], q) <= 0:
            lower.pop()
        lower.append(q)
    upper: list = []
    for q in reversed(p):
        while len(upper) >= 2 and cross(upper[-2], upper[-1], q) <= 0:
            upper.pop()
        upper.append(q)
    return np.array(lower[:-1] + upper[:-1], dtype=np.float64)


def min_area_rect(points: np.ndarray) -> tuple[np.ndarray, float, float, float]:
    """Rotated minimum-area rectangle of a point set (rotating calipers over hull edges).

    Returns (center (2,), width along the angle, height across it, angle in radians).
    """
    hull = convex_hull(points)
    if len(hull) == 1:
        return hull[0].astype(np.float64), 0.0, 0.0, 0.0
    edges = np.roll(hull, -1, axis=0) - hull
    angles = np.unique(np.mod(np.arctan2(edges[:, 1], edges[:, 0]), np.pi / 2))
    c, s = np.cos(angles), np.sin(angles)
    # rotate all hull points by -angle for every candidate angle: (A, N)
    xr = hull[None, :, 0] * c[:, None] + hull[None, :, 1] * s[:, None]
    yr = -hull[None, :, 0] * s[:, None] + hull[None, :, 1] * c[:, None]
    wmin, wmax = xr.min(1), xr.max(1)
    hmin, hmax = yr.min(1), yr.max(1)
    area = (wmax - wmin) * (hmax - hmin)
    k = int(np.argmin(area))
    cxr, cyr = (wmin[k] + wmax[k]) / 2, (hmin[k] + hmax[k]) / 2
    center = np.array([cxr * c[k] - cyr * s[k], cxr * s[k] + cyr * c[k]])
    return center, float(wmax[k] - wmin[k]), float(hmax[k] - hmin[k]), float(angles[k])


def rect_corners(center: np.ndarray, w: float, h: float, angle: float) -> np.ndarray:
    """Corners ordered top-left, top-right, bottom-right, bottom-left (image coordinates)."""
    c, s = np.cos(angle), np.sin(angle)
    ux, uy = np.array([c, s]) * w / 2, np.array([-s, c]) * h / 2
    pts = np.array([center - ux - uy, center + ux - uy, center + ux + uy, center - ux + uy])
    return order_quad(pts)


def order_quad(pts: np.ndarray) -> np.ndarray:
    """Order 4 points as tl, tr, br, bl (same rule as rapidocr's order_points_clockwise)."""
    xs = pts[np.argsort(pts[:, 0], kind="stable")]
    left = xs[:2][np.argsort(xs[:2, 1], kind="stable")]
    right = xs[2:][np.argsort(xs[2:, 1], kind="stable")]
    return np.array([left[0], right[0], right[1], left[1]], dtype=np.float32)


# ---------------------------------------------------------------- post-processing


def postprocess(
    prob: np.ndarray,
    dest_w: int,
    dest_h: int,
    max_boxes: int = DEFAULT_MAX_BOXES,
    thresh: float = THRESH,
    box_thresh: float = BOX_THRESH,
    unclip_ratio: float = UNCLIP_RATIO,
) -> list[TextBox]:
    """Probability map (H, W) -> text boxes in a (dest_w, dest_h) coordinate frame."""
    h, w = prob.shape
    mask = prob > thresh
    # cv2.dilate with a 2x2 kernel (anchor at (1, 1)): out[y, x] = max(in[y-1:y+1, x-1:x+1])
    dil = mask.copy()
    dil[1:, :] |= mask[:-1, :]
    dil[:, 1:] |= mask[:, :-1]
    dil[1:, 1:] |= mask[:-1, :-1]
    rows, starts, ends = _runs(dil)
    if len(rows) == 0:
        return []
    labels = label_runs(rows, starts, ends)
    ncomp = int(labels.max()) + 1

    # mean probability over each region (on the dilated mask) via per-row cumulative sums
    cs = np.zeros((h, w + 1), dtype=np.float64)
    np.cumsum(prob, axis=1, out=cs[:, 1:])
    run_sum = cs[rows, ends] - cs[rows, starts]
    run_len = (ends - starts).astype(np.float64)
    score = np.bincount(labels, weights=run_sum, minlength=ncomp) / np.bincount(
        labels, weights=run_len, minlength=ncomp
    )
    area = np.bincount(labels, weights=run_len, minlength=ncomp)

    # candidates: well scored, biggest first (rapidocr caps contours at max_candidates too)
    ranked = np.argsort(-area, kind="stable")
    order = [int(i) for i in ranked if score[i] >= box_thresh and area[i] >= MIN_SIZE * MIN_SIZE]
    if not order:
        return []
    by_label = np.argsort(labels, kind="stable")
    splits = np.searchsorted(labels[by_label], np.arange(ncomp + 1))
    sx, sy = dest_w / w, dest_h / h
    boxes: list[TextBox] = []
    for comp in order:
        idx = by_label[splits[comp] : splits[comp + 1]]
        r = rows[idx].astype(np.float64)
        # pixel-centre coordinates of the run end points (what OpenCV's contours hold)
        pts = np.concatenate([np.stack([starts[idx], r], 1), np.stack([ends[idx] - 1, r], 1)]).astype(np.float64)
        center, bw, bh, ang = min_area_rect(pts)
        if min(bw, bh) < MIN_SIZE:
            continue
        dist = (bw * bh) * unclip_ratio / (2 * (bw + bh))
        bw, bh = bw + 2 * dist, bh + 2 * dist
        if min(bw, bh) < MIN_SIZE + 2:
            continue
        quad = rect_corners(center, bw, bh, ang).astype(np.float64)
        quad[:, 0] = np.clip(np.round(quad[:, 0] * sx), 0, dest_w)
        quad[:, 1] = np.clip(np.round(quad[:, 1] * sy), 0, dest_h)
        quad = order_quad(quad)
        if np.linalg.norm(quad[0] - quad[1]) <= 3 or np.linalg.norm(quad[0] - quad[3]) <= 3:
            continue
        boxes.append(TextBox(quad=quad, score=float(score[comp])))
        if len(boxes) >= max_boxes:
            break
    return sort_reading_order(boxes)


def sort_reading_order(boxes: list[TextBox]) -> list[TextBox]:
    """Top to bottom, left to right; boxes whose tops are within 10 px count as one line."""
    boxes = sorted(boxes, key=lambda b: (float(b.quad[0, 1]), float(b.quad[0, 0])))
    for i in range(len(boxes) - 1):
        for j in range(i, -1, -1):
            a, b = boxes[j], boxes[j + 1]
            if abs(b.quad[0, 1] - a.quad[0, 1]) < 10 and b.quad[0, 0] < a.quad[0, 0]:
                boxes[j], boxes[j + 1] = b, a
            else:
                break
    return boxes


def detect(image: Image.Image, max_side: int = DEFAULT_MAX_SIDE, max_boxes: int = DEFAULT_MAX_BOXES) -> list[TextBox]:
    """Text boxes in ``image``'s pixel coordinates."""
    x = preprocess(image, max_side)
    sess = models.session(models.DET_FILE)
    prob = sess.run(None, {sess.get_inputs()[0].name: x})[0][0, 0]
    return postprocess(prob, image.width, image.height, max_boxes=max_boxes)
