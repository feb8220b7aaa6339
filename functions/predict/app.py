"""POST /images/{id}/predictions: OCR or text orientation on the stored original (SPEC §3.7).

The models run in this process (layers/ml: onnxruntime + numpy + imageml, Pillow from the Pillow
layer); their sessions are created once per container on first use. Results are stored per
image, task and model version and answered again without re-running the model.
"""

from typing import Annotated

from pydantic import BaseModel, ConfigDict

from imageapi.context import prediction_service
from imageapi.domain.predictions import PredictionResult, Task
from imageapi.http.api import Body, build_resolver, current_owner, lambda_entry

app = build_resolver()


class PredictionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    task: Task = "ocr"


# ---------------------------------------------------------------- route


@app.post("/images/<image_id>/predictions", summary="Run OCR or orientation on an image")
def predict(image_id: str, request: Annotated[PredictionRequest | None, Body(embed=False)] = None) -> PredictionResult:
    task = (request or PredictionRequest()).task
    return prediction_service().predict(current_owner(app), image_id, task)


handler = lambda_entry(app)
