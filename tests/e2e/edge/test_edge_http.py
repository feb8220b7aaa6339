"""Renditions at the edge over HTTP (issue 20): the CDN stand-in (local/edge/cdn.py) in a local
stack built from the real template.yaml, with the real render handler in-process. srcset URLs from
the API are served in the format Accept allows (rendered on the first miss, from the bucket
afterwards), with Vary, Cache-Control, ETag and 304; every refusal gets CloudFront's answer without
the renderer being asked; a deleted image answers 404 for a URL signed before and comes back with
a restore; a PATCH of the size retires the old URLs."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from PIL import Image

from imageapi.context_edge import edge_render_service
from local.aws import client
from local.stack import LocalStack
from tests.harness.images import jpeg
from tests.harness.stack import local_stack

PREFIX = "edge"
AVIF, WEBP, JPEG = "image/avif,image/webp,*/*", "image/webp,*/*", "image/jpeg,*/*"
# AVIF over 320 x 240 pixels answers WebP on the first miss (and stores the AVIF after): small here
# so that the fallback shows with small, cheap images; the template's default is 3 MP.
AVIF_BUDGET = 320 * 240


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    with local_stack(
        tmp_path_factory.mktemp("edge-state"), PREFIX, EDGE_AVIF_MISS_MAX_PIXELS=str(AVIF_BUDGET)
    ) as running:
        yield running


class Owner:
    def __init__(self, stack: LocalStack, sub: str) -> None:
        self.url, self.headers = stack.api_url, {"Authorization": f"Bearer {stack.token(sub)}"}

    def upload(self, data: bytes) -> dict[str, Any]:
        created = requests.post(
            f"{self.url}/images",
            headers=self.headers,
            json={"title": "p", "content_type": "image/jpeg", "size": len(data)},
            timeout=10,
        )
        form = created.json()["upload"]
        assert requests.post(form["url"], data=form["fields"], files={"file": ("f", data, "image/jpeg")}, timeout=10).ok
        image_id = created.json()["image"]["id"]
        deadline = time.monotonic() + 30
        while (image := self.get(image_id))["status"] == "pending" and time.monotonic() < deadline:
            time.sleep(0.1)  # polling the API for ingest, as any client does
        assert image["status"] == "ready", image
        return image

    def get(self, image_id: str) -> dict[str, Any]:
        return requests.get(f"{self.url}/images/{image_id}", headers=self.headers, timeout=10).json()


@pytest.fixture(scope="module")
def owner(stack: LocalStack) -> Owner:
    return Owner(stack, "edge-owner")


@pytest.fixture(scope="module")
def image(owner: Owner) -> dict[str, Any]:
    return owner.upload(jpeg(1000, 750))


def url_of(image: dict[str, Any], width: int) -> str:
    return next(e["url"] for e in image["srcset"] if e["width"] == width)


def fetch(url: str, accept: str = AVIF, **headers: str) -> requests.Response:
    return requests.get(url, headers={"Accept": accept, **headers}, timeout=30)


@pytest.fixture
def renders(stack: LocalStack) -> Iterator[Any]:
    """The render function's invocations during a test: ``renders()`` answers how many."""
    assert stack.cdn is not None
    before = stack.cdn.render_invocations
    yield lambda: stack.cdn.render_invocations - before  # type: ignore[union-attr]


def test_the_api_offers_every_width_up_to_the_original_with_one_signature(
    stack: LocalStack, image: dict[str, Any]
) -> None:
    assert [e["width"] for e in image["srcset"]] == [160, 240, 320, 480, 640, 960, 1000]
    assert all(e["url"].startswith(f"{stack.cdn_url}/renditions/") and "Policy=" in e["url"] for e in image["srcset"])
    assert len({e["url"].split("&Policy=")[1] for e in image["srcset"]}) == 1
    health = requests.get(f"{stack.api_url}/health", timeout=10).json()["limits"]
    assert health["edge_widths"] == [160, 240, 320, 480, 640, 960, 1280, 1920, 2560, 3840]
    assert health["edge_qualities"] == ["low", "default", "high"]


def test_a_first_miss_renders_stores_and_answers_then_the_bucket_serves(
    stack: LocalStack, image: dict[str, Any], renders: Any
) -> None:
    url = url_of(image, 320)
    first = fetch(url)
    assert first.status_code == 200 and first.headers["Content-Type"] == "image/avif", first.text
    assert Image.open(io.BytesIO(first.content)).size == (320, 240)
    assert first.headers["Vary"] == "Accept" and first.headers["Cache-Control"] == "private, max-age=3600, immutable"
    assert renders() == 1
    again = fetch(url)
    assert (
        again.status_code == 200
        and again.content == first.content
        and again.headers["X-Cache"] == "Hit from cloudfront"
    )
    assert again.headers["ETag"] == first.headers["ETag"] and again.headers["Vary"] == "Accept"
    assert renders() == 1  # stored: the renderer is not asked again
    revalidated = fetch(url, **{"If-None-Match": first.headers["ETag"]})
    assert revalidated.status_code == 304 and revalidated.content == b""
    keys = [
        o["Key"]
        for o in client("s3", stack.aws_url).list_objects_v2(
            Bucket=str(stack.environment["BUCKET_NAME"]), Prefix="renditions/"
        )["Contents"]
    ]
    assert any(k.endswith("/320_default_avif") for k in keys)


@pytest.mark.parametrize(("accept", "mime"), [(JPEG, "image/jpeg"), (WEBP, "image/webp"), ("", "image/jpeg")])
def test_each_client_gets_its_own_format_never_anothers(image: dict[str, Any], accept: str, mime: str) -> None:
    url = url_of(image, 240)
    assert fetch(url, AVIF).headers["Content-Type"] == "image/avif"  # stored first, under its own key
    got = fetch(url, accept)
    assert got.status_code == 200 and got.headers["Content-Type"] == mime and got.headers["Vary"] == "Accept"
    assert Image.open(io.BytesIO(got.content)).format == mime.split("/")[1].upper()


def test_quality_levels_are_their_own_objects(image: dict[str, Any]) -> None:
    default = fetch(url_of(image, 240), JPEG).content
    high = fetch(url_of(image, 240).replace("/edge/240?", "/edge/240-high?"), JPEG)
    low = fetch(url_of(image, 240).replace("/edge/240?", "/edge/240-low?"), JPEG)
    assert high.status_code == low.status_code == 200 and len(low.content) < len(default) < len(high.content)


@pytest.mark.parametrize(
    ("change", "slug"),
    [
        (lambda u: u.replace("/edge/320?", "/edge/321?"), "edge-width"),
        (lambda u: u.replace("/edge/320?", "/edge/4096?"), "edge-width"),
        (lambda u: u.replace("/edge/320?", "/edge/320-best?"), "edge-path"),
        (lambda u: u.replace("?v=", "?v=X"), "edge-version"),
    ],
)
def test_outside_the_allow_lists_the_edge_function_answers_400_and_nothing_renders(
    image: dict[str, Any], renders: Any, change: Any, slug: str
) -> None:
    response = fetch(change(url_of(image, 320)))  # still carries a valid signature for this image
    assert response.status_code == 400 and response.headers["Content-Type"] == "application/problem+json"
    assert response.json()["type"].endswith(slug) and response.headers["X-Cache"].startswith("FunctionGenerated")
    assert renders() == 0


def test_forged_expired_and_foreign_signatures_are_403_and_nothing_renders(
    stack: LocalStack, owner: Owner, image: dict[str, Any], renders: Any
) -> None:
    url = url_of(image, 480)
    other = owner.upload(jpeg(700, 500, color=(20, 90, 200)))
    foreign = url_of(other, 480).split("?")[0] + "?" + url.split("?")[1]  # this image's signature on the other's path
    stranger = Owner(stack, "stranger").upload(jpeg(600, 400))
    for refused in (
        url.replace("Signature=", "Signature=AAAA"),
        url.replace("Policy=", "Policy=eyJ"),
        url.split("&Key-Pair-Id=")[0],
        foreign,
        url_of(stranger, 480).split("?")[0] + "?" + url.split("?")[1],
    ):
        response = fetch(refused)
        assert response.status_code == 403 and "<Error>" in response.text, refused
    assert stack.cdn is not None
    clock = stack.cdn.clock
    stack.cdn.clock = lambda: time.time() + 2 * 3600 + 900  # past the policy's DateLessThan
    try:
        assert fetch(url).status_code == 403
    finally:
        stack.cdn.clock = clock
    assert renders() == 0
    assert fetch(url).status_code == 200 and renders() == 1  # the same URL, unexpired: served


def test_a_large_avif_miss_answers_webp_no_store_and_stores_the_avif_for_the_next(
    image: dict[str, Any], renders: Any
) -> None:
    url = url_of(image, 640)  # 640 x 480: over this stack's AVIF budget
    first = fetch(url)
    assert first.status_code == 200 and first.headers["Content-Type"] == "image/webp"
    assert first.headers["Cache-Control"] == "no-store" and first.headers["Vary"] == "Accept"
    fill = edge_render_service().fill
    fill.join()  # type: ignore[union-attr]  # the stand-in's asynchronous invoke: a thread of the stack
    second = fetch(url)
    assert second.headers["Content-Type"] == "image/avif" and second.headers["X-Cache"] == "Hit from cloudfront"
    assert Image.open(io.BytesIO(second.content)).size == (640, 480)
    assert fetch(url, WEBP).headers.get("Cache-Control") != "no-store"  # a WebP client's WebP is stored
    assert renders() == 2


def test_a_trashed_image_answers_404_for_a_url_signed_before_and_a_restore_serves_it_again(
    owner: Owner, renders: Any
) -> None:
    image = owner.upload(jpeg(800, 600, color=(200, 200, 30)))
    url = url_of(image, 160)
    assert fetch(url).status_code == 200
    assert requests.delete(f"{owner.url}/images/{image['id']}", headers=owner.headers, timeout=10).status_code == 204
    gone = fetch(url)
    assert gone.status_code == 404 and gone.headers["Content-Type"] == "application/problem+json"
    assert fetch(url_of(image, 240)).status_code == 404  # never rendered before: not now either
    restored = requests.post(f"{owner.url}/images/{image['id']}/restore", headers=owner.headers, timeout=10)
    assert restored.status_code == 200
    assert fetch(url).status_code == 200 and fetch(url_of(image, 240)).status_code == 200


def test_a_patch_of_the_size_retires_the_old_urls(owner: Owner, renders: Any) -> None:
    image = owner.upload(jpeg(900, 600, color=(90, 30, 120)))
    old = url_of(image, 320)
    assert fetch(old).status_code == 200
    patched = requests.patch(
        f"{owner.url}/images/{image['id']}",
        headers=owner.headers,
        json={"width": 300, "height": 300, "fit": "cover"},
        timeout=30,
    ).json()
    new = url_of(patched, 320)
    assert new != old and fetch(old).status_code == 404  # the old version's object is gone, never new pixels
    square = fetch(new)
    assert square.status_code == 200 and Image.open(io.BytesIO(square.content)).size == (320, 320)
