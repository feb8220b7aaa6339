"""OCR end to end on generated images, plus the numpy post-processing pieces.

Error bound: every drawn line is found by exactly one prediction whose character error rate
(Levenshtein distance / reference length) is at most 0.10, and the CER over all lines together
is at most 0.05. Box bound: the predicted [x, y, w, h] contains the drawn ink box (Pillow's
``textbbox``) with 4 px slack and their IoU is at least 0.5.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from imageml import detect, models, pipeline, recognize, run_ocr

from .conftest import LINES, background, draw_lines, jpeg_bytes
from .textmetrics import cer, contains, iou, levenshtein, xywh_to_xyxy

LINE_CER = 0.10
TOTAL_CER = 0.05


def match(preds, drawn):
    """For each drawn line, the prediction whose box overlaps its ink box most."""
    out = []
    for d in drawn:
        best = max(preds, key=lambda p: iou(xywh_to_xyxy(p.box), d.bbox), default=None)
        out.append(best)
    return out


def assert_lines_read(preds, drawn, scale=1.0, slack=4):
    matched = match(preds, drawn)
    errors = 0
    for d, p in zip(drawn, matched, strict=True):
        assert p is not None, f"nothing found for {d.text!r}"
        ink = tuple(v * scale for v in d.bbox)
        box = xywh_to_xyxy(p.box)
        assert contains(box, ink, slack=slack), (d.text, box, ink)
        assert iou(box, ink) >= 0.5, (d.text, box, ink, iou(box, ink))
        assert cer(d.text, p.text) <= LINE_CER, (d.text, p.text)
        errors += levenshtein(d.text, p.text)
    assert errors / sum(len(d.text) for d in drawn) <= TOTAL_CER
    # one prediction per line, nothing invented
    assert len(preds) == len(drawn), [p.text for p in preds]
    assert len({id(p) for p in matched}) == len(drawn)


def test_reads_lines_of_several_sizes(text_image):
    img, drawn = text_image
    preds = run_ocr(img)
    assert_lines_read(preds, drawn)
    for p in preds:
        assert 0.5 <= p.confidence <= 1.0
        assert all(isinstance(v, int) for v in p.box)
    # reading order: top to bottom
    tops = [p.box[1] for p in preds]
    assert tops == sorted(tops)


def test_png_bytes_and_rgba_input(text_image):
    img, drawn = text_image
    import io

    buf = io.BytesIO()
    img.convert("RGBA").save(buf, "PNG")
    assert_lines_read(run_ocr(buf.getvalue()), drawn)


def test_large_jpeg_decoded_at_reduced_scale_boxes_in_original_pixels():
    # 3x the size: the JPEG is drafted down (1/2) and boxes are mapped back up.
    img = background(3840, 2160, seed=1)
    lines = [(t, s * 3, (x * 3, y * 3)) for t, s, (x, y) in LINES[:4]]
    drawn = draw_lines(img, lines)
    data = jpeg_bytes(img)
    work, full = pipeline.load_image(data, max_side=pipeline.OCR_DECODE_SIDE)
    assert full == (3840, 2160)
    assert work.size == (1920, 1080), "JPEG should have been decoded at 1/2 scale"
    preds = run_ocr(data)
    # detection ran at 960 px wide, 1/4 of the original: allow 3 detection pixels of slack
    assert_lines_read(preds, drawn, slack=12)


def test_exif_orientation_is_honoured():
    # store the pixels rotated and say so in EXIF (orientation 6: rotate 90 CW to display)
    img = background(1280, 720, seed=2)
    drawn = draw_lines(img, LINES[:3])
    stored = img.transpose(Image.ROTATE_90)  # what a camera held sideways writes
    exif = Image.Exif()
    exif[0x0112] = 6
    preds = run_ocr(jpeg_bytes(stored, exif=exif))
    assert_lines_read(preds, drawn)


def test_no_text_gives_no_predictions():
    assert run_ocr(background(1280, 720, seed=5)) == []
    assert run_ocr(Image.new("RGB", (64, 64), "white")) == []


def test_tiny_image():
    assert run_ocr(Image.new("L", (3, 2), 128)) == []


def test_max_boxes_bounds_the_work():
    img = background(1000, 800, seed=6)
    words = [(f"w{i}", 28, (20 + 120 * (i % 8), 20 + 60 * (i // 8))) for i in range(80)]
    draw_lines(img, words)
    boxes = detect.detect(img, max_boxes=10)
    assert len(boxes) == 10
    assert len(run_ocr(img, max_boxes=7)) <= 7


# ------------------------------------------------------------------ pieces


def _bfs_labels(mask):
    h, w = mask.shape
    lab = -np.ones((h, w), int)
    n = 0
    for y in range(h):
        for x in range(w):
            if mask[y, x] and lab[y, x] < 0:
                stack = [(y, x)]
                lab[y, x] = n
                while stack:
                    cy, cx = stack.pop()
                    for dy in (-1, 0, 1):
                        for dx in (-1, 0, 1):
                            ny, nx = cy + dy, cx + dx
                            if 0 <= ny < h and 0 <= nx < w and mask[ny, nx] and lab[ny, nx] < 0:
                                lab[ny, nx] = n
                                stack.append((ny, nx))
                n += 1
    return lab, n


@pytest.mark.parametrize("seed", range(5))
def test_run_labelling_matches_bfs(seed):
    mask = np.random.default_rng(seed).random((40, 50)) > 0.6
    rows, starts, ends = detect._runs(mask)
    labels = detect.label_runs(rows, starts, ends)
    ref, n = _bfs_labels(mask)
    assert labels.max() + 1 == n
    # same partition: each run's pixels carry one reference label, and the mapping is 1:1
    mapping = {}
    for r, s, e, lab in zip(rows, starts, ends, labels, strict=True):
        refs = set(ref[r, s:e].tolist())
        assert len(refs) == 1
        assert mapping.setdefault(int(lab), refs.pop()) == ref[r, s]
    assert len(set(mapping.values())) == n


def test_min_area_rect_of_rotated_rectangle():
    ang = np.deg2rad(20)
    c, s = np.cos(ang), np.sin(ang)
    u = np.linspace(-50, 50, 41)
    v = np.linspace(-10, 10, 9)
    uu, vv = np.meshgrid(u, v)
    pts = np.stack([100 + uu * c - vv * s, 80 + uu * s + vv * c], -1).reshape(-1, 2)
    center, w, h, a = detect.min_area_rect(pts)
    dims = sorted([w, h])
    assert dims == pytest.approx([20, 100], abs=1e-6)
    assert center == pytest.approx([100, 80], abs=1e-6)
    quad = detect.rect_corners(center, w, h, a)
    assert quad[0][1] < quad[3][1] and quad[0][0] < quad[1][0]  # tl above bl, left of tr


def test_postprocess_unclips_and_maps_back():
    prob = np.zeros((64, 128), np.float32)
    prob[20:30, 10:90] = 0.9  # an 80x10 text kernel
    boxes = detect.postprocess(prob, dest_w=256, dest_h=128)
    assert len(boxes) == 1
    x, y, w, h = boxes[0].xywh(256, 128)
    # the 2x2 dilation grows it to 81x11 pixels, 80x10 between pixel centres; DB unclip
    # grows that by d = area * 1.6 / perimeter on every side; then x2 to the destination
    d = 80 * 10 * 1.6 / (2 * (80 + 10))
    assert w == pytest.approx((80 + 2 * d) * 2, abs=2)
    assert h == pytest.approx((10 + 2 * d) * 2, abs=2)
    assert x == pytest.approx((10 - d) * 2, abs=2)
    assert y == pytest.approx((20 - d) * 2, abs=2)


def test_postprocess_drops_low_scores_and_specks():
    prob = np.zeros((64, 64), np.float32)
    prob[5:20, 5:40] = 0.4  # above thresh, below box_thresh
    prob[40, 40] = 0.99  # a speck
    assert detect.postprocess(prob, 64, 64) == []


def test_ctc_decode_collapses_repeats_and_blanks():
    chars = ["<blank>", "a", "b", " "]
    seq = [1, 1, 0, 1, 2, 2, 0, 0, 3, 2]
    probs = np.full((1, len(seq), 4), 0.01, np.float32)
    for t, k in enumerate(seq):
        probs[0, t, k] = 0.97
    [(text, conf)] = recognize.ctc_decode(probs, chars)
    assert text == "aab b"
    assert conf == pytest.approx(0.97)


def test_dictionary_from_model_metadata():
    chars = recognize.charset()
    out_classes = models.session(models.REC_FILE).get_outputs()[0].shape[-1]
    assert len(chars) == out_classes == 6625
    assert chars[0] == "<blank>" and chars[-1] == " "
    assert set("abcXYZ0123456789.,:") <= set(chars)


def test_model_dir_env(tmp_path, monkeypatch):
    real = models.model_path(models.DET_FILE)
    (tmp_path / models.DET_FILE).symlink_to(real)
    monkeypatch.setenv("MODEL_DIR", str(tmp_path))
    assert models.model_path(models.DET_FILE) == tmp_path / models.DET_FILE
    with pytest.raises(models.ModelNotFound):
        models.model_path("nope.onnx")


def test_sessions_are_created_once_single_threaded():
    a = models.session(models.DET_FILE)
    assert models.session(models.DET_FILE) is a
    assert models.threads() == 1 or "ML_THREADS" in __import__("os").environ
