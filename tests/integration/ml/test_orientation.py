"""The four-way orientation classifier (labels 0/90/180/270 from the model's metadata).

The label is the clockwise rotation of the content from upright: Pillow's ``rotate(k)`` turns
an image k degrees counter-clockwise, i.e. (360 - k) clockwise, so that is the expected angle,
and ``image.rotate(angle, expand=True)`` puts the image back upright.
"""

from __future__ import annotations

import pytest
from PIL import Image

from imageml import models, run_orientation

from .conftest import background, jpeg_bytes


def test_labels_come_from_the_model():
    assert models.metadata_list(models.ORIENTATION_FILE) == ["0", "90", "180", "270"]


@pytest.mark.parametrize("ccw", [0, 90, 180, 270])
def test_each_rotation(paragraph_image, ccw):
    img = paragraph_image.rotate(ccw, expand=True)
    pred = run_orientation(img)
    assert pred.angle == (360 - ccw) % 360
    assert 0.5 < pred.confidence <= 1.0
    assert run_orientation(img.rotate(pred.angle, expand=True)).angle == 0


def test_large_jpeg_bytes(paragraph_image):
    big = paragraph_image.resize((3600, 2800), Image.BICUBIC).rotate(90, expand=True)
    assert run_orientation(jpeg_bytes(big)).angle == 270


def test_image_without_text_still_answers():
    pred = run_orientation(background(640, 480, seed=9))
    assert pred.angle in (0, 90, 180, 270)
    assert 0.0 <= pred.confidence <= 1.0


def test_a_heic_original_is_read_through_the_predictor(paragraph_image):
    """A HEIC original (issue 13) reaches the model: the predictor registers the HEIC opener."""
    import io

    import pillow_heif

    from imageapi.adapters.ml import ImagemlPredictor

    buf = io.BytesIO()
    pillow_heif.from_pillow(paragraph_image.rotate(90, expand=True)).save(buf, format="HEIF", quality=90)
    predictions, _ = ImagemlPredictor().run("orientation", buf.getvalue())
    assert predictions[0]["angle"] == 270
