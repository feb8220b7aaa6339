"""Hand-written hostile requests the fuzzer is unlikely to build (issue 6 item 2): bodies that
are not UTF-8, deeply nested and huge JSON, wrong methods, missing content types, unknown query
parameters and path ids that are not ids. Every answer is a 4xx problem document, never a 5xx."""

from __future__ import annotations

from typing import Any

import pytest

from tests.harness.http import Client, assert_problem

SOME_ID = "01JDQZ8Z6J8V0000000000ABCD"
BODY_ROUTES = [
    ("POST", "/images"),
    ("POST", "/upload_image"),
    ("PATCH", f"/images/{SOME_ID}"),
    ("POST", f"/images/{SOME_ID}/predictions"),
]


@pytest.fixture(scope="module")
def ready_image(owner_a: Client) -> str:
    from tests.harness.images import jpeg

    created = owner_a.request(
        "POST", "/images", params={"title": "edge"}, data=jpeg(64, 48), headers={"Content-Type": "image/jpeg"}
    )
    assert created.status_code == 201, created.text
    image = owner_a.wait_for(created.json()["id"])
    assert image["status"] == "ready"
    return image["id"]


def _on(path: str, image_id: str) -> str:
    return path.replace(SOME_ID, image_id)


@pytest.mark.parametrize(("method", "path"), BODY_ROUTES)
@pytest.mark.parametrize(
    "body", [b"\xff\xfe{\x00", b'{"title": "\xc3\x28"}', b"\xe5\x9b"], ids=["bom", "bad-seq", "cut"]
)
def test_invalid_utf8_bodies_are_400(owner_a: Client, ready_image: str, method: str, path: str, body: bytes) -> None:
    response = owner_a.request(method, _on(path, ready_image), data=body, headers={"Content-Type": "application/json"})
    problem = assert_problem(response, 400)
    assert "UTF-8" in problem["detail"] or "JSON" in problem["detail"]


@pytest.mark.parametrize(("method", "path"), BODY_ROUTES)
@pytest.mark.parametrize("depth", [100, 5_000, 100_000])
def test_deeply_nested_json_is_a_4xx(owner_a: Client, ready_image: str, method: str, path: str, depth: int) -> None:
    for body in ("[" * depth + "]" * depth, '{"a":' * depth + "1" + "}" * depth):
        response = owner_a.request(
            method, _on(path, ready_image), data=body, headers={"Content-Type": "application/json"}
        )
        assert 400 <= response.status_code < 500, (depth, response.status_code, response.text[:300])
        assert_problem(response, response.status_code)


@pytest.mark.parametrize(("method", "path"), BODY_ROUTES)
def test_huge_json_is_a_4xx(owner_a: Client, ready_image: str, method: str, path: str) -> None:
    bodies = [
        '{"title": "' + "x" * 6_000_000 + '", "content_type": "image/png", "size": 10}',
        "[" + ",".join(["1"] * 1_000_000) + "]",
        '{"task": "ocr", ' + ", ".join(f'"k{i}": {i}' for i in range(200_000)) + "}",
    ]
    for body in bodies:
        response = owner_a.request(
            method, _on(path, ready_image), data=body, headers={"Content-Type": "application/json"}
        )
        assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
        assert_problem(response, response.status_code)


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PUT", "/images", {"GET", "POST"}),
        ("DELETE", "/images", {"GET", "POST"}),
        ("POST", f"/images/{SOME_ID}", {"GET", "PATCH", "DELETE"}),
        ("PUT", f"/images/{SOME_ID}", {"GET", "PATCH", "DELETE"}),
        ("DELETE", f"/images/{SOME_ID}/analysis", {"GET"}),
        ("GET", f"/images/{SOME_ID}/predictions", {"POST"}),
        ("POST", "/health", {"GET"}),
        ("TRACE", "/images", {"GET", "POST"}),
    ],
)
def test_wrong_methods_are_405_with_allow(owner_a: Client, method: str, path: str, allowed: set[str]) -> None:
    response = owner_a.request(method, path)
    assert_problem(response, 405)
    assert {m.strip() for m in response.headers["Allow"].split(",")} >= allowed


def test_missing_content_type(owner_a: Client, ready_image: str) -> None:
    # POST /images without a content type is read as JSON (what curl -d sends is form-encoded).
    created = owner_a.request(
        "POST",
        "/images",
        data=b'{"title": "no type", "content_type": "image/png", "size": 10}',
        headers={"Content-Type": ""},
    )
    assert created.status_code == 201, created.text
    renamed = owner_a.request(
        "PATCH", f"/images/{ready_image}", data=b'{"title": "edge"}', headers={"Content-Type": ""}
    )
    assert renamed.status_code == 200, renamed.text
    # Form-encoded or text bodies where JSON is expected: 415, not a crash.
    for method, path in BODY_ROUTES:
        for kind in ("text/plain", "application/x-www-form-urlencoded", "application/xml", "multipart/form-data"):
            response = owner_a.request(method, _on(path, ready_image), data=b"title=x", headers={"Content-Type": kind})
            assert 400 <= response.status_code < 500, (method, path, kind, response.status_code, response.text[:300])
            assert_problem(response, response.status_code)


def test_unknown_query_parameters_are_ignored(owner_a: Client, ready_image: str) -> None:
    assert owner_a.request("GET", "/images", params={"foo": "bar", "limit": "5", "__proto__": "x"}).status_code == 200
    assert owner_a.request("GET", f"/images/{ready_image}", params={"admin": "true"}).status_code == 200
    assert owner_a.request("GET", f"/images/{ready_image}/download", params={"evil": "1"}).status_code == 302
    # ...but a known parameter out of bounds is a 422 problem.
    assert_problem(owner_a.request("GET", "/images", params={"limit": "0"}), 422)
    assert_problem(owner_a.request("GET", "/images", params={"limit": "1e9"}), 422)
    assert_problem(owner_a.request("GET", "/images", params={"status": "archived"}), 422)


NOT_IDS = [
    "not-an-id",
    "..%2F..%2Fetc%2Fpasswd",
    "%2e%2e",
    "' OR '1'='1",
    "%00",
    "%C3%A9t%C3%A9",
    "x" * 5000,
    "01JDQZ8Z6J8V0000000000ABC",  # one character short
    "01jdqz8z6j8v0000000000abcd",  # lower case
    "OWNER%23alice",
    "IMAGE%23" + SOME_ID,
    "%7B%7D",
]
ID_ROUTES = [
    ("GET", "/images/{id}"),
    ("PATCH", "/images/{id}"),
    ("DELETE", "/images/{id}"),
    ("GET", "/images/{id}/analysis"),
    ("GET", "/images/{id}/download"),
    ("POST", "/images/{id}/predictions"),
]


@pytest.mark.parametrize(("method", "template"), ID_ROUTES)
def test_path_ids_that_are_not_ids_are_404(owner_a: Client, method: str, template: str) -> None:
    body: dict[str, Any] | None = (
        {"title": "x"} if method == "PATCH" else ({"task": "ocr"} if method == "POST" else None)
    )
    for bad in NOT_IDS:
        response = owner_a.request(method, template.replace("{id}", bad), json=body)
        assert response.status_code in (404, 414), (bad[:40], response.status_code, response.text[:200])
        if response.status_code == 404:
            assert_problem(response, 404)
    for bad in ("not-an-id", "x" * 5000, "' OR '1'='1"):
        response = owner_a.request("GET", "/analyse_image", params={"image_id": bad})
        assert response.status_code in (404, 422), response.text[:200]
        assert_problem(response, response.status_code)


@pytest.mark.parametrize("title", ["", "   ", None, 7])
def test_a_url_import_with_a_bad_title_is_a_422_and_creates_nothing(owner_a: Client, title: Any) -> None:
    # Found by the fuzzer: {"url": ..., "title": ""} fell back to the URL's file name and was a 201.
    before = owner_a.request("GET", "/images", params={"limit": 100}).json()["items"]
    response = owner_a.request("POST", "/upload_image", json={"url": "https://example.com/photo.png", "title": title})
    assert_problem(response, 422)
    after = owner_a.request("GET", "/images", params={"limit": 100}).json()["items"]
    assert [item["id"] for item in after] == [item["id"] for item in before]
