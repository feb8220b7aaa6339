"""POST /images/{id}/predictions: OCR or text orientation on the stored original (SPEC §3.7).

The models run in this process (layers/ml: onnxruntime + numpy + imageml, Pillow from the Pillow
layer); their sessions are created once per container on first use. Results are stored per
image, task and model version and answered again without re-running the model.
"""

from typing import Annotated, Literal

from aws_lambda_powertools.event_handler.openapi.params import Body
from pydantic import BaseModel, ConfigDict, Field

from imageapi.api import build_resolver, current_owner, lambda_entry
from imageapi.context import image_service

app = build_resolver()

Task = Literal["ocr", "orientation"]


class PredictionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    task: Task = "ocr"


class OcrPredictionOut(BaseModel):
    text: str
    confidence: float = Field(ge=0, le=1)
    box: list[int] = Field(min_length=4, max_length=4, description="[x, y, w, h] in the image's pixels")


class OrientationPredictionOut(BaseModel):
    angle: Literal[0, 90, 180, 270] = Field(description="clockwise rotation of the content from upright")
    confidence: float = Field(ge=0, le=1)


class PredictionResult(BaseModel):
    task: Task
    model: str
    model_version: str
    predictions: list[OcrPredictionOut] | list[OrientationPredictionOut]
    inference_ms: float


# ---------------------------------------------------------------- route


@app.post("/images/<image_id>/predictions", summary="Run OCR or orientation on an image")
def predict(image_id: str, request: Annotated[PredictionRequest | None, Body(embed=False)] = None) -> PredictionResult:
    owner = current_owner(app)
    task = (request or PredictionRequest()).task
    service = image_service()
    record = service.get_image(owner, image_id)  # 404 for unknown and foreign ids
    service.require_ready(record)  # 409 while pending or when rejected

    import imageml  # the ML layer: imported on the first prediction only

    model, version = imageml.MODEL_INFO[task]
    stored = service.repository.get_prediction(owner, record.id, task, version)
    if stored is not None:
        return PredictionResult.model_validate_json(stored)
    predictions, inference_ms = imageml.run(task, service.original_bytes(record))
    result = PredictionResult.model_validate(
        {
            "task": task,
            "model": model,
            "model_version": version,
            "predictions": predictions,
            "inference_ms": inference_ms,
        }
    )
    service.repository.put_prediction(owner, record.id, task, version, result.model_dump_json())
    return result


handler = lambda_entry(app)
