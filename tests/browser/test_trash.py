"""The trash in the web page (SPEC §3.4): Undo right after a delete, and the trash view's
Restore and Delete forever, in Chromium against the local stack."""

from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def card(page, title: str):
    return page.locator(".card", has=page.locator(".card__title", has_text=re.compile(f"^{re.escape(title)}$")))


def trash_row(page, title: str):
    return page.locator(".trash__item", has=page.locator(".trash__title", has_text=re.compile(f"^{re.escape(title)}$")))


def delete_in_viewer(page, title: str) -> None:
    card(page, title).locator(".card__open").click()
    page.click("#delete-button")
    page.click("#delete-yes")
    expect(page.locator("#viewer")).to_be_hidden()
    expect(card(page, title)).to_have_count(0)


def test_delete_then_undo_brings_the_image_back(open_page, api):
    api.seed(["keep", "oops"])
    page = open_page()
    delete_in_viewer(page, "oops")
    message = page.locator(".message", has_text="Moved to the trash")
    expect(message).to_contain_text("oops")
    message.get_by_role("button", name="Undo").click()
    expect(page.locator(".message", has_text="Restored")).to_be_visible()
    expect(card(page, "oops")).to_have_count(1)
    expect(card(page, "oops").locator(".badge")).to_have_text("Ready")
    page.reload()
    page.wait_for_selector("#gallery-summary:not(:empty)")
    expect(card(page, "oops")).to_have_count(1)
    expect(card(page, "keep")).to_have_count(1)


def test_trash_view_restores_and_deletes_forever(open_page, api):
    seeded = api.seed(["first trashed", "second trashed", "stays"])
    for image in seeded[:2]:
        assert requests.delete(f"{api.url}/images/{image['id']}", headers=api.headers, timeout=10).status_code == 204
    page = open_page()
    expect(card(page, "stays")).to_have_count(1)
    expect(card(page, "first trashed")).to_have_count(0)
    page.click("#open-trash")
    dialog = page.locator("#trash-dialog")
    expect(dialog).to_be_visible()
    # Newest deletion first.
    expect(page.locator(".trash__title")).to_have_text(["second trashed", "first trashed"])
    expect(trash_row(page, "first trashed").locator(".trash__meta")).to_contain_text("deleted")

    trash_row(page, "first trashed").get_by_role("button", name="Restore").click()
    expect(trash_row(page, "first trashed")).to_have_count(0)
    expect(card(page, "first trashed")).to_have_count(1)

    row = trash_row(page, "second trashed")
    row.get_by_role("button", name="Delete forever…").click()
    row.get_by_role("button", name="Cancel").click()
    expect(row).to_have_count(1)
    row.get_by_role("button", name="Delete forever…").click()
    row.get_by_role("button", name="Yes, delete forever").click()
    expect(page.locator(".message", has_text="Deleted forever")).to_be_visible()
    expect(trash_row(page, "second trashed")).to_have_count(0)
    expect(page.locator("#trash-summary")).to_have_text("The trash is empty.")
    page.click("#trash-close")
    expect(dialog).to_be_hidden()
    # Gone for good: the API agrees.
    gone = requests.post(f"{api.url}/images/{seeded[1]['id']}/restore", headers=api.headers, timeout=10)
    assert gone.status_code == 404
    back = requests.get(f"{api.url}/images/{seeded[0]['id']}", headers=api.headers, timeout=10)
    assert back.status_code == 200 and back.json()["status"] == "ready"
