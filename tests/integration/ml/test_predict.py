"""POST /images/{id}/predictions through the real handler on moto (SPEC §3.7): owner checks,
task validation, stored-and-reused results, OCR and orientation on an ingested image."""

from __future__ import annotations

import copy
import json
from typing import Any

import boto3
import pytest

from imageapi.domain import keys
from tests.integration.handlers.conftest import EVENTS, FakeContext, Reply, aws, handlers, ingest  # noqa: F401
from tests.integration.handlers.test_spine import create, put_incoming

from .conftest import LINES, background, draw_lines, jpeg_bytes
from .textmetrics import cer

OWNER = "ml-tester"  # an owner of its own: the images here never count toward other suites' owners


def predict(fns: Any, image_id: str, body: Any = None, sub: str = OWNER, raw: str | None = None) -> Reply:
    event = copy.deepcopy(json.loads((EVENTS / "predict_post.json").read_text()))
    path = f"/images/{image_id}/predictions"
    event["routeKey"] = "POST /images/{id}/predictions"
    event["rawPath"] = event["requestContext"]["http"]["path"] = path
    event["requestContext"]["http"]["method"] = "POST"
    event["requestContext"]["routeKey"] = event["routeKey"]
    event["pathParameters"] = {"id": image_id}
    event["body"] = raw if raw is not None else (json.dumps(body) if body is not None else None)
    event["requestContext"]["authorizer"]["jwt"]["claims"]["sub"] = sub
    return Reply(fns("predict").handler(event, FakeContext()))


@pytest.fixture(scope="module")
def text_jpeg() -> tuple[bytes, list]:
    img = background(1280, 720, seed=11)
    drawn = draw_lines(img, LINES)
    return jpeg_bytes(img), drawn


@pytest.fixture
def ready_image(api_create: Any, aws: Any, ingest: Any, text_jpeg: Any) -> str:  # noqa: F811
    data, _ = text_jpeg
    image = api_create()
    result = ingest(put_incoming(aws, OWNER, image["id"], data))
    assert result == {"batchItemFailures": []}
    return image["id"]


@pytest.fixture
def api_create(handlers: Any) -> Any:  # noqa: F811
    from tests.integration.handlers.conftest import Api

    return lambda sub=OWNER: create(Api(handlers), sub=sub)["image"]


def test_ocr_default_task_then_stored_and_reused(handlers: Any, ready_image: str, text_jpeg: Any, aws: Any) -> None:  # noqa: F811
    _, drawn = text_jpeg
    reply = predict(handlers, ready_image)  # no body: ocr
    assert reply.status == 200, reply.text
    body = reply.json()
    assert body["task"] == "ocr" and body["model"] and body["model_version"]
    assert body["inference_ms"] > 0
    texts = [p["text"] for p in body["predictions"]]
    assert len(texts) == len(drawn)
    total = sum(cer(d.text, t) * len(d.text) for d, t in zip(drawn, texts, strict=True))
    assert total / sum(len(d.text) for d in drawn) <= 0.05, texts
    for p in body["predictions"]:
        x, y, w, h = p["box"]
        assert x >= 0 and y >= 0 and x + w <= 1280 and y + h <= 720

    # stored per image, task and model version: a second call answers the stored result, even
    # when the original is gone (proof the model did not run again)
    bucket = next(iter(aws.buckets.values())).name
    boto3.client("s3").delete_object(Bucket=bucket, Key=keys.original_key(OWNER, ready_image))
    again = predict(handlers, ready_image, {"task": "ocr"})
    assert again.status == 200 and again.json() == body


def test_orientation(handlers: Any, ready_image: str) -> None:  # noqa: F811
    reply = predict(handlers, ready_image, {"task": "orientation"})
    assert reply.status == 200, reply.text
    body = reply.json()
    assert body["task"] == "orientation"
    [pred] = body["predictions"]
    assert pred["angle"] == 0 and 0 < pred["confidence"] <= 1


def test_unknown_task_is_422(handlers: Any, ready_image: str) -> None:  # noqa: F811
    body = predict(handlers, ready_image, {"task": "segmentation"}).assert_problem(422)
    assert "task" in body["detail"]
    predict(handlers, ready_image, {"task": "ocr", "extra": 1}).assert_problem(422)


def test_foreign_and_unknown_ids_are_404(handlers: Any, ready_image: str) -> None:  # noqa: F811
    predict(handlers, ready_image, sub="mallory").assert_problem(404)
    predict(handlers, "01ARZ3NDEKTSV4RRFFQ69G5FAV").assert_problem(404)


def test_pending_is_409(handlers: Any, api_create: Any) -> None:  # noqa: F811
    image = api_create()
    predict(handlers, image["id"], {"task": "ocr"}).assert_problem(409)


def test_image_without_text_gives_empty_predictions(handlers: Any, api_create: Any, aws: Any, ingest: Any) -> None:  # noqa: F811
    image = api_create()
    assert (
        ingest(put_incoming(aws, OWNER, image["id"], jpeg_bytes(background(640, 480, seed=4))))["batchItemFailures"]
        == []
    )
    reply = predict(handlers, image["id"], {"task": "ocr"})
    assert reply.status == 200, reply.text
    assert reply.json()["predictions"] == []
