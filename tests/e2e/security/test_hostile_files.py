"""Hostile and unusual files through every way in (SPEC §3.2, §4; issue 6 item 1).

Every case of ``hostile.CASES`` goes in four ways: a presigned POST over HTTP to the local S3
endpoint, URL import from a loopback server, a multipart direct upload and a raw ``image/*``
body. Each must end ``ready`` with the analysis the bytes really have, or ``rejected`` with a
reason (its bytes deleted, its analysis a 409 problem carrying the reason), or be refused by the
API or S3 before ingest. Everything is submitted first (one session fixture) and then checked, so
the ingest poller works through the whole matrix in batches while the checks poll.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
import requests
from PIL import Image

from tests.e2e.security.hostile import CASES, Case
from tests.harness.http import Client, assert_problem
from tests.harness.stack import FileServer

WAYS = ["presigned", "url", "multipart", "raw"]
MATRIX = [(case, way) for case in CASES for way in WAYS]


def _submit(client: Client, files: FileServer, case: Case, way: str) -> dict[str, Any]:
    title = f"{case.name} via {way}"
    data = case.data
    if way == "presigned":
        api, s3 = client.presigned_upload(title, data, case.declared)
        image_id = api.json()["image"]["id"] if api.status_code == 201 else None
        return {"api": api, "s3": s3, "id": image_id}
    if way == "url":
        url = files.add(f"/{case.name}.jpg", data, case.declared)
        api = client.request("POST", "/images", json={"title": title, "source_url": url})
    elif way == "multipart":
        api = client.request(
            "POST", "/images", files={"file": (f"{case.name}.jpg", data, case.declared)}, data={"title": title}
        )
    else:
        api = client.request(
            "POST", "/images", params={"title": title}, data=data, headers={"Content-Type": case.declared}
        )
    image_id = api.json()["id"] if api.status_code == 201 else None
    return {"api": api, "s3": None, "id": image_id}


@pytest.fixture(scope="module")
def hostile_client(sec_stack: Any) -> Client:
    return Client(sec_stack.api_url, sec_stack.token("sec-hostile"))


@pytest.fixture(scope="module")
def submitted(hostile_client: Client, files: FileServer) -> dict[tuple[str, str], dict[str, Any]]:
    return {(case.name, way): _submit(hostile_client, files, case, way) for case, way in MATRIX}


def _object_keys(stack: Any, prefix: str) -> list[str]:
    from local.aws import client

    bucket = next(iter(stack.template.buckets.values())).name
    listed = client("s3", stack.aws_url).list_objects_v2(Bucket=bucket, Prefix=prefix)
    return [o["Key"] for o in listed.get("Contents", [])]


@pytest.mark.parametrize(("case", "way"), MATRIX, ids=[f"{c.name}-{w}" for c, w in MATRIX])
def test_hostile_file_ends_ready_or_rejected(
    case: Case, way: str, submitted: dict, hostile_client: Client, sec_stack: Any
) -> None:
    from imageapi.domain import keys

    sent = submitted[(case.name, way)]
    api, s3 = sent["api"], sent["s3"]

    if case.outcome == "refused":  # zero bytes: refused before any record could hold them
        if way == "presigned":
            assert api.status_code == 201, api.text
            assert s3 is not None and s3.status_code == 400 and b"EntityTooSmall" in s3.content, s3.text
        else:
            body = assert_problem(api, 400)
            assert "empty" in body["detail"]
        return

    if way == "presigned":
        assert api.status_code == 201, api.text
        assert s3 is not None and s3.status_code in (200, 201, 204), s3.text
    else:
        assert api.status_code == 201, api.text
    image_id = sent["id"]
    image = hostile_client.wait_for(image_id)
    assert image["status"] == case.outcome, image
    owner = "sec-hostile"

    if case.outcome == "rejected":
        reason = image["rejection_reason"] or ""
        assert any(word.lower() in reason.lower() for word in case.reason), reason
        body = assert_problem(hostile_client.request("GET", f"/images/{image_id}/analysis"), 409)
        assert body["rejection_reason"] == reason
        assert_problem(hostile_client.request("GET", f"/images/{image_id}/download"), 409)
        # Rejected bytes are deleted: nothing of the image is left in the bucket.
        for prefix in keys.image_prefixes(owner, image_id):
            assert _object_keys(sec_stack, prefix) == [], prefix
        return

    analysis = hostile_client.request("GET", f"/images/{image_id}/analysis")
    assert analysis.status_code == 200, analysis.text
    found = analysis.json()
    for name, expected in case.analysis.items():
        assert found[name] == expected, (name, found[name], expected)
    assert found["bytes"] == len(case.data)
    # The original is served as what its bytes are, not as what the client declared.
    original = hostile_client.request("GET", f"/images/{image_id}/download", params={"variant": "original"})
    assert original.status_code == 302, original.text
    fetched = requests.get(original.headers["Location"], timeout=30)
    assert fetched.status_code == 200 and fetched.content == case.data
    assert fetched.headers["Content-Type"] == found["mime"]
    assert image["original"]["width"] == found["width"]
    assert _object_keys(sec_stack, keys.incoming_key(owner, image_id)) == []  # ingest cleaned up

    # The thumbnail is a real image within 256x256, oriented as EXIF says, with no metadata.
    link = hostile_client.request(
        "GET", f"/images/{image_id}/download", params={"variant": "thumbnail", "redirect": "false"}
    )
    assert link.status_code == 200, link.text
    thumb_bytes = requests.get(link.json()["url"], timeout=30)
    assert thumb_bytes.status_code == 200
    with Image.open(io.BytesIO(thumb_bytes.content)) as thumb:
        assert thumb.format in ("JPEG", "WEBP", "PNG")
        assert max(thumb.size) <= 256
        w, h = found["width"], found["height"]
        if found["orientation"] in (5, 6, 7, 8):
            w, h = h, w
        assert (thumb.width >= thumb.height) == (w >= h), (thumb.size, (w, h))
        assert not thumb.getexif(), "renditions carry no EXIF"


def test_ingest_never_crashed_a_batch(submitted: dict, hostile_client: Client, sec_stack: Any) -> None:
    """After the whole matrix: no image is left pending and nothing reached the dead-letter queue
    (a crash fails the message, which is retried and dead-lettered)."""
    from local.aws import client

    for sent in submitted.values():
        if sent["id"] and not (sent["s3"] is not None and sent["s3"].status_code >= 300):
            assert hostile_client.wait_for(sent["id"])["status"] != "pending"
    sqs = client("sqs", sec_stack.aws_url)
    for spec in sec_stack.template.queues.values():
        if any(other.dlq_id == spec.logical_id for other in sec_stack.template.queues.values()):
            url = sec_stack.template.queue_url(spec.logical_id)
            attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
            assert attrs["Attributes"]["ApproximateNumberOfMessages"] == "0", spec.name
