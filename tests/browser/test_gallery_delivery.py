"""Delivery at scale (issue 12) in Chromium against the local stack with 24 ready images: the
first gallery page costs at most two API requests (the list, and /health for the accepted file
types), thumbnails come from the embedded signed URLs (the CDN stand-in), and a reload fetches no
rendition bytes again (the URLs are stable within their window, so the browser's cache serves
them). Counted where the server sees requests (bench.gallery's counting middleware), never timed."""

from __future__ import annotations

import re
import uuid

import pytest

from bench.gallery import measure_views, seed

from .conftest import wait_until

pytestmark = pytest.mark.browser

IMAGES = 24


def test_a_gallery_page_is_two_api_requests_and_a_reload_fetches_no_rendition_again(stack, browser) -> None:
    assert stack.cdn_url, "the browser suite's stack runs the template's default DELIVERY_MODE=cdn"
    user = f"gallery-{uuid.uuid4().hex[:8]}"
    seed(stack.api_url, stack.token(user), IMAGES)

    views = measure_views(stack._gateway, browser, stack.api_url, user, IMAGES)  # the gateway serves /_cdn too
    first, again = views.first, views.reload

    gallery_calls = [hit.path for hit in first.api]
    assert first.api_requests <= 2, gallery_calls  # before: 25 (the list + one download call per card)
    assert not any("/download" in path for path in gallery_calls), gallery_calls
    assert first.rendition_requests > 0 and first.rendition_bytes > 0  # thumbnails did come from the CDN
    assert {hit.status for hit in first.renditions} == {200}
    assert views.sized_lazy_thumbnails == len(views.thumbnails) == IMAGES  # no layout shift, lazy

    assert again.rendition_bytes == 0, [(h.path, h.status, h.bytes) for h in again.renditions]
    assert again.server_requests <= 2, [hit.path for hit in again.api + again.renditions]


def test_the_dialog_previews_from_the_embedded_url_with_its_size(stack, open_page, api) -> None:
    api.seed(["first", "second"])
    page = open_page()
    calls: list[str] = []
    page.on("request", lambda request: calls.append(request.url))
    page.locator(".card", has_text="second").locator(".card__open").click()
    wait_until(page, "() => document.querySelector('#preview-img').classList.contains('is-loaded')")
    preview = page.locator("#preview-img")
    assert (preview.get_attribute("src") or "").startswith(stack.cdn_url + "/")
    assert int(preview.get_attribute("width") or 0) > 0 and int(preview.get_attribute("height") or 0) > 0
    assert not [url for url in calls if "/download" in url]  # no download call for the preview


def test_refused_thumbnail_urls_are_renewed_by_one_list_read_not_per_image(stack, context, open_page, api) -> None:
    """As the CDN refuses an expired URL (403): the page re-reads the list once for all broken
    thumbnails, never calls per image, and the thumbnails recover."""
    api.seed(["first", "second", "third"])
    refused: set[str] = set()

    def refuse_first_time(route) -> None:
        if route.request.url in refused:
            route.continue_()
        else:
            refused.add(route.request.url)
            route.fulfill(status=403, body="expired")

    calls: list[str] = []
    context.on("request", lambda request: calls.append(request.url))
    context.route(re.compile(re.escape(stack.cdn_url) + r"/.*"), refuse_first_time)
    page = open_page()
    wait_until(
        page,
        "() => { const i = [...document.querySelectorAll('#gallery .card img')];"
        " return i.length === 3 && i.every(x => x.complete && x.naturalWidth > 0); }",
    )
    assert len(refused) == 3
    rereads = [url for url in calls if re.search(r"/images\?limit=3(&|$)", url)]
    assert len(rereads) == 1, calls  # one list read renewed all three
    assert not [url for url in calls if "/download" in url or re.search(r"/images/[0-9A-Z]{26}$", url)]
