"""The ``Predictor`` on the ML layer (layers/ml: onnxruntime + numpy + imageml). imageml is imported
on the first prediction only; its sessions are created once per container."""

from typing import Any


class ImagemlPredictor:
    def model_info(self, task: str) -> tuple[str, str]:
        import imageml

        model, version = imageml.MODEL_INFO[task]
        return model, version

    def run(self, task: str, data: bytes) -> tuple[list[dict[str, Any]], float]:
        import imageml
        from imageapi.adapters.pixels.heif import heif_available

        heif_available(True)  # HEIC originals (accepted at ingest) open in imageml's Image.open too

        predictions, inference_ms = imageml.run(task, data)
        return list(predictions), float(inference_ms)
