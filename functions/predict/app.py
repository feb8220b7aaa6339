"""POST /images/{id}/predictions: OCR or text orientation on the stored original (SPEC §3.7).

The models run in this process (layers/ml: onnxruntime + numpy + imageml, Pillow from the Pillow
layer); their sessions are created once per container on first use. Results are stored per
image, task and model version and answered again without re-running the model.
"""

import contextlib
from typing import Annotated, Literal

from aws_lambda_powertools.event_handler.openapi.params import Body
from imageapi import keys
from imageapi.api import build_resolver, current_owner, lambda_entry
from imageapi.context import dynamodb_client, image_service
from imageapi.errors import NotFound
from imageapi.settings import get_settings
from pydantic import BaseModel, ConfigDict, Field

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


# ---------------------------------------------------------------- stored results
# One item per (image, task, model version) under the owner's partition, next to the image item:
# pk OWNER#{sub}, sk PRED#{image id}#{task}#{model version}.


def _prediction_key(owner: str, image_id: str, task: str, version: str) -> dict:
    return {"pk": {"S": f"OWNER#{owner}"}, "sk": {"S": f"PRED#{image_id}#{task}#{version}"}}


def _load_stored(owner: str, image_id: str, task: str, version: str) -> PredictionResult | None:
    response = dynamodb_client().get_item(
        TableName=get_settings().table_name, Key=_prediction_key(owner, image_id, task, version)
    )
    item = response.get("Item")
    return PredictionResult.model_validate_json(item["doc"]["S"]) if item else None


def _store(owner: str, image_id: str, result: PredictionResult) -> None:
    client = dynamodb_client()
    with contextlib.suppress(client.exceptions.ConditionalCheckFailedException):
        client.put_item(
            TableName=get_settings().table_name,
            Item={
                **_prediction_key(owner, image_id, result.task, result.model_version),
                "image_id": {"S": image_id},
                "doc": {"S": result.model_dump_json()},
            },
            ConditionExpression="attribute_not_exists(pk)",  # a concurrent request stored it first
        )


# ---------------------------------------------------------------- route


@app.post("/images/<image_id>/predictions", summary="Run OCR or orientation on an image")
def predict(image_id: str, request: Annotated[PredictionRequest | None, Body(embed=False)] = None) -> PredictionResult:
    owner = current_owner(app)
    task = (request or PredictionRequest()).task
    service = image_service()
    # 404 for unknown and foreign ids, 409 while pending (or rejected): the same checks as analysis
    service.get_analysis(owner, image_id)

    import imageml  # the ML layer: imported on the first prediction only

    model, version = imageml.MODEL_INFO[task]
    stored = _load_stored(owner, image_id, task, version)
    if stored is not None:
        return stored
    data = service.store.get(keys.original_key(owner, image_id), max_bytes=get_settings().max_upload_bytes)
    if data is None:
        raise NotFound(f"no image with id {image_id!r}")
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = get_settings().max_pixels  # ingest enforced it already; belt and braces
    predictions, inference_ms = imageml.run(task, data)
    result = PredictionResult.model_validate(
        {
            "task": task,
            "model": model,
            "model_version": version,
            "predictions": predictions,
            "inference_ms": inference_ms,
        }
    )
    _store(owner, image_id, result)
    return result


handler = lambda_entry(app)
