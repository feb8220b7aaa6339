"""The spine through `make sam-dev`'s stack: `sam local start-api` over the functions and layers
as `sam build` made them, in Lambda containers; ingest invoked in its container from the real
queue through `sam local start-lambda`; the page's front door checking tokens."""

from __future__ import annotations

import requests

from local.containers.samdev import SamDev
from tests.harness.http import Client, assert_problem
from tests.harness.images import jpeg
from tests.integration.ml.conftest import LINES, background, draw_lines, jpeg_bytes


def _client(dev: SamDev, sub: str) -> Client:
    return Client(dev.api_url, dev.token(sub))


def _upload(client: Client, title: str, data: bytes) -> str:
    created, s3 = client.presigned_upload(title, data, "image/jpeg")
    assert created.status_code == 201, created.text
    upload_url = created.json()["upload"]["url"]
    # made in a container (the bridge address), handed to the browser as the loopback address
    assert upload_url.startswith("http://127.0.0.1:"), upload_url
    assert s3 is not None and s3.status_code == 204, s3.text if s3 is not None else None
    return created.json()["image"]["id"]


def test_spine_through_lambda_containers(sam_dev: SamDev) -> None:
    alice = _client(sam_dev, "alice-containers")
    data = jpeg(1280, 960)
    image_id = _upload(alice, "Spine in containers", data)

    ready = alice.wait_for(image_id, timeout=180)  # the first ingest starts its container
    assert ready["status"] == "ready", ready
    assert ready["original"] == {"width": 1280, "height": 960, "bytes": len(data)}

    listed = alice.request("GET", "/images", params={"limit": 5})
    assert listed.status_code == 200, listed.text
    assert image_id in [item["id"] for item in listed.json()["items"]]

    # The srcset through the CDN stand-in on the front door: a miss invokes RenderFunction in its
    # container (issue 20), which renders, stores and answers; the next request is a bucket hit.
    entry = ready["srcset"][2]
    edge = requests.get(entry["url"], headers={"Accept": "image/avif,image/webp,*/*"}, timeout=180)
    assert edge.status_code == 200, edge.text
    assert edge.headers["content-type"] == "image/avif" and edge.headers["vary"] == "Accept"
    assert sam_dev.cdn is not None and sam_dev.cdn.render_invocations == 1
    again = requests.get(entry["url"], headers={"Accept": "image/avif,image/webp,*/*"}, timeout=30)
    assert again.content == edge.content and sam_dev.cdn.render_invocations == 1
    assert requests.get(ready["renditions"]["thumbnail"]["url"], timeout=30).status_code == 200

    analysis = alice.request("GET", f"/images/{image_id}/analysis")
    assert analysis.status_code == 200, analysis.text
    assert (analysis.json()["width"], analysis.json()["height"], analysis.json()["format"]) == (1280, 960, "JPEG")

    download = alice.request("GET", f"/images/{image_id}/download", params={"variant": "thumbnail"})
    assert download.status_code == 302, download.text
    location = download.headers["location"]
    assert location.startswith(sam_dev.aws_url), location
    thumbnail = requests.get(location, timeout=30)
    assert thumbnail.status_code == 200 and thumbnail.headers["content-type"].startswith("image/")

    # another owner sees nothing of alice's
    bob = _client(sam_dev, "bob-containers")
    assert_problem(bob.request("GET", f"/images/{image_id}"), 404)

    deleted = alice.request("DELETE", f"/images/{image_id}")
    assert deleted.status_code == 204, deleted.text
    assert_problem(alice.request("GET", f"/images/{image_id}"), 404)


def test_front_door_refuses_a_bad_token_before_any_container(sam_dev: SamDev) -> None:
    for token in (None, "not-a-jwt"):
        assert_problem(Client(sam_dev.api_url, token).request("GET", "/images"), 401)


def test_start_api_alone_takes_the_owner_from_the_bearer_token(sam_dev: SamDev) -> None:
    """Without the front door, sam local start-api runs no JWT authorizer: the function reads the
    token's subject itself (AWS_SAM_LOCAL), and refuses a request without one."""
    direct = Client(sam_dev.start_api_url, sam_dev.token("carol-containers"))
    listed = direct.request("GET", "/images")
    assert listed.status_code == 200, listed.text
    assert listed.json()["items"] == []
    assert_problem(Client(sam_dev.start_api_url, None).request("GET", "/images"), 401)


def test_predict_runs_ocr_in_the_ml_layer_as_built(sam_dev: SamDev) -> None:
    alice = _client(sam_dev, "alice-containers-ocr")
    img = background(1280, 720)
    drawn = draw_lines(img, LINES)
    image_id = _upload(alice, "Text for OCR", jpeg_bytes(img))
    assert alice.wait_for(image_id, timeout=180)["status"] == "ready"

    reply = alice.request("POST", f"/images/{image_id}/predictions", json={"task": "ocr"}, timeout=300)
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["task"] == "ocr" and body["model"]
    texts = " ".join(p["text"] for p in body["predictions"])
    found = [d.text for d in drawn if d.text.split()[0] in texts]
    assert len(found) >= len(drawn) - 1, (texts, [d.text for d in drawn])
