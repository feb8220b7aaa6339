"""The prediction use case (SPEC §3.7): a stored result for this image, task and model version,
else run the model on the original once and keep what it answered."""

from dataclasses import dataclass
from typing import Literal

from pydantic import Field

from imageapi.domain.base import Model
from imageapi.domain.images import ImageService
from imageapi.domain.ports import Predictor

Task = Literal["ocr", "orientation"]


class OcrPredictionOut(Model):
    text: str
    confidence: float = Field(ge=0, le=1)
    box: list[int] = Field(min_length=4, max_length=4, description="[x, y, w, h] in the image's pixels")


class OrientationPredictionOut(Model):
    angle: Literal[0, 90, 180, 270] = Field(description="clockwise rotation of the content from upright")
    confidence: float = Field(ge=0, le=1)


class PredictionResult(Model):
    task: Task
    model: str
    model_version: str
    predictions: list[OcrPredictionOut] | list[OrientationPredictionOut]
    inference_ms: float


@dataclass
class PredictionService:
    images: ImageService
    predictor: Predictor

    def predict(self, owner: str, image_id: str, task: Task) -> PredictionResult:
        record = self.images.get_image(owner, image_id)  # 404 for unknown and foreign ids
        self.images.require_ready(record)  # 409 while pending or when rejected
        model, version = self.predictor.model_info(task)
        repository = self.images.repository
        stored = repository.get_prediction(owner, record.id, task, version)
        if stored is not None:
            return PredictionResult.model_validate_json(stored)
        predictions, inference_ms = self.predictor.run(task, self.images.original_bytes(record))
        result = PredictionResult.model_validate(
            {
                "task": task,
                "model": model,
                "model_version": version,
                "predictions": predictions,
                "inference_ms": inference_ms,
            }
        )
        repository.put_prediction(owner, record.id, task, version, result.model_dump_json())
        return result
