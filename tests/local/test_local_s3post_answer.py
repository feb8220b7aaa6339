"""What the local S3 endpoint answers to an accepted presigned POST: S3's headers (ETag, Location),
its status choices (204, 200, 201 with the PostResponse XML, 303 to a redirect), and the bucket
CORS from template.yaml exposing ETag and Location to the page that uploaded (browser uploaders
such as Uppy's AWS S3 plugin read them)."""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from local.aws import client, create_resources
from local.template import load

REPO_ROOT = Path(__file__).resolve().parents[2]
ORIGIN = "http://127.0.0.1:9"  # the page's origin, added to the bucket's CORS as the local stack does
PNG = b"\x89PNG\r\n\x1a\n" + b"\x01" * 64


@pytest.fixture(scope="module")
def bucket(moto_endpoint: str) -> str:
    template = load(REPO_ROOT / "template.yaml", aws_url=moto_endpoint, name_prefix="post-answer")
    create_resources(moto_endpoint, template, extra_cors_origins=[ORIGIN])
    return template.buckets["ImagesBucket"].name


@pytest.fixture(scope="module")
def s3(moto_endpoint: str) -> Any:
    return client("s3", moto_endpoint)


def _post(s3: Any, bucket: str, key: str, extra: dict[str, str] | None = None, origin: str | None = ORIGIN) -> Any:
    extra = extra or {}
    form = s3.generate_presigned_post(
        bucket,
        key,
        Fields={"Content-Type": "image/png", **extra},
        Conditions=[
            {"Content-Type": "image/png"},
            ["content-length-range", 1, 1000],
            *({k: v} for k, v in extra.items()),
        ],
        ExpiresIn=300,
    )
    headers = {"Origin": origin} if origin else {}
    return requests.post(
        form["url"],
        data=form["fields"],
        files={"file": ("a.png", PNG, "image/png")},
        headers=headers,
        timeout=10,
        allow_redirects=False,  # a redirect target is only checked, never followed
    )


ETAG = f'"{hashlib.md5(PNG).hexdigest()}"'  # S3's ETag of a single-part object


def test_default_answer_is_204_with_etag_and_location(s3: Any, bucket: str, moto_endpoint: str) -> None:
    response = _post(s3, bucket, "incoming/YWxpY2U/one")
    assert response.status_code == 204 and response.content == b""
    assert response.headers["ETag"] == ETAG == s3.head_object(Bucket=bucket, Key="incoming/YWxpY2U/one")["ETag"]
    assert response.headers["Location"] == f"{moto_endpoint}/{bucket}/incoming%2FYWxpY2U%2Fone"
    assert response.headers["x-amz-request-id"]


def test_cors_exposes_etag_and_location_to_the_uploading_page(s3: Any, bucket: str) -> None:
    response = _post(s3, bucket, "incoming/YWxpY2U/cors")
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    exposed = {h.strip().lower() for h in response.headers["Access-Control-Expose-Headers"].split(",")}
    assert {"etag", "location"} <= exposed


def test_success_action_status_201_answers_the_post_response_xml(s3: Any, bucket: str, moto_endpoint: str) -> None:
    response = _post(s3, bucket, "incoming/YWxpY2U/two", {"success_action_status": "201"})
    assert response.status_code == 201
    assert response.headers["Content-Type"] == "application/xml"
    root = ET.fromstring(response.content)
    assert root.tag == "PostResponse"
    fields = {child.tag: child.text for child in root}
    assert fields == {
        "Location": f"{moto_endpoint}/{bucket}/incoming%2FYWxpY2U%2Ftwo",
        "Bucket": bucket,
        "Key": "incoming/YWxpY2U/two",
        "ETag": ETAG,
    }
    assert response.headers["ETag"] == ETAG


@pytest.mark.parametrize(("status", "expected"), [("200", 200), ("204", 204), ("302", 204)])
def test_other_success_statuses(s3: Any, bucket: str, status: str, expected: int) -> None:
    response = _post(s3, bucket, f"incoming/YWxpY2U/s{status}", {"success_action_status": status})
    assert response.status_code == expected and response.content == b""
    assert response.headers["ETag"] == ETAG


def test_success_action_redirect_is_a_303_with_bucket_key_and_etag(s3: Any, bucket: str) -> None:
    response = _post(s3, bucket, "incoming/YWxpY2U/r", {"success_action_redirect": "http://127.0.0.1:9/done?x=1"})
    assert response.status_code == 303
    target = urlsplit(response.headers["Location"])
    assert (target.netloc, target.path) == ("127.0.0.1:9", "/done")
    assert parse_qs(target.query) == {"x": ["1"], "bucket": [bucket], "key": ["incoming/YWxpY2U/r"], "etag": [ETAG]}


def test_a_refused_post_stores_nothing_and_keeps_s3s_error(s3: Any, bucket: str) -> None:
    form = s3.generate_presigned_post(
        bucket, "incoming/YWxpY2U/big", Conditions=[["content-length-range", 1, 5]], ExpiresIn=300
    )
    response = requests.post(form["url"], data=form["fields"], files={"file": ("a.png", PNG)}, timeout=10)
    assert response.status_code == 400 and b"EntityTooLarge" in response.content
    assert "ETag" not in response.headers
