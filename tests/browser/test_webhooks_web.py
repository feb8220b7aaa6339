"""The "Webhooks" dialog (SPEC §3.11, issue 19) in Chromium against the local stack: add an
endpoint (the stack's own inbox) and see its secret once, send a test that arrives signed, the
delivery log with its attempts, redeliver, rotate the secret, delete."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from standardwebhooks import Webhook

pytestmark = pytest.mark.browser


def test_the_webhooks_dialog_adds_tests_redelivers_rotates_and_deletes(open_page, stack, user):
    channel = f"browser-{user}"
    url = f"{stack.inbox_url}/{channel}"
    page = open_page()
    page.click("#open-webhooks")
    dialog = page.locator("#webhooks-dialog")
    expect(dialog).to_be_visible()
    expect(page.locator("#webhooks-summary")).to_have_text("No endpoints yet.")

    # A refused URL answers a problem the page shows; nothing is added.
    page.fill("#webhook-url", "ftp://example.com/hooks")
    page.click("#webhook-form button[type=submit]")
    expect(page.locator(".message", has_text="Could not add the endpoint")).to_be_visible()
    expect(page.locator("#webhook-secret")).to_be_hidden()

    page.fill("#webhook-url", url)
    page.check('input[name="event"][value="image.created"]')
    page.click("#webhook-form button[type=submit]")
    secret_box = page.locator("#webhook-secret-value")
    expect(secret_box).to_contain_text("whsec_")
    secret = secret_box.inner_text()
    row = page.locator(".trash__item", has_text=url)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("image.created, image.ready, image.rejected")

    row.get_by_role("button", name="Send test").click()
    expect(row.locator("[data-status=succeeded]")).to_have_count(1)
    expect(row.locator("[data-delivery]").first).to_contain_text("webhook.test · succeeded · 1 attempt")
    expect(row.locator(".webhook__attempts").first).to_contain_text("200")
    received = stack.inbox.messages(channel)
    assert len(received) == 1
    assert Webhook(secret).verify(received[0]["body"], received[0]["headers"])["type"] == "webhook.test"

    row.locator("[data-redeliver]").first.click()
    expect(row.locator("[data-delivery]").first).to_contain_text("2 attempts")
    received = stack.inbox.messages(channel)
    assert len(received) == 2 and received[0]["headers"]["webhook-id"] == received[1]["headers"]["webhook-id"]

    page.locator("#webhook-secret").evaluate("el => el.hidden = true")
    row.get_by_role("button", name="Rotate secret").click()
    expect(page.locator("#webhook-secret")).to_be_visible()
    rotated = secret_box.inner_text()
    assert rotated.startswith("whsec_") and rotated != secret

    row.get_by_role("button", name="Delete").click()
    expect(page.locator(".trash__item", has_text=url)).to_have_count(0)
    expect(page.locator("#webhooks-summary")).to_have_text("No endpoints yet.")
    page.click("#webhooks-close")
    expect(dialog).to_be_hidden()
