"""The whole lifecycle through the real handlers on moto (SPEC §3.2 to §3.5, §3.8, §5)."""

import hashlib
import http.server
import io
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import parse_qs, urlparse

import boto3
import pytest
from PIL import Image

from imageapi.domain import keys
from local.server import POLL_INTERVAL_S
from tests.harness.images import jpeg, png
from tests.integration.handlers.test_spine import create, objects, put_incoming


def ready_image(api: Any, aws: Any, ingest: Any, owner: str = "alice", data: bytes | None = None, **kw: Any) -> dict:
    image = create(api, sub=owner, **kw)["image"]
    ingest(put_incoming(aws, owner, image["id"], data or jpeg(1200, 800)))
    return api.call("image", "image_get.json", path=f"/images/{image['id']}", sub=owner).json()


def table_items(aws: Any, owner: str) -> list[dict]:
    client = boto3.client("dynamodb")
    table = next(iter(aws.tables.values())).name
    # Every item whose key names the owner (its records, and its title index under OWNER#{sub}#GRAM#),
    # filtered where the table is: the worker's table also holds what every other test wrote.
    # Every page: one Scan reads at most 1 MB.
    pages = client.get_paginator("scan").paginate(
        TableName=table, FilterExpression="contains(pk, :owner)", ExpressionAttributeValues={":owner": {"S": owner}}
    )
    return [item for page in pages for item in page["Items"] if owner in item["pk"]["S"]]


def fetch_presigned(url: str) -> tuple[bytes, dict[str, str]]:
    import requests

    response = requests.get(url, timeout=10)
    assert response.status_code == 200, response.text
    return response.content, {k.lower(): v for k, v in response.headers.items()}


# ------------------------------------------------------------------ direct upload
def multipart(fields: dict[str, str], file: bytes | None, filename: str = "photo.jpg") -> tuple[bytes, str]:
    boundary = "----imageapi-test-boundary"
    out = io.BytesIO()
    for name, value in fields.items():
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    if file is not None:
        out.write(
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
            "Content-Type: image/jpeg\r\n\r\n".encode()
        )
        out.write(file + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


def test_direct_multipart_upload_with_resize(api: Any, aws: Any, ingest: Any) -> None:
    body, content_type = multipart({"title": "Direct", "width": "300", "fit": "contain"}, jpeg(1200, 800))
    reply = api.call("upload", "upload_create.json", binary=body, headers={"content-type": content_type})
    assert reply.status == 201, reply.text
    image = reply.json()
    assert image["status"] == "pending" and reply.headers["location"] == f"/images/{image['id']}"
    ingest(keys.incoming_key("alice", image["id"]))
    ready = api.call("image", "image_get.json", path=f"/images/{image['id']}").json()
    assert (ready["width"], ready["height"]) == (300, 200)
    assert ready["original"]["width"] == 1200


def test_direct_raw_body_upload_and_title_from_filename(api: Any, aws: Any, ingest: Any) -> None:
    reply = api.call(
        "upload", "upload_create.json", binary=png(), query={"title": "Raw PNG"}, headers={"content-type": "image/png"}
    )
    assert reply.status == 201, reply.text
    ingest(keys.incoming_key("alice", reply.json()["id"]))
    assert api.call("image", "image_get.json", path=f"/images/{reply.json()['id']}").json()["status"] == "ready"
    body, content_type = multipart({}, jpeg(50, 50), filename="holiday.jpg")
    named = api.call("upload", "upload_create.json", binary=body, headers={"content-type": content_type})
    assert named.status == 201 and named.json()["title"] == "holiday.jpg"


def test_direct_upload_limit_is_exactly_4_mib(api: Any) -> None:
    limit = 4 * 1024 * 1024
    at_limit = api.call(
        "upload",
        "upload_create.json",
        binary=b"\xff" * limit,
        query={"title": "edge"},
        headers={"content-type": "image/jpeg"},
    )
    assert at_limit.status == 201, "accepted here; ingest decides whether the bytes are an image"
    over = api.call(
        "upload",
        "upload_create.json",
        binary=b"\xff" * (limit + 1),
        query={"title": "x"},
        headers={"content-type": "image/jpeg"},
    )
    assert "presigned" in over.assert_problem(413)["detail"]
    body, content_type = multipart({"title": "big"}, b"\xff" * (limit + 1))
    assert (
        "presigned"
        in api.call("upload", "upload_create.json", binary=body, headers={"content-type": content_type}).assert_problem(
            413
        )["detail"]
    )


def test_direct_upload_bad_input(api: Any) -> None:
    body, content_type = multipart({"title": "no file"}, None)
    api.call("upload", "upload_create.json", binary=body, headers={"content-type": content_type}).assert_problem(422)
    api.call(
        "upload", "upload_create.json", binary=b"x", headers={"content-type": "multipart/form-data"}
    ).assert_problem(400)
    # A raw body without ?title= gets a neutral title (no file name to fall back on); a blank one is refused.
    untitled = api.call("upload", "upload_create.json", binary=png(), headers={"content-type": "image/png"})
    assert untitled.status == 201 and untitled.json()["title"] == "untitled image", untitled.text
    api.call(
        "upload", "upload_create.json", binary=png(), query={"title": "  "}, headers={"content-type": "image/png"}
    ).assert_problem(422)
    # The raw body's query parameters are checked whatever the body is.
    api.call("upload", "upload_create.json", raw_body="{}", query={"width": "0"}).assert_problem(422)
    api.call("upload", "upload_create.json", raw_body="hi", headers={"content-type": "text/plain"}).assert_problem(415)
    api.call(
        "upload", "upload_create.json", binary=b"", query={"title": "empty"}, headers={"content-type": "image/png"}
    ).assert_problem(400)
    body, content_type = multipart({"title": "t", "width": "0"}, jpeg(10, 10))
    problem = api.call(
        "upload", "upload_create.json", binary=body, headers={"content-type": content_type}
    ).assert_problem(422)
    assert problem["errors"][0]["field"] == "width"


# ------------------------------------------------------------------ URL import
@pytest.fixture
def image_server() -> Iterator[str]:
    payload = jpeg(640, 480)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path.startswith("/photo.jpg"):
                self.send_response(200)
                self.send_header("Content-Type", "image/jpeg")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            else:
                self.send_response(404)
                self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": POLL_INTERVAL_S}, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_url_import_is_refused_for_loopback_by_default(api: Any, image_server: str) -> None:
    problem = api.call(
        "upload", "upload_create.json", body={"title": "t", "source_url": f"{image_server}/photo.jpg"}
    ).assert_problem(400)
    assert "loopback" in problem["detail"]
    for url in ["file:///etc/passwd", "http://user:pw@example.com/x.jpg", "http://169.254.169.254/latest/meta-data/"]:
        api.call("upload", "upload_create.json", body={"title": "t", "source_url": url}).assert_problem(400)


def test_url_import_stores_and_ingests(
    api: Any, aws: Any, ingest: Any, image_server: str, settings_override: Any
) -> None:
    settings_override(import_allow_private_networks="true")
    reply = api.call(
        "upload",
        "upload_create.json",
        body={"title": "Imported", "source_url": f"{image_server}/photo.jpg", "resize": {"width": 320}},
    )
    assert reply.status == 201, reply.text
    image = reply.json()
    ingest(keys.incoming_key("alice", image["id"]))
    ready = api.call("image", "image_get.json", path=f"/images/{image['id']}").json()
    assert ready["status"] == "ready" and (ready["width"], ready["height"]) == (320, 240)
    missing = api.call("upload", "upload_create.json", body={"title": "x", "source_url": f"{image_server}/missing.jpg"})
    assert "404" in missing.assert_problem(502)["detail"]


# ------------------------------------------------------------------ resize at creation
@pytest.mark.parametrize(
    ("resize", "expected"),
    [
        ({"width": 300, "height": 300, "fit": "contain"}, (300, 200)),
        ({"width": 300, "height": 300, "fit": "cover"}, (300, 300)),
        ({"width": 300, "height": 100, "fit": "fill"}, (300, 100)),
        ({"width": 3000, "height": 3000, "fit": "inside"}, (1200, 800)),
        ({"width": 2400, "fit": "contain"}, (2400, 1600)),
        ({"height": 100}, (150, 100)),
    ],
)
def test_each_fit_mode_gives_exact_dimensions(api: Any, aws: Any, ingest: Any, resize: dict, expected: tuple) -> None:
    ready = ready_image(api, aws, ingest, resize=resize)
    assert (ready["width"], ready["height"]) == expected
    assert (ready["original"]["width"], ready["original"]["height"]) == (1200, 800)


# ------------------------------------------------------------------ PATCH
def test_patch_renames_and_rerenders_from_the_original(api: Any, aws: Any, ingest: Any) -> None:
    ready = ready_image(api, aws, ingest, title="Before")
    path = f"/images/{ready['id']}"
    renamed = api.call("update", "update_patch.json", path=path, body={"title": "After"})
    assert renamed.status == 200 and renamed.json()["title"] == "After"
    assert [i["title"] for i in api.call("list", "list_images.json", query={"q": "after"}).json()["items"]] == ["After"]
    assert api.call("list", "list_images.json", query={"q": "before"}).json()["items"] == []
    resized = api.call(
        "update", "update_patch.json", path=path, body={"width": 600, "height": 600, "fit": "cover"}
    ).json()
    assert (resized["width"], resized["height"]) == (600, 600)
    back = api.call("update", "update_patch.json", path=path, body={"width": 120}).json()
    assert (back["width"], back["height"]) == (120, 600), "fit and height are kept from the last resize"
    link = api.call(
        "download", "download_get.json", path=f"{path}/download", query={"variant": "display", "redirect": "false"}
    )
    data, _ = fetch_presigned(link.json()["url"])
    assert Image.open(io.BytesIO(data)).size == (120, 600)


def test_patch_error_paths(api: Any, aws: Any, ingest: Any) -> None:
    pending = create(api)["image"]
    path = f"/images/{pending['id']}"
    api.call("update", "update_patch.json", path=path, body={"width": 100}).assert_problem(409)
    assert api.call("update", "update_patch.json", path=path, body={"title": "ok while pending"}).status == 200
    api.call("update", "update_patch.json", path=path, body={"title": ""}).assert_problem(422)
    api.call("update", "update_patch.json", path=path, body={"width": 5000}).assert_problem(422)
    api.call("update", "update_patch.json", path=path, body={"owner": "bob"}).assert_problem(422)
    api.call("update", "update_patch.json", path=path, body={"title": "x"}, sub="mallory").assert_problem(404)


# ------------------------------------------------------------------ download
def test_download_redirects_to_a_presigned_get_with_cache_control(api: Any, aws: Any, ingest: Any) -> None:
    original = jpeg(1200, 800)
    ready = ready_image(api, aws, ingest, title="Pier ünïcode", data=original)
    path = f"/images/{ready['id']}/download"
    reply = api.call("download", "download_get.json", path=path, query={"variant": "original"})
    assert reply.status == 302 and reply.text in ("", None), reply.text
    assert reply.headers["cache-control"].startswith("private, max-age=")
    data, headers = fetch_presigned(reply.headers["location"])
    assert hashlib.sha256(data).hexdigest() == hashlib.sha256(original).hexdigest()
    assert headers["content-disposition"].startswith('attachment; filename="Pier _n_code.jpg"')
    for variant, box in [("thumbnail", 256), ("compressed", 2048), ("display", 2048)]:
        link = api.call("download", "download_get.json", path=path, query={"variant": variant, "redirect": "false"})
        assert link.status == 200 and set(link.json()) == {"url", "expires_at"}
        assert len(link.text) < 2048, "no image bytes through Lambda"
        size = Image.open(io.BytesIO(fetch_presigned(link.json()["url"])[0])).size
        assert max(size) == min(box, 1200)
    expires = parse_qs(urlparse(link.json()["url"]).query)["X-Amz-Expires"][0]
    assert int(expires) <= 300


def test_on_demand_transform_is_rendered_once_and_reused(api: Any, aws: Any, ingest: Any) -> None:
    ready = ready_image(api, aws, ingest)
    path = f"/images/{ready['id']}/download"
    query = {"w": "100", "h": "100", "fit": "cover", "format": "webp", "quality": "60", "redirect": "false"}
    first = api.call("download", "download_get.json", path=path, query=query).json()
    image = Image.open(io.BytesIO(fetch_presigned(first["url"])[0]))
    assert (image.format, image.size) == ("WEBP", (100, 100))
    prefix = f"renditions/{keys.encode_owner('alice')}/{ready['id']}/t_"
    assert len(objects(aws, prefix)) == 1
    api.call("download", "download_get.json", path=path, query=query)
    assert len(objects(aws, prefix)) == 1, "the same transform reuses its object"
    png_out = api.call(
        "download", "download_get.json", path=path, query={"w": "64", "format": "png", "redirect": "false"}
    ).json()
    assert Image.open(io.BytesIO(fetch_presigned(png_out["url"])[0])).size == (64, 43)


@pytest.mark.parametrize(
    "query",
    [
        {"w": "0"},
        {"w": "4097"},
        {"h": "-1"},
        {"quality": "0"},
        {"quality": "101"},
        {"format": "tiff"},
        {"fit": "zoom"},
        {"variant": "huge"},
        {"w": "abc"},
    ],
)
def test_transform_parameter_bounds(api: Any, query: dict) -> None:
    api.call(
        "download", "download_get.json", path="/images/01ARZ3NDEKTSV4RRFFQ69G5FAV/download", query=query
    ).assert_problem(422)


def test_rendition_cap_answers_429(api: Any, aws: Any, ingest: Any, settings_override: Any) -> None:
    settings_override(max_renditions_per_image="5")
    ready = ready_image(api, aws, ingest)
    path = f"/images/{ready['id']}/download"
    for width in (10, 20):
        assert api.call("download", "download_get.json", path=path, query={"w": str(width)}).status == 302
    api.call("download", "download_get.json", path=path, query={"w": "30"}).assert_problem(429)
    assert api.call("download", "download_get.json", path=path, query={"w": "10"}).status == 302, (
        "existing ones still served"
    )
    assert api.call("download", "download_get.json", path=path, query={"variant": "thumbnail"}).status == 302


def test_download_while_pending_or_rejected_is_409(api: Any, aws: Any, ingest: Any) -> None:
    pending = create(api)["image"]
    api.call("download", "download_get.json", path=f"/images/{pending['id']}/download").assert_problem(409)
    ingest(put_incoming(aws, "alice", pending["id"], b"GIF89a-not-really"))
    problem = api.call("download", "download_get.json", path=f"/images/{pending['id']}/download").assert_problem(409)
    assert problem["rejection_reason"]
    api.call("download", "download_get.json", path=f"/images/{pending['id']}/download", sub="mallory").assert_problem(
        404
    )


# ------------------------------------------------------------------ delete and quota
def test_delete_leaves_nothing_behind(api: Any, aws: Any, ingest: Any) -> None:
    owner = "deleter"
    data = jpeg(900, 600)
    ready = ready_image(api, aws, ingest, owner=owner, data=data, sha256=hashlib.sha256(data).hexdigest())
    path = f"/images/{ready['id']}"
    api.call("download", "download_get.json", path=f"{path}/download", query={"w": "50"}, sub=owner)
    token = keys.encode_owner(owner)
    assert objects(aws, f"renditions/{token}/") and objects(aws, f"originals/{token}/")
    assert api.call("image", "image_delete.json", path=path, sub="mallory").status == 404
    reply = api.call("image", "image_delete.json", path=path, sub=owner)
    assert reply.status == 204 and not reply.text
    assert objects(aws, f"renditions/{token}/") == [] and objects(aws, f"originals/{token}/") == []
    assert objects(aws, f"incoming/{token}/") == []
    # The quota counter stays; so does the rate-limit counter of the transform (it expires by TTL).
    leftovers = [
        i["sk"]["S"]
        for i in table_items(aws, owner)
        if i["sk"]["S"] != "QUOTA" and not i["sk"]["S"].startswith(("RATE#", "PURGED#"))
    ]
    assert leftovers == [f"TRASH#{ready['id']}"], "record, title index and dedupe marker are gone; the trash item stays"
    quota = next(i for i in table_items(aws, owner) if i["sk"]["S"] == "QUOTA")
    assert (quota["images"]["N"], quota["bytes"]["N"]) == ("0", "0")
    api.call("image", "image_delete.json", path=path, sub=owner).assert_problem(404)
    api.call("image", "image_get.json", path=path, sub=owner).assert_problem(404)


def test_quota_is_exact_under_50_concurrent_creates(api: Any, settings_override: Any) -> None:
    settings_override(quota_max_images="10")
    owner = "crowded"

    def attempt(i: int) -> int:
        return api.call(
            "upload", "upload_create.json", body={"title": f"c{i}", "content_type": "image/png", "size": 10}, sub=owner
        ).status

    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = list(pool.map(attempt, range(50)))
    assert statuses.count(201) == 10 and statuses.count(429) == 40
    listed = api.call("list", "list_images.json", query={"limit": "100"}, sub=owner).json()["items"]
    assert len(listed) == 10
    problem = api.call(
        "upload", "upload_create.json", body={"title": "one more", "content_type": "image/png", "size": 1}, sub=owner
    )
    assert problem.assert_problem(429)["type"].endswith("quota-exceeded")
    api.call("image", "image_delete.json", path=f"/images/{listed[0]['id']}", sub=owner)
    assert (
        api.call(
            "upload",
            "upload_create.json",
            body={"title": "fits again", "content_type": "image/png", "size": 1},
            sub=owner,
        ).status
        == 201
    )


def test_byte_quota(api: Any, settings_override: Any) -> None:
    settings_override(quota_max_bytes="1000")
    owner = "bytes-quota"
    ok = api.call(
        "upload", "upload_create.json", body={"title": "a", "content_type": "image/png", "size": 600}, sub=owner
    )
    assert ok.status == 201
    api.call(
        "upload", "upload_create.json", body={"title": "b", "content_type": "image/png", "size": 401}, sub=owner
    ).assert_problem(429)
    assert (
        api.call(
            "upload", "upload_create.json", body={"title": "c", "content_type": "image/png", "size": 400}, sub=owner
        ).status
        == 201
    )


# ------------------------------------------------------------------ compatibility routes
def test_compatibility_routes_share_the_domain_code(api: Any, aws: Any, ingest: Any) -> None:
    owner = "legacy"
    body, content_type = multipart({}, jpeg(320, 240), filename="old.jpg")
    reply = api.call("compat", "compat_upload.json", binary=body, headers={"content-type": content_type}, sub=owner)
    assert reply.status == 201 and set(reply.json()) == {"image_id"}
    image_id = reply.json()["image_id"]
    ingest(keys.incoming_key(owner, image_id))
    analysed = api.call("compat", "compat_analyse.json", query={"image_id": image_id}, sub=owner).json()
    assert (analysed["image_id"], analysed["width"], analysed["height"]) == (image_id, 320, 240)
    listed = api.call("compat", "compat_list.json", sub=owner).json()
    assert [i["image_id"] for i in listed["images"]] == [image_id]
    api.call("compat", "compat_analyse.json", query={"image_id": image_id}, sub="mallory").assert_problem(404)
    api.call("compat", "compat_analyse.json", query={}, sub=owner).assert_problem(422)
    refused = api.call("compat", "compat_upload.json", body={"url": "http://10.0.0.1/x.jpg"}, sub=owner)
    assert "private" in refused.assert_problem(400)["detail"]
