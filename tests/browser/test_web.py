"""The web page against the real local stack in Chromium (issue 4)."""

from __future__ import annotations

import io
import json
import re

import pytest
import requests
from PIL import Image
from playwright.sync_api import expect

from .conftest import MAX_UPLOAD_BYTES, jpeg_bytes, noise_jpeg_bytes, png_bytes, wait_until

pytestmark = pytest.mark.browser

# Every finite animation or transition has ended (spinners loop forever and do not count).
ANIMATIONS_SETTLED = (
    "() => document.getAnimations().every("
    "a => a.playState !== 'running' || a.effect.getComputedTiming().iterations === Infinity)"
)


def task(page, title: str):
    return page.locator(".task", has=page.locator(".task__title", has_text=re.compile(f"^{re.escape(title)}$")))


def card(page, title: str):
    return page.locator(".card", has=page.locator(".card__title", has_text=re.compile(f"^{re.escape(title)}$")))


def upload_through_picker(page, paths: list[str]) -> None:
    page.set_input_files("#file-input", paths)
    expect(page.locator("#staged-form")).to_be_visible()
    page.click("#upload-button")


# ------------------------------------------------------------------ uploads


def test_upload_jpeg_becomes_ready_with_dimensions_in_analysis(open_page, files):
    page = open_page()
    path = files("harbour_at_dusk.jpg", jpeg_bytes(1200, 800))
    page.set_input_files("#file-input", [path])
    title_input = page.locator("#staged-list input")
    expect(title_input).to_have_value("harbour at dusk")  # title defaults to the file name
    page.click("#upload-button")

    row = task(page, "harbour at dusk")
    expect(row).to_have_attribute("data-state", "ready", timeout=30_000)
    expect(row.locator(".task__state")).to_have_text("Ready · 1200 \u00d7 800")
    assert row.locator("progress").evaluate("p => p.hidden")  # the bar finished and went away

    tile = card(page, "harbour at dusk")
    expect(tile.locator(".badge")).to_have_text("Ready")
    expect(tile.locator("img")).to_have_attribute("alt", "harbour at dusk")
    wait_until(page, "img => img && img.complete && img.naturalWidth > 0", arg=tile.locator("img").element_handle())
    tile.locator(".card__open").click()

    dialog = page.locator("#viewer")
    expect(dialog).to_be_visible()
    expect(page.locator("#viewer-title")).to_have_text("harbour at dusk")
    expect(page.locator("#analysis-dimensions")).to_have_text("1200 \u00d7 800 px", timeout=15_000)
    expect(page.locator("#analysis-format")).to_contain_text("JPEG")
    expect(page.locator("#swatches .swatch").first).to_be_visible()
    expect(page.locator("#preview-img")).to_have_attribute("alt", "harbour at dusk")
    wait_until(page, "() => document.querySelector('#preview-img').classList.contains('is-loaded')")


def test_progress_bar_reports_real_upload_progress(open_page, context, files):
    page = open_page()
    # Slow the upload down (DevTools network emulation) so upload.onprogress fires on the way.
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 20, "downloadThroughput": -1, "uploadThroughput": 256 * 1024},
    )
    # Record every value the bar takes while the file goes to S3.
    page.evaluate("""() => {
        window.__progress = [];
        new MutationObserver((records) => {
          for (const r of records) {
            const p = r.target;
            if (p.matches?.('progress') && p.hasAttribute('value')) window.__progress.push(p.value);
          }
        }).observe(document.querySelector('#activity'), {subtree: true, attributes: true, attributeFilter: ['value']});
    }""")
    data = noise_jpeg_bytes(900, 700)
    assert len(data) > 400_000
    upload_through_picker(page, [files("big_noise.jpg", data)])
    expect(task(page, "big noise")).to_have_attribute("data-state", "ready", timeout=60_000)
    values = page.evaluate("window.__progress")
    assert 100 in values, values
    assert any(0 < v < 100 for v in values), f"no intermediate progress: {values}"


def test_non_image_file_ends_rejected_with_its_reason(open_page, files):
    page = open_page()
    upload_through_picker(page, [files("fake.jpg", b"this is plain text pretending to be a JPEG\n" * 40)])
    row = task(page, "fake")
    expect(row).to_have_attribute("data-state", "rejected", timeout=30_000)
    expect(row.locator(".task__state")).to_contain_text(re.compile(r"Rejected: .+"))
    reason = row.locator(".task__state").inner_text().removeprefix("Rejected: ")
    assert len(reason) > 5
    expect(page.locator("#messages .message--error").last).to_contain_text("was rejected")
    tile = card(page, "fake")
    expect(tile.locator(".badge")).to_have_text("Rejected")
    tile.locator(".card__open").click()
    expect(page.locator("#viewer-reason")).to_contain_text(reason)
    expect(page.locator("#download-section")).to_be_hidden()


def test_file_over_the_upload_limit_shows_the_apis_413(open_page, files):
    page = open_page()
    page.fill("#search", "keep me")  # state the error must not lose
    big = files("too_big.jpg", b"\xff\xd8\xff" + b"\0" * (MAX_UPLOAD_BYTES + 10))
    upload_through_picker(page, [big])
    message = page.locator("#messages .message--error").last
    expect(message).to_contain_text("“too big” was not uploaded")
    expect(message).to_contain_text(re.compile("large", re.I))
    expect(task(page, "too big")).to_have_attribute("data-state", "error")
    expect(page.locator("#search")).to_have_value("keep me")


def test_s3_refusal_is_shown_from_its_xml_error(open_page, files):
    """S3's content-length-range refuses a file larger than the form allows. The page always
    declares File.size, so the test makes the form smaller than the file by rewriting the
    declared size on its way to the API; the refusal itself comes from the local S3 endpoint."""
    page = open_page()

    def shrink_declared_size(route):
        request = route.request
        if request.method != "POST":
            return route.continue_()
        body = json.loads(request.post_data or "{}")
        if "size" in body:
            body["size"] = 100
            body.pop("sha256", None)
        route.continue_(post_data=json.dumps(body))

    page.route(re.compile(r".*/images$"), shrink_declared_size)
    upload_through_picker(page, [files("sneaky.jpg", jpeg_bytes(300, 200))])
    row = task(page, "sneaky")
    expect(row).to_have_attribute("data-state", "error", timeout=15_000)
    expect(row.locator(".task__state")).to_contain_text("EntityTooLarge")
    message = page.locator("#messages .message--error").last
    expect(message).to_contain_text("Upload refused by storage: EntityTooLarge")
    expect(message).to_contain_text("larger than the upload form allows")
    expect(card(page, "sneaky")).to_have_count(0)  # the record that never got bytes is gone


def test_same_bytes_twice_is_already_uploaded(open_page, files):
    page = open_page()
    data = jpeg_bytes(640, 480)
    upload_through_picker(page, [files("first.jpg", data)])
    expect(task(page, "first")).to_have_attribute("data-state", "ready", timeout=30_000)
    upload_through_picker(page, [files("second.jpg", data)])
    expect(task(page, "second")).to_have_attribute("data-state", "duplicate", timeout=15_000)
    expect(task(page, "second").locator(".task__state")).to_contain_text("Already uploaded")
    expect(page.locator(".card")).to_have_count(1)


def test_several_files_at_once_with_a_target_size(open_page, files):
    page = open_page()
    page.click("#resize-options summary")
    page.fill("#resize-width", "300")
    page.select_option("#resize-fit", "inside")
    upload_through_picker(page, [files("one.png", png_bytes(600, 400)), files("two.png", png_bytes(400, 600))])
    expect(task(page, "one")).to_have_attribute("data-state", "ready", timeout=30_000)
    expect(task(page, "two")).to_have_attribute("data-state", "ready", timeout=30_000)
    expect(task(page, "one").locator(".task__state")).to_have_text("Ready · 300 \u00d7 200")
    expect(page.locator(".card")).to_have_count(2)


def test_bad_target_size_is_explained_without_sending(open_page, files):
    page = open_page()
    page.click("#resize-options summary")
    page.fill("#resize-width", "5000")
    upload_through_picker(page, [files("one.png", png_bytes())])
    expect(page.locator("#messages .message--error").last).to_contain_text("width: must be between 1 and 4096")
    expect(page.locator(".task")).to_have_count(0)


# ------------------------------------------------------------------ URL import


def test_url_import_becomes_ready(open_page, image_server):
    root, base = image_server
    (root / "lighthouse.png").write_bytes(png_bytes(320, 240))
    page = open_page()
    page.fill("#import-url", f"{base}/lighthouse.png")
    page.click("#import-button")
    row = task(page, "lighthouse")  # title from the URL's last segment
    expect(row).to_have_attribute("data-state", "ready", timeout=30_000)
    expect(row.locator(".task__state")).to_have_text("Ready · 320 \u00d7 240")
    expect(card(page, "lighthouse").locator(".badge")).to_have_text("Ready")


def test_url_import_failure_is_a_readable_problem(open_page, image_server):
    _, base = image_server
    page = open_page()
    page.fill("#import-url", f"{base}/missing.png")
    page.fill("#import-title", "Nothing here")
    page.click("#import-button")
    row = task(page, "Nothing here")
    expect(row).to_have_attribute("data-state", "error", timeout=20_000)
    message = page.locator("#messages .message--error").last
    expect(message).to_contain_text("Import failed")
    assert "[object Object]" not in message.inner_text()


# ------------------------------------------------------------------ gallery


def test_search_narrows_the_gallery_and_load_more_pages(open_page, api):
    api.seed([f"meadow {i:02d}" for i in range(23)] + ["harbour one", "harbour two"])
    page = open_page()
    expect(page.locator(".card")).to_have_count(24)
    expect(page.locator(".card").first.locator(".card__title")).to_have_text("harbour two")  # newest first
    expect(page.locator("#load-more")).to_be_visible()
    page.click("#load-more")
    expect(page.locator(".card")).to_have_count(25)
    expect(page.locator("#load-more")).to_be_hidden()

    page.fill("#search", "HARBOUR")
    expect(page.locator(".card")).to_have_count(2)
    expect(page.locator(".card__title")).to_have_text(["harbour two", "harbour one"])
    page.fill("#search", "nothing like this")
    expect(page.locator(".card")).to_have_count(0)
    expect(page.locator("#gallery-summary")).to_have_text("No images match your search.")
    page.fill("#search", "")
    expect(page.locator(".card")).to_have_count(24)


def test_cards_listed_while_processing_update_when_ingest_decides(open_page, api, stack):
    created = requests.post(
        f"{api.url}/images",
        headers=api.headers,
        timeout=10,
        json={"title": "arrives later", "content_type": "image/png", "size": 10_000},
    ).json()
    page = open_page()
    tile = card(page, "arrives later")
    expect(tile.locator(".badge")).to_have_text("Processing")
    form = created["upload"]
    data = png_bytes()
    sent = requests.post(form["url"], data=form["fields"], files={"file": ("f", data, "image/png")}, timeout=10)
    assert sent.status_code == 204, sent.text
    expect(tile.locator(".badge")).to_have_text("Ready", timeout=20_000)


def test_owners_see_only_their_own_images(open_page, api, user):
    api.seed(["mine"])
    page = open_page()
    expect(page.locator(".card")).to_have_count(1)
    page.fill("#user-name", user + "-other")
    page.click("#user-form button[type=submit]")
    expect(page.locator("#gallery-summary")).to_have_text("No images yet. Upload one above to get started.")
    expect(page.locator(".card")).to_have_count(0)


def test_expired_session_signs_in_again_and_keeps_going(stack, open_page, api, user, context):
    api.seed(["still here"])
    expired = stack.token(user, ttl=-60)
    state = {"served": False}

    def expired_once(route):
        if not state["served"]:
            state["served"] = True
            return route.fulfill(status=200, content_type="application/json", body=json.dumps({"token": expired}))
        return route.continue_()

    context.route(re.compile(r".*/_local/token\?.*"), expired_once)
    page = open_page()
    expect(page.locator("#messages")).to_contain_text("Session expired")
    expect(card(page, "still here")).to_have_count(1)


# ------------------------------------------------------------------ the image dialog


def test_delete_asks_then_removes_the_card(open_page, api):
    api.seed(["keep", "remove me"])
    page = open_page()
    card(page, "remove me").locator(".card__open").click()
    page.click("#delete-button")
    expect(page.locator("#delete-confirm")).to_be_visible()
    page.click("#delete-no")  # changing one's mind keeps it
    expect(page.locator("#delete-confirm")).to_be_hidden()
    page.click("#delete-button")
    page.click("#delete-yes")
    expect(page.locator("#viewer")).to_be_hidden()
    expect(card(page, "remove me")).to_have_count(0)
    expect(card(page, "keep")).to_have_count(1)
    page.reload()
    page.wait_for_selector("#gallery-summary:not(:empty)")
    expect(card(page, "remove me")).to_have_count(0)


def test_rename_updates_dialog_and_card(open_page, api):
    api.seed(["old name"])
    page = open_page()
    card(page, "old name").locator(".card__open").click()
    page.fill("#rename-title", "new name")
    page.click("#rename-form button[type=submit]")
    expect(page.locator("#viewer-title")).to_have_text("new name")
    page.keyboard.press("Escape")
    expect(card(page, "new name")).to_have_count(1)
    expect(card(page, "old name")).to_have_count(0)


def test_downloads_give_working_links(open_page, context, files):
    page = open_page()
    upload_through_picker(page, [files("tower.jpg", jpeg_bytes(1200, 800))])
    expect(task(page, "tower")).to_have_attribute("data-state", "ready", timeout=30_000)
    card(page, "tower").locator(".card__open").click()
    expect(page.locator("#analysis-dimensions")).to_have_text("1200 \u00d7 800 px")

    with context.expect_page() as opened:
        page.click("#download-section [data-variant=original]")
    opened.value.close()
    link = page.locator("#download-result a")
    expect(link).to_be_visible()
    original = requests.get(link.get_attribute("href"), timeout=10)
    assert original.status_code == 200
    assert Image.open(io.BytesIO(original.content)).size == (1200, 800)

    page.fill("#dl-w", "200")
    page.select_option("#dl-format", "png")
    with context.expect_page() as opened:
        page.click("#custom-download button[type=submit]")
    opened.value.close()
    expect(link).to_contain_text("200 \u00d7 auto PNG")
    custom = requests.get(link.get_attribute("href"), timeout=10)
    assert custom.status_code == 200
    img = Image.open(io.BytesIO(custom.content))
    assert (img.format, img.width) == ("PNG", 200)


def test_blurhash_placeholder_shows_while_the_preview_loads(stack, open_page, api):
    api.seed(["slow preview"])
    page = open_page()
    wait_until(
        page, "() => { const i = document.querySelector('.card img'); return i && i.complete && i.naturalWidth; }"
    )
    # From now on the only image fetched from the renditions origin (the CDN stand-in, or S3 in
    # s3 mode) is the preview, from the URL the list embedded: hold it back.
    held = []
    origin = stack.cdn_url or stack.aws_url
    s3_pattern = re.compile(re.escape(origin) + r"/.*")
    page.route(s3_pattern, lambda route: held.append(route))
    card(page, "slow preview").locator(".card__open").click()
    expect(page.locator("#preview-blurhash")).to_be_visible()
    painted = page.evaluate("""() => {
        const c = document.querySelector('#preview-blurhash');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let opaque = 0; for (let i = 3; i < d.length; i += 4) if (d[i] === 255) opaque++;
        return opaque;
    }""")
    assert painted == 32 * 32
    wait_until(page, "() => document.querySelector('#preview-img').getAttribute('src')")
    assert held, "the preview was not requested from the renditions origin"
    assert not page.evaluate("document.querySelector('#preview-img').classList.contains('is-loaded')")
    for route in held:
        route.continue_()
    page.unroute(s3_pattern)
    wait_until(page, "() => document.querySelector('#preview-img').classList.contains('is-loaded')")


def test_keyboard_only_open_trap_and_escape(open_page, api):
    api.seed(["keyboard"])
    page = open_page()
    button = card(page, "keyboard").locator(".card__open")
    expect(button.locator("img")).to_be_visible()
    button.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#viewer")).to_be_visible()
    expect(page.locator("#viewer-close")).to_be_focused()
    for _ in range(40):  # Tab around the whole dialog: focus never leaves it
        page.keyboard.press("Tab")
        assert page.evaluate("document.querySelector('#viewer').contains(document.activeElement)")
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.querySelector('#viewer').contains(document.activeElement)")
    page.keyboard.press("Escape")
    expect(page.locator("#viewer")).to_be_hidden()
    expect(button).to_be_focused()


def test_every_input_has_a_label(open_page):
    page = open_page()
    unlabeled = page.evaluate("""() => Array.from(document.querySelectorAll('input, select, textarea'))
        .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
        .map(el => el.id || el.name)""")
    assert unlabeled == []


# ------------------------------------------------------------------ screenshots


@pytest.mark.parametrize("width", [375, 1280])
def test_screenshots(browser, stack, api, user, page_errors, artifacts, width, files):
    api.seed(["Quay at dawn", "Red door", "Blue hour", "Market stall", "Old bridge"])
    ctx = browser.new_context(viewport={"width": width, "height": 900}, color_scheme="light")
    try:
        page = ctx.new_page()
        page_errors.attach(page)
        page.goto(stack.api_url + "/")
        page.wait_for_selector("body[data-ready=true]")
        page.fill("#user-name", user)
        page.click("#user-form button[type=submit]")
        expect(page.locator(".card")).to_have_count(5)
        # One upload in the activity list, so the screenshot shows it too.
        upload_through_picker(page, [files("lighthouse_keeper.jpg", jpeg_bytes(900, 600))])
        expect(task(page, "lighthouse keeper")).to_have_attribute("data-state", "ready", timeout=30_000)
        wait_until(
            page, "() => Array.from(document.querySelectorAll('.card img')).every(i => i.complete && i.naturalWidth)"
        )
        wait_until(page, ANIMATIONS_SETTLED)  # transitions finished: what the screenshot shows is final
        for message in page.locator("#messages .message__close").all():
            message.click()
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"the page scrolls sideways by {overflow}px at {width}px"
        page.screenshot(path=str(artifacts / f"web-{width}.png"), full_page=True)

        card(page, "lighthouse keeper").locator(".card__open").click()
        expect(page.locator("#analysis-dimensions")).to_have_text("900 \u00d7 600 px")
        wait_until(page, "() => document.querySelector('#preview-img').classList.contains('is-loaded')")
        wait_until(page, ANIMATIONS_SETTLED)  # transitions finished: what the screenshot shows is final
        page.screenshot(path=str(artifacts / f"web-{width}-dialog.png"))
        if width == 1280:
            dark = browser.new_context(viewport={"width": width, "height": 900}, color_scheme="dark")
            try:
                dpage = dark.new_page()
                page_errors.attach(dpage)
                dpage.goto(stack.api_url + "/")
                dpage.wait_for_selector("body[data-ready=true]")
                dpage.fill("#user-name", user)
                dpage.click("#user-form button[type=submit]")
                expect(dpage.locator(".card")).to_have_count(6)
                wait_until(
                    dpage,
                    "() => Array.from(document.querySelectorAll('.card img')).every(i => i.complete && i.naturalWidth)",
                )
                dpage.screenshot(path=str(artifacts / "web-1280-dark.png"), full_page=True)
            finally:
                dark.close()
    finally:
        ctx.close()
