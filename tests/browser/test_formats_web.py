"""Issue 13 on the web page: the picker and hint follow /health's file types, HEIC and an animated
GIF go through the picker and end ready, the GIF's card shows an animated thumbnail (from the
edge, issue 20), and the custom download offers AVIF."""

from __future__ import annotations

import io

import pytest
import requests
from PIL import Image
from playwright.sync_api import expect

from tests.harness import corpus

from .conftest import wait_until
from .test_web import card, task, upload_through_picker

pytestmark = pytest.mark.browser


def test_picker_and_hint_come_from_the_registry(open_page):
    page = open_page()
    expect(page.locator("#file-types-hint")).to_contain_text("AVIF")
    accept = page.locator("#file-input").get_attribute("accept") or ""
    for ext in (".heic", ".heif", ".avif", ".jpg", ".gif"):
        assert ext in accept.split(","), accept
    options = page.locator("#dl-format option").evaluate_all("os => os.map(o => o.value)")
    assert {"avif", "auto", "gif"} <= set(options)


def test_heic_and_an_animated_gif_upload_and_the_gif_thumbnail_moves(open_page, files):
    page = open_page()
    heic = files("iphone_photo.heic", corpus.heic((320, 240)))
    gif = files("spinner.gif", corpus.animation("GIF", 6))
    upload_through_picker(page, [heic, gif])
    for title, size in (("iphone photo", "320 \u00d7 240"), ("spinner", "160 \u00d7 120")):
        row = task(page, title)
        expect(row).to_have_attribute("data-state", "ready", timeout=30_000)
        expect(row.locator(".task__state")).to_have_text(f"Ready \u00b7 {size}")
    img = card(page, "spinner").locator("img")
    wait_until(page, "img => img && img.complete && img.naturalWidth > 0", arg=img.element_handle())
    src = img.evaluate("img => img.currentSrc") or ""
    # The card's picture comes from the edge (issue 20): animated WebP for a browser that takes
    # AVIF or WebP (never a still AVIF), an animated GIF for one that takes neither.
    chromium = requests.get(src, headers={"Accept": "image/avif,image/webp,*/*"}, timeout=30)
    thumb = Image.open(io.BytesIO(chromium.content))
    assert thumb.format == "WEBP" and thumb.n_frames == 6
    plain = Image.open(io.BytesIO(requests.get(src, headers={"Accept": "image/jpeg,*/*"}, timeout=30).content))
    assert plain.format == "GIF" and plain.n_frames == 6
