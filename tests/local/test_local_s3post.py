"""The local AWS endpoint enforces presigned POST policies with S3's own answers, answers CORS
for the gateway's origin, and S3 notifies the queue after a form upload."""

from __future__ import annotations

import base64
import json
import time
import xml.etree.ElementTree as ET
from typing import Any

import boto3
import pytest
import requests
from botocore.config import Config

from local import ACCESS_KEY_ID, SECRET_ACCESS_KEY
from local.stack import LocalStack

BUCKET = "local-test"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100


@pytest.fixture(scope="module")
def s3v4(stack: LocalStack) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=stack.aws_url,
        region_name="us-east-1",
        aws_access_key_id=ACCESS_KEY_ID,
        aws_secret_access_key=SECRET_ACCESS_KEY,
        config=Config(signature_version="s3v4"),
    )


def presign(client: Any, key: str, max_size: int = 200, expires: int = 300) -> dict[str, Any]:
    """The form the upload function issues (SPEC §3.2): exact key, content type, size range."""
    return client.generate_presigned_post(
        BUCKET,
        key,
        Fields={"Content-Type": "image/png"},
        Conditions=[{"Content-Type": "image/png"}, ["content-length-range", 1, max_size]],
        ExpiresIn=expires,
    )


def upload(
    post: dict[str, Any], data: bytes = PNG, fields: dict[str, str] | None = None, headers: dict[str, str] | None = None
) -> requests.Response:
    form = {**post["fields"], **(fields or {})}
    return requests.post(
        post["url"], data=form, files={"file": ("a.png", data, "image/png")}, headers=headers, timeout=10
    )


def error(response: requests.Response) -> dict[str, str]:
    assert response.headers["Content-Type"].startswith("application/xml")
    return {child.tag: child.text or "" for child in ET.fromstring(response.content)}


def test_good_upload_is_stored(s3v4: Any) -> None:
    post = presign(s3v4, "incoming/alice/good")
    assert "x-amz-signature" in post["fields"]
    response = upload(post)
    assert response.status_code == 204, response.text
    head = s3v4.head_object(Bucket=BUCKET, Key="incoming/alice/good")
    assert head["ContentLength"] == len(PNG) and head["ContentType"] == "image/png"


def test_sigv2_form_is_checked_too(s3: Any) -> None:
    post = presign(s3, "incoming/alice/v2")  # botocore's default presigning for this endpoint
    assert upload(post).status_code == 204
    bad = upload(post, fields={"signature": base64.b64encode(b"x" * 20).decode()})
    assert bad.status_code == 403 and error(bad)["Code"] == "SignatureDoesNotMatch"


def test_oversize_is_entity_too_large(s3v4: Any) -> None:
    response = upload(presign(s3v4, "incoming/alice/big", max_size=50), data=b"x" * 51)
    assert response.status_code == 400
    body = error(response)
    assert body["Code"] == "EntityTooLarge"
    assert (body["ProposedSize"], body["MaxSizeAllowed"]) == ("51", "50")
    assert "RequestId" in body and "HostId" in body


def test_empty_file_is_entity_too_small(s3v4: Any) -> None:
    response = upload(presign(s3v4, "incoming/alice/empty"), data=b"")
    assert response.status_code == 400
    assert error(response)["Code"] == "EntityTooSmall" and error(response)["MinSizeAllowed"] == "1"


def test_wrong_content_type_is_refused(s3v4: Any) -> None:
    response = upload(presign(s3v4, "incoming/alice/ct"), fields={"Content-Type": "image/svg+xml"})
    assert response.status_code == 403
    body = error(response)
    assert body["Code"] == "AccessDenied"
    assert body["Message"] == (
        'Invalid according to Policy: Policy Condition failed: ["eq", "$Content-Type", "image/png"]'
    )


def test_wrong_key_is_refused(s3v4: Any) -> None:
    response = upload(presign(s3v4, "incoming/alice/k"), fields={"key": "incoming/mallory/k"})
    assert response.status_code == 403
    assert "Policy Condition failed" in error(response)["Message"]
    assert '"$key"' in error(response)["Message"]
    with pytest.raises(s3v4.exceptions.ClientError):
        s3v4.head_object(Bucket=BUCKET, Key="incoming/mallory/k")


def test_expired_policy_is_refused(s3v4: Any) -> None:
    response = upload(presign(s3v4, "incoming/alice/late", expires=-1))
    assert response.status_code == 403
    assert error(response)["Message"] == "Invalid according to Policy: Policy expired."


def test_tampered_policy_is_a_signature_mismatch(s3v4: Any) -> None:
    post = presign(s3v4, "incoming/alice/tamper", max_size=10)
    policy = json.loads(base64.b64decode(post["fields"]["policy"]))
    policy["conditions"] = [c for c in policy["conditions"] if not isinstance(c, list)]
    policy["conditions"].append(["content-length-range", 1, 10_000_000])
    forged = base64.b64encode(json.dumps(policy).encode()).decode()
    response = upload(post, data=b"x" * 100, fields={"policy": forged})
    assert response.status_code == 403
    body = error(response)
    assert body["Code"] == "SignatureDoesNotMatch" and body["StringToSign"] == forged


def test_extra_field_is_refused(s3v4: Any) -> None:
    response = upload(presign(s3v4, "incoming/alice/extra"), fields={"x-amz-meta-owner": "mallory"})
    assert response.status_code == 403
    assert error(response)["Message"] == "Invalid according to Policy: Extra input fields: x-amz-meta-owner"
    # x-ignore-* fields are exempt, as in S3
    assert upload(presign(s3v4, "incoming/alice/ign"), fields={"x-ignore-note": "hi"}).status_code == 204


def test_unsigned_form_is_refused(stack: LocalStack) -> None:
    response = requests.post(
        f"{stack.aws_url}/{BUCKET}", data={"key": "incoming/anon"}, files={"file": ("a", b"x")}, timeout=10
    )
    assert response.status_code == 403 and error(response)["Code"] == "AccessDenied"


def test_cors_for_the_gateway_origin(stack: LocalStack, s3v4: Any) -> None:
    origin = stack.api_url  # http://127.0.0.1:PORT is added to the bucket's CORS origins locally
    pre = requests.options(
        f"{stack.aws_url}/{BUCKET}",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
        timeout=10,
    )
    assert pre.status_code == 200
    assert pre.headers["Access-Control-Allow-Origin"] == origin
    assert "POST" in pre.headers["Access-Control-Allow-Methods"]
    ok = upload(presign(s3v4, "incoming/alice/cors"), headers={"Origin": origin})
    assert ok.status_code == 204 and ok.headers["Access-Control-Allow-Origin"] == origin
    refused = upload(presign(s3v4, "incoming/alice/cors2", max_size=5), headers={"Origin": origin})
    assert refused.status_code == 400 and refused.headers["Access-Control-Allow-Origin"] == origin
    # the template's own origins stay allowed; others are not
    assert (
        requests.options(
            f"{stack.aws_url}/{BUCKET}",
            headers={"Origin": "https://app.example.com", "Access-Control-Request-Method": "POST"},
            timeout=10,
        ).status_code
        == 200
    )
    evil = requests.options(
        f"{stack.aws_url}/{BUCKET}",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
        timeout=10,
    )
    assert evil.status_code == 403 and "Access-Control-Allow-Origin" not in evil.headers


def test_form_upload_notifies_the_queue(stack: LocalStack, s3v4: Any, sqs: Any) -> None:
    assert stack.template
    queue_url = stack.template.queue_url("NotifyQueue")
    assert upload(presign(s3v4, "incoming/alice/my photo.png")).status_code == 204
    assert upload(presign(s3v4, "other/alice/no-notify")).status_code == 204
    records: list[dict[str, Any]] = []
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not any(r["s3"]["object"]["key"].endswith("my+photo.png") for r in records):
        for message in sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get(
            "Messages", []
        ):
            records.extend(json.loads(message["Body"]).get("Records", []))
    (record,) = [r for r in records if r["s3"]["object"]["key"].endswith("my+photo.png")]
    assert record["eventSource"] == "aws:s3" and record["eventName"] == "ObjectCreated:Post"
    assert record["s3"]["bucket"]["name"] == BUCKET
    assert record["s3"]["object"]["size"] == len(PNG)
    # URL-encoded as S3 does: spaces as '+'
    from urllib.parse import unquote_plus

    assert unquote_plus(record["s3"]["object"]["key"]) == "incoming/alice/my photo.png"
    for name in ("userIdentity", "requestParameters", "responseElements", "eventTime", "awsRegion"):
        assert name in record
    assert not any("no-notify" in r["s3"]["object"]["key"] for r in records)
