"""The spine over HTTP: create → presigned POST to the S3 endpoint → SQS → ingest → read."""

import time
from typing import Any

import jwt
import requests

from tests.harness.http import Client, assert_problem
from tests.harness.images import jpeg


def presign(client: Client, title: str, data: bytes, content_type: str = "image/jpeg", **extra: Any) -> dict:
    response = client.request(
        "POST", "/images", json={"title": title, "content_type": content_type, "size": len(data), **extra}
    )
    assert response.status_code == 201, response.text
    return response.json()


def post_form(
    upload: dict, data: bytes, content_type: str = "image/jpeg", filename: str = "photo.jpg"
) -> requests.Response:
    return requests.post(
        upload["url"], data=upload["fields"], files={"file": (filename, data, content_type)}, timeout=30
    )


def test_one_image_travels_the_whole_way(alice: Client) -> None:
    data = jpeg(1280, 960)
    created = presign(alice, "Spine JPEG", data)
    image_id = created["image"]["id"]
    uploaded = post_form(created["upload"], data)
    assert uploaded.status_code == 204, uploaded.text

    ready = alice.wait_for(image_id)
    assert ready["status"] == "ready", ready
    assert ready["original"] == {"width": 1280, "height": 960, "bytes": len(data)}
    listed = alice.request("GET", "/images", params={"limit": 5}).json()
    assert image_id in [item["id"] for item in listed["items"]]
    analysis = alice.request("GET", f"/images/{image_id}/analysis").json()
    assert (analysis["width"], analysis["height"], analysis["format"]) == (1280, 960, "JPEG")
    download = alice.request("GET", f"/images/{image_id}/download", params={"variant": "thumbnail"})
    assert download.status_code == 302
    thumbnail = requests.get(download.headers["location"], timeout=10)
    assert thumbnail.status_code == 200 and thumbnail.headers["content-type"].startswith("image/")


def test_s3_refuses_an_oversize_upload_as_s3_does(alice: Client) -> None:
    data = jpeg(400, 300)
    created = presign(alice, "too big", data[:1000], "image/jpeg")  # declares 1000 bytes
    refused = post_form(created["upload"], data)
    assert refused.status_code == 400
    assert "<Code>EntityTooLarge</Code>" in refused.text
    assert alice.request("GET", f"/images/{created['image']['id']}").json()["status"] == "pending"


def test_s3_refuses_a_different_content_type(alice: Client) -> None:
    data = jpeg(64, 64)
    created = presign(alice, "wrong type", data, "image/png")
    # S3 checks the form's Content-Type field against the policy (the file part's header is ignored).
    created["upload"]["fields"]["Content-Type"] = "image/jpeg"
    refused = post_form(created["upload"], data, content_type="image/jpeg")
    assert refused.status_code == 403 and "<Code>AccessDenied</Code>" in refused.text
    created["upload"]["fields"]["Content-Type"] = "image/png"
    created["upload"]["fields"]["key"] = created["upload"]["fields"]["key"] + "-elsewhere"
    moved = post_form(created["upload"], data, content_type="image/png")
    assert moved.status_code == 403


def test_bytes_that_are_not_an_image_end_rejected(alice: Client) -> None:
    text = b"just some text pretending to be a photo" * 10
    created = presign(alice, "fake photo", text)
    assert post_form(created["upload"], text).status_code == 204
    rejected = alice.wait_for(created["image"]["id"])
    assert rejected["status"] == "rejected" and rejected["rejection_reason"]


def test_malformed_json_and_validation_are_problems(alice: Client) -> None:
    assert_problem(alice.request("POST", "/images", data="{nope", headers={"content-type": "application/json"}), 400)
    problem = assert_problem(
        alice.request("POST", "/images", json={"title": "x" * 201, "content_type": "image/png", "size": 5}), 422
    )
    assert problem["errors"][0]["field"] == "title"


def test_tokens_are_checked(stack: Any, alice: Client) -> None:
    assert_problem(Client(stack.api_url, None).request("GET", "/images"), 401)
    assert_problem(Client(stack.api_url, "not-a-jwt").request("GET", "/images"), 401)
    expired = stack.issuer.issue_token("alice", ttl=-60)
    assert_problem(Client(stack.api_url, expired).request("GET", "/images"), 401)
    wrong_issuer = stack.issuer.issue_token("alice", iss="https://evil.example/")
    assert_problem(Client(stack.api_url, wrong_issuer).request("GET", "/images"), 401)
    unsigned = jwt.encode(
        {"sub": "alice", "iss": stack.issuer.issuer, "aud": "image-api", "exp": time.time() + 60},
        key=None,
        algorithm="none",
    )
    assert_problem(Client(stack.api_url, unsigned).request("GET", "/images"), 401)
    assert Client(stack.api_url, None).request("GET", "/health").status_code == 200


def test_another_owners_image_is_404_and_never_listed(alice: Client, bob: Client) -> None:
    created = presign(alice, "alice only", jpeg(32, 32))
    image_id = created["image"]["id"]
    for path in (f"/images/{image_id}", f"/images/{image_id}/analysis", f"/images/{image_id}/download"):
        assert_problem(bob.request("GET", path), 404)
    assert_problem(bob.request("DELETE", f"/images/{image_id}"), 404)
    assert image_id not in [i["id"] for i in bob.request("GET", "/images", params={"limit": 100}).json()["items"]]
    assert alice.request("GET", f"/images/{image_id}").status_code == 200


def test_bad_cursor_is_400(alice: Client) -> None:
    assert_problem(alice.request("GET", "/images", params={"cursor": "definitely-not-a-cursor"}), 400)


def test_service_routes(stack: Any) -> None:
    anonymous = Client(stack.api_url, None)
    health = anonymous.request("GET", "/health").json()
    assert health["status"] == "ok" and health["version"]
    spec = anonymous.request("GET", "/openapi.json").json()
    assert spec["openapi"].startswith("3.") and "/images" in spec["paths"]
    docs = anonymous.request("GET", "/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    assert "frame-ancestors 'none'" in docs.headers["content-security-policy"]


def test_delete_undo_over_http_brings_back_the_same_bytes(alice: Client) -> None:
    import hashlib

    data = jpeg(640, 480)
    created = presign(alice, "Spine trash", data)
    image_id = created["image"]["id"]
    assert post_form(created["upload"], data).status_code == 204
    assert alice.wait_for(image_id)["status"] == "ready"
    analysis = alice.request("GET", f"/images/{image_id}/analysis").json()

    assert alice.request("DELETE", f"/images/{image_id}").status_code == 204
    assert_problem(alice.request("GET", f"/images/{image_id}"), 404)
    assert_problem(alice.request("DELETE", f"/images/{image_id}"), 404)
    listed = alice.request("GET", "/images", params={"limit": 100}).json()["items"]
    assert image_id not in [item["id"] for item in listed]
    compat = alice.request("GET", "/list_images", params={"limit": 100}).json()["images"]
    assert image_id not in [item["image_id"] for item in compat]
    trash = alice.request("GET", "/images", params={"status": "deleted"}).json()["items"]
    assert image_id in [item["id"] for item in trash]

    restored = alice.request("POST", f"/images/{image_id}/restore")
    assert restored.status_code == 200 and restored.json()["status"] == "ready"
    assert alice.request("GET", f"/images/{image_id}/analysis").json() == analysis
    link = alice.request("GET", f"/images/{image_id}/download", params={"variant": "original", "redirect": "false"})
    original = requests.get(link.json()["url"], timeout=10).content
    assert hashlib.sha256(original).digest() == hashlib.sha256(data).digest()
    assert alice.request("DELETE", f"/images/{image_id}", params={"permanent": "true"}).status_code == 204
    assert_problem(alice.request("POST", f"/images/{image_id}/restore"), 404)
