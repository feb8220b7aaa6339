"""The render function's handler (functions/render, issue 20) on moto: CloudFront's function URL
request for an edge object of a ready image renders it, stores it under its key and answers the
bytes; its own asynchronous event stores an AVIF; a key that names no live image or an old version
is a 404 problem and stores nothing; the image handler's delete invalidates the CDN's copies of the
image (moto's CloudFront)."""

from __future__ import annotations

import base64
import copy
import io
import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from PIL import Image

from imageapi.domain import keys
from imageapi.domain.edge import edge_version, object_key
from imageapi.domain.models import ImageRecord
from tests.harness.handlers import FakeContext
from tests.harness.images import jpeg
from tests.integration.handlers.test_lifecycle import ready_image
from tests.integration.handlers.test_spine import objects

EVENT = json.loads((Path(__file__).resolve().parents[3] / "events" / "render_miss.json").read_text())


def render_event(key: str, fmt: str, method: str = "GET") -> dict[str, Any]:
    event = copy.deepcopy(EVENT)
    event["rawPath"] = event["requestContext"]["http"]["path"] = "/" + key
    event["headers"]["x-image-format"] = fmt
    event["requestContext"]["http"]["method"] = method
    return event


def key_for(aws: Any, owner: str, image_id: str, width: int, fmt: str) -> str:
    table = next(iter(aws.tables.values())).name
    item = boto3.client("dynamodb").get_item(
        TableName=table, Key={"pk": {"S": f"OWNER#{owner}"}, "sk": {"S": f"IMAGE#{image_id}"}}
    )["Item"]
    record = ImageRecord.model_validate_json(item["doc"]["S"])
    return object_key(keys.encode_owner(owner), image_id, edge_version(record), width, "default", fmt)


@pytest.fixture
def render(handlers: Any) -> Any:
    return handlers("render").handler


def test_a_miss_is_rendered_stored_and_answered(api: Any, aws: Any, ingest: Any, render: Any) -> None:
    image = ready_image(api, aws, ingest, owner="render-a", data=jpeg(1200, 900))
    key = key_for(aws, "render-a", image["id"], 480, "avif")
    answer = render(render_event(key, "avif"), FakeContext())
    assert answer["statusCode"] == 200 and answer["isBase64Encoded"] is True
    assert answer["headers"]["Content-Type"] == "image/avif" and answer["headers"]["Vary"] == "Accept"
    picture = Image.open(io.BytesIO(base64.b64decode(answer["body"])))
    assert picture.format == "AVIF" and picture.size == (480, 360)
    assert key in objects(aws, key)
    bucket = next(iter(aws.buckets.values())).name
    stored = boto3.client("s3").head_object(Bucket=bucket, Key=key)
    assert stored["ContentType"] == "image/avif" and stored["ETag"] == answer["headers"]["ETag"]
    head = render(render_event(key, "avif", "HEAD"), FakeContext())
    assert head["statusCode"] == 200 and head["body"] == ""


def test_the_fill_event_stores_the_avif_once(api: Any, aws: Any, ingest: Any, render: Any) -> None:
    image = ready_image(api, aws, ingest, owner="render-b", data=jpeg(1000, 800))
    key = key_for(aws, "render-b", image["id"], 960, "avif")
    assert render({"edge_fill": key}, FakeContext()) == {"stored": True}
    assert key in objects(aws, key)
    assert render({"edge_fill": key}, FakeContext()) == {"stored": False}  # already there


def test_keys_of_no_live_image_or_an_old_version_are_404_and_store_nothing(
    api: Any, aws: Any, ingest: Any, render: Any
) -> None:
    image = ready_image(api, aws, ingest, owner="render-c", data=jpeg(800, 600))
    key = key_for(aws, "render-c", image["id"], 320, "webp")
    old = key.replace(f"/edge/{key.split('/')[4]}/", "/edge/oldversion0/")
    for refused in (old, key.replace(image["id"], "01ARZ3NDEKTSV4RRFFQ69G5FAV")):
        answer = render(render_event(refused, "webp"), FakeContext())
        assert answer["statusCode"] == 404 and answer["headers"]["Content-Type"] == "application/problem+json"
    bad = render(render_event(key.replace("_webp", "_png"), "webp"), FakeContext())
    assert bad["statusCode"] == 400
    assert objects(aws, f"renditions/{keys.encode_owner('render-c')}/{image['id']}/edge/") == []


def test_a_delete_invalidates_the_images_copies_on_the_cdn(
    api: Any, aws: Any, ingest: Any, settings_override: Any
) -> None:
    cloudfront = boto3.client("cloudfront")
    distribution = cloudfront.create_distribution(
        DistributionConfig={
            "CallerReference": "render-test",
            "Origins": {
                "Quantity": 1,
                "Items": [
                    {
                        "Id": "o",
                        "DomainName": "example.s3.amazonaws.com",
                        "S3OriginConfig": {"OriginAccessIdentity": ""},
                    }
                ],
            },
            "DefaultCacheBehavior": {"TargetOriginId": "o", "ViewerProtocolPolicy": "https-only", "MinTTL": 0},
            "Comment": "",
            "Enabled": True,
        }
    )["Distribution"]["Id"]
    settings_override(cdn_distribution_id=distribution)
    image = ready_image(api, aws, ingest, owner="render-d", data=jpeg(640, 480))
    assert api.call("image", "image_delete.json", path=f"/images/{image['id']}", sub="render-d").status == 204
    listed = cloudfront.list_invalidations(DistributionId=distribution)["InvalidationList"].get("Items", [])
    paths = [
        path
        for item in listed
        for path in cloudfront.get_invalidation(DistributionId=distribution, Id=item["Id"])["Invalidation"][
            "InvalidationBatch"
        ]["Paths"]["Items"]
    ]
    assert paths == [f"/renditions/{keys.encode_owner('render-d')}/{image['id']}/*"]
