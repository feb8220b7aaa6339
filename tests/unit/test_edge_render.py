"""The render function's use case (imageapi.domain.edge_render, issue 20) on the in-memory
repository and store with the real Pillow renderer: a miss is rendered in the format class asked
for (animations stay animated, alpha stays), stored under its key and answered; refusals are
problems and store nothing; a large AVIF miss answers WebP that no cache keeps and stores the
AVIF afterwards; an object over the inline limit is stored and answered with a 302."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import replace

import pytest
from PIL import Image

from imageapi.adapters.pixels.renderer import PillowRenderer
from imageapi.domain import keys
from imageapi.domain.edge import edge_version, object_key
from imageapi.domain.edge_render import EdgeAnswer, EdgeRenderService
from imageapi.domain.images import ImageService
from imageapi.domain.models import ImageRecord
from imageapi.settings import Settings
from tests.harness import corpus
from tests.harness.fakes import MemoryObjectStore, MemoryRepository
from tests.harness.images import jpeg, png
from tests.harness.usecases import OWNER, IsolatedSettings

TOKEN = keys.encode_owner(OWNER)


class Fills:
    """The EdgeFill port: records what would be stored asynchronously."""

    def __init__(self) -> None:
        self.keys: list[str] = []

    def __call__(self, key: str) -> None:
        self.keys.append(key)


@pytest.fixture
def edge_settings() -> Settings:
    return IsolatedSettings(edge_avif_miss_max_pixels=3_000_000)


@pytest.fixture
def renders(repository: MemoryRepository, store: MemoryObjectStore, edge_settings: Settings) -> EdgeRenderService:
    return EdgeRenderService(
        repository, store, PillowRenderer(max_pixels=edge_settings.max_pixels), edge_settings, Fills()
    )


@pytest.fixture
def ready(service: ImageService, ingest_all: Callable[[], None]) -> Callable[[bytes], ImageRecord]:
    def upload(data: bytes) -> ImageRecord:
        image_id = service.store_direct(OWNER, "photo", data, None, None, limit=10_000_000).id
        ingest_all()
        return service.get_image(OWNER, image_id)

    return upload


def key_of(record: ImageRecord, width: int, fmt: str, quality: str = "default") -> str:
    return object_key(TOKEN, record.id, edge_version(record), width, quality, fmt)


def decoded(answer: EdgeAnswer) -> Image.Image:
    image = Image.open(io.BytesIO(answer.body))
    image.load()
    return image


@pytest.mark.parametrize(
    ("fmt", "mime", "pil"),
    [("avif", "image/avif", "AVIF"), ("webp", "image/webp", "WEBP"), ("jpeg", "image/jpeg", "JPEG")],
)
def test_a_miss_is_rendered_stored_and_answered(
    renders: EdgeRenderService,
    store: MemoryObjectStore,
    ready: Callable[[bytes], ImageRecord],
    fmt: str,
    mime: str,
    pil: str,
) -> None:
    image = ready(jpeg(1200, 900))
    key = key_of(image, 320, fmt)
    answer = renders.answer(key, format_header=fmt)
    assert answer.status == 200 and answer.headers["Content-Type"] == mime and answer.headers["Vary"] == "Accept"
    assert "Cache-Control" not in answer.headers  # the distribution's policy decides how long it is kept
    assert decoded(answer).format == pil and decoded(answer).size == (320, 240)
    assert store.objects[key] == (answer.body, mime)
    assert answer.headers["ETag"].startswith('"') and len(answer.headers["ETag"]) == 34


def test_the_full_width_entry_is_never_upscaled_and_qualities_differ(
    renders: EdgeRenderService, ready: Callable[[bytes], ImageRecord]
) -> None:
    image = ready(jpeg(1000, 750))
    assert decoded(renders.answer(key_of(image, 1280, "jpeg"))).size == (1000, 750)
    sizes = [len(renders.answer(key_of(image, 640, "jpeg", q)).body) for q in ("low", "default", "high")]
    assert sizes[0] < sizes[1] < sizes[2]


def test_alpha_stays_and_the_jpeg_class_answers_png(
    renders: EdgeRenderService, ready: Callable[[bytes], ImageRecord]
) -> None:
    image = ready(png(400, 300, "RGBA"))
    for fmt, pil in (("jpeg", "PNG"), ("webp", "WEBP"), ("avif", "AVIF")):
        drawn = decoded(renders.answer(key_of(image, 240, fmt)))
        assert drawn.format == pil and drawn.mode in ("RGBA", "LA", "PA") and drawn.getextrema()[-1][0] < 255


def test_animations_stay_animated_never_a_still_avif(
    renders: EdgeRenderService, ready: Callable[[bytes], ImageRecord]
) -> None:
    image = ready(corpus.animation("GIF", 6, size=(320, 240)))
    for fmt, pil in (("avif", "WEBP"), ("webp", "WEBP"), ("jpeg", "GIF")):
        drawn = decoded(renders.answer(key_of(image, 160, fmt)))
        assert drawn.format == pil and getattr(drawn, "n_frames", 1) == 6, fmt


def problem_of(answer: EdgeAnswer) -> dict:
    assert (
        answer.headers["Content-Type"] == "application/problem+json" and answer.headers["Cache-Control"] == "no-store"
    )
    return json.loads(answer.body)


def test_refusals_are_problems_and_store_nothing(
    renders: EdgeRenderService, store: MemoryObjectStore, ready: Callable[[bytes], ImageRecord], service: ImageService
) -> None:
    image = ready(jpeg(800, 600))
    stored = set(store.objects)
    cases = {
        key_of(image, 641, "avif"): (400, "edge-width"),
        key_of(image, 640, "avif").replace("_avif", "_png"): (400, "edge-path"),
        "renditions/x/y": (400, "edge-path"),
        key_of(image, 640, "avif").replace(edge_version(image), "oldversion"): (404, "not-found"),
        key_of(image, 640, "avif").replace(image.id, "01ARZ3NDEKTSV4RRFFQ69G5FAV"): (404, "not-found"),
        key_of(image, 640, "avif").replace(TOKEN, keys.encode_owner("mallory")): (404, "not-found"),
    }
    for key, (status, slug) in cases.items():
        answer = renders.answer(key)
        assert answer.status == status and problem_of(answer)["type"].endswith(slug), key
    assert renders.answer(key_of(image, 640, "avif"), format_header="webp").status == 400  # path and header disagree
    pending = service.store_direct(OWNER, "later", jpeg(), None, None)
    assert renders.answer(object_key(TOKEN, pending.id, "x", 640, "default", "avif")).status == 404
    assert set(store.objects) == stored | {keys.incoming_key(OWNER, pending.id)}


def test_a_large_avif_miss_answers_webp_nobody_keeps_and_stores_the_avif_after(
    renders: EdgeRenderService, store: MemoryObjectStore, ready: Callable[[bytes], ImageRecord]
) -> None:
    image = ready(jpeg(1200, 900))
    renders = replace(renders, settings=IsolatedSettings(edge_avif_miss_max_pixels=640 * 480))
    small = renders.answer(key_of(image, 640, "avif"))
    assert small.headers["Content-Type"] == "image/avif"  # within the budget: AVIF at once
    key = key_of(image, 960, "avif")
    answer = renders.answer(key)
    assert answer.status == 200 and answer.headers["Content-Type"] == "image/webp"
    assert answer.headers["Cache-Control"] == "no-store" and answer.headers["Vary"] == "Accept"
    assert key not in store.objects and renders.fill.keys == [key]  # type: ignore[union-attr]
    assert renders.fill_object(key) is True
    assert store.objects[key][1] == "image/avif" and Image.open(io.BytesIO(store.objects[key][0])).size == (960, 720)
    assert renders.fill_object(key) is False  # already there: not rendered twice
    assert renders.answer(key_of(image, 960, "webp")).headers.get("Cache-Control") is None  # webp is webp: kept


def test_without_a_fill_a_large_avif_is_encoded_on_the_miss(
    renders: EdgeRenderService, store: MemoryObjectStore, ready: Callable[[bytes], ImageRecord]
) -> None:
    image = ready(jpeg(1200, 900))
    renders = replace(renders, settings=IsolatedSettings(edge_avif_miss_max_pixels=1), fill=None)
    assert renders.answer(key_of(image, 960, "avif")).headers["Content-Type"] == "image/avif"


def test_an_object_over_the_inline_limit_is_stored_and_answered_with_a_redirect(
    renders: EdgeRenderService, store: MemoryObjectStore, ready: Callable[[bytes], ImageRecord]
) -> None:
    image = ready(jpeg(1200, 900))
    key = key_of(image, 640, "jpeg")
    answer = replace(renders, max_inline_bytes=1000).answer(key)
    assert answer.status == 302 and answer.body == b"" and answer.headers["Cache-Control"] == "no-store"
    assert (
        answer.headers["Location"].startswith(f"memory://memory/{key}?")
        and "disposition=inline" in answer.headers["Location"]
    )
    assert store.objects[key][1] == "image/jpeg"


def test_an_image_deleted_while_it_renders_keeps_nothing(
    renders: EdgeRenderService,
    repository: MemoryRepository,
    store: MemoryObjectStore,
    ready: Callable[[bytes], ImageRecord],
) -> None:
    image = ready(jpeg(800, 600))
    key = key_of(image, 320, "webp")

    class DeletingRenderer(PillowRenderer):
        def render_edge(self, data: bytes, **arguments):  # type: ignore[no-untyped-def, override]
            repository.records.pop((OWNER, image.id))  # the trash took it meanwhile
            return super().render_edge(data, **arguments)

    answer = replace(renders, renderer=DeletingRenderer(max_pixels=50_000_000)).answer(key)
    assert answer.status == 404 and key not in store.objects


def function_url_event(path: str, method: str = "GET", **headers: str) -> dict:
    return {"version": "2.0", "rawPath": path, "headers": headers, "requestContext": {"http": {"method": method}}}


def test_the_function_url_edge_answers_base64_bodies_and_refuses_other_methods(
    renders: EdgeRenderService, ready: Callable[[bytes], ImageRecord]
) -> None:
    import base64

    from imageapi.http.edge import fill_key, handle

    image = ready(jpeg(800, 600))
    key = key_of(image, 320, "webp")
    got = handle(function_url_event("/" + key, **{"x-image-format": "webp"}), renders)
    assert got["statusCode"] == 200 and got["isBase64Encoded"] is True
    assert Image.open(io.BytesIO(base64.b64decode(got["body"]))).format == "WEBP"
    head = handle(function_url_event("/" + key, "HEAD"), renders)
    assert head["statusCode"] == 200 and head["body"] == "" and head["headers"]["Content-Type"] == "image/webp"
    refused = handle(function_url_event("/" + key, "POST"), renders)
    assert refused["statusCode"] == 405 and refused["headers"]["Allow"] == "GET, HEAD"
    assert fill_key({"edge_fill": key}) == key and fill_key(function_url_event("/" + key)) is None


def test_an_original_that_no_longer_decodes_is_a_problem_not_a_crash(
    renders: EdgeRenderService, store: MemoryObjectStore, ready: Callable[[bytes], ImageRecord]
) -> None:
    from imageapi.http.edge import handle

    image = ready(jpeg(800, 600))
    store.put(keys.original_key(OWNER, image.id), b"\xff\xd8\xff\xe0 not a jpeg any more", "image/jpeg")
    got = handle(function_url_event("/" + key_of(image, 320, "jpeg")), renders)
    assert got["statusCode"] == 404 and got["headers"]["Content-Type"] == "application/problem+json"
