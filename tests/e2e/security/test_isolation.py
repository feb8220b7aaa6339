"""Tenant isolation and authentication (SPEC §3, §3.3; issue 6 item 3).

For every route that takes an id, owner B using owner A's id gets exactly what an unknown id
gets: the same status (404), the same headers, the same body shape, and A's image is untouched.
A's list and search never show B's images, B cannot continue A's cursor, presigned URLs stop
working when they expire, and every malformed, foreign or expired token is a 401 problem.
"""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.harness.http import Client, assert_problem
from tests.harness.images import jpeg

UNKNOWN_ID = "01JDQZ8Z6J8V0000000000ABCD"
ID_ROUTES: list[tuple[str, str, dict[str, Any]]] = [
    ("GET", "/images/{id}", {}),
    ("PATCH", "/images/{id}", {"json": {"title": "stolen"}}),
    ("PATCH", "/images/{id}", {"json": {"width": 10}}),
    ("DELETE", "/images/{id}", {}),
    ("DELETE", "/images/{id}", {"params": {"permanent": "true"}}),
    ("POST", "/images/{id}/restore", {}),
    ("GET", "/images/{id}/analysis", {}),
    ("GET", "/images/{id}/download", {}),
    ("GET", "/images/{id}/download", {"params": {"variant": "original", "redirect": "false"}}),
    ("GET", "/images/{id}/download", {"params": {"w": "10", "format": "png"}}),
    ("POST", "/images/{id}/predictions", {"json": {"task": "ocr"}}),
    ("GET", "/analyse_image?image_id={id}", {}),
]
VOLATILE_HEADERS = {"date", "content-length", "x-amzn-requestid", "apigw-requestid", "x-amzn-trace-id"}
UNKNOWN_WEBHOOK, UNKNOWN_DELIVERY = "wh_01JDQZ8Z6J8V0000000000ABCD", "dlv_01JDQZ8Z6J8V0000000000ABCD"
# Every webhook route that takes an id (issue 19): {wh} A's endpoint, {dlv} one of its deliveries.
WEBHOOK_ROUTES: list[tuple[str, str, dict[str, Any]]] = [
    ("GET", "/webhooks/{wh}", {}),
    ("PATCH", "/webhooks/{wh}", {"json": {"description": "stolen"}}),
    ("PATCH", "/webhooks/{wh}", {"json": {"url": "http://127.0.0.1:9/stolen"}}),
    ("DELETE", "/webhooks/{wh}", {}),
    ("POST", "/webhooks/{wh}/rotate-secret", {}),
    ("POST", "/webhooks/{wh}/test", {}),
    ("GET", "/webhooks/{wh}/deliveries", {}),
    ("POST", "/webhooks/{wh}/deliveries/{dlv}/redeliver", {}),
    ("POST", "/webhooks/{wh}/recover", {"json": {"since": "2020-01-01T00:00:00Z"}}),
]


def _upload(client: Client, title: str) -> str:
    created = client.request(
        "POST", "/images", params={"title": title}, data=jpeg(80, 60), headers={"Content-Type": "image/jpeg"}
    )
    assert created.status_code == 201, created.text
    image = client.wait_for(created.json()["id"])
    assert image["status"] == "ready", image
    return image["id"]


@pytest.fixture(scope="module")
def a_images(owner_a: Client) -> dict[str, str]:
    ready = _upload(owner_a, "shared title of A")
    pending = owner_a.request(
        "POST", "/images", json={"title": "shared title pending", "content_type": "image/png", "size": 10}
    )
    assert pending.status_code == 201
    return {"ready": ready, "pending": pending.json()["image"]["id"]}


@pytest.fixture(scope="module")
def b_image(owner_b: Client) -> str:
    return _upload(owner_b, "shared title of B")


def _shape(response: requests.Response, image_id: str) -> tuple[Any, ...]:
    body = response.json()
    body["detail"] = body["detail"].replace(image_id, "<id>")
    headers = {k.lower(): v for k, v in response.headers.items() if k.lower() not in VOLATILE_HEADERS}
    return response.status_code, headers, body


@pytest.mark.parametrize("which", ["ready", "pending"])
@pytest.mark.parametrize(("method", "template", "kwargs"), ID_ROUTES)
def test_a_foreign_id_answers_exactly_like_an_unknown_id(
    owner_a: Client, owner_b: Client, a_images: dict[str, str], which: str, method: str, template: str, kwargs: dict
) -> None:
    a_id = a_images[which]
    foreign = owner_b.request(method, template.replace("{id}", a_id), **kwargs)
    unknown = owner_b.request(method, template.replace("{id}", UNKNOWN_ID), **kwargs)
    assert_problem(foreign, 404)
    assert _shape(foreign, a_id) == _shape(unknown, UNKNOWN_ID)
    # ...and nothing happened to A's image.
    mine = owner_a.request("GET", f"/images/{a_id}")
    assert mine.status_code == 200 and mine.json()["title"].startswith("shared title")


@pytest.fixture(scope="module")
def a_webhook(sec_stack: Any, owner_a: Client) -> dict[str, str]:
    created = owner_a.request("POST", "/webhooks", json={"url": sec_stack.inbox_url + "/a", "events": ["image.ready"]})
    assert created.status_code == 201, created.text
    webhook = created.json()
    tested = owner_a.request("POST", f"/webhooks/{webhook['id']}/test")
    assert tested.status_code == 202, tested.text
    return {"wh": webhook["id"], "dlv": tested.json()["id"], "secret": webhook["secret"]}


FOREIGN_WEBHOOK_CASES = [(*route, "webhook") for route in WEBHOOK_ROUTES] + [
    (*route, "delivery") for route in WEBHOOK_ROUTES if "{dlv}" in route[1]
]


@pytest.mark.parametrize(("method", "template", "kwargs", "foreign_part"), FOREIGN_WEBHOOK_CASES)
def test_a_foreign_webhook_or_delivery_id_answers_exactly_like_an_unknown_one(
    owner_a: Client,
    owner_b: Client,
    a_webhook: dict[str, str],
    method: str,
    template: str,
    kwargs: dict,
    foreign_part: str,
) -> None:
    b_own = owner_b.request("POST", "/webhooks", json={"url": "http://127.0.0.1:9/b", "events": ["image.ready"]})
    b_webhook = b_own.json()["id"] if b_own.status_code == 201 else UNKNOWN_WEBHOOK
    if foreign_part == "webhook":  # A's endpoint id in B's hands
        foreign = owner_b.request(method, template.format(wh=a_webhook["wh"], dlv=UNKNOWN_DELIVERY), **kwargs)
        unknown = owner_b.request(method, template.format(wh=UNKNOWN_WEBHOOK, dlv=UNKNOWN_DELIVERY), **kwargs)
        ids = (a_webhook["wh"], UNKNOWN_WEBHOOK)
    else:  # A's delivery id under B's own endpoint
        foreign = owner_b.request(method, template.format(wh=b_webhook, dlv=a_webhook["dlv"]), **kwargs)
        unknown = owner_b.request(method, template.format(wh=b_webhook, dlv=UNKNOWN_DELIVERY), **kwargs)
        ids = (a_webhook["dlv"], UNKNOWN_DELIVERY)
    assert_problem(foreign, 404)
    assert _shape(foreign, ids[0]) == _shape(unknown, ids[1])
    owner_b.request("DELETE", f"/webhooks/{b_webhook}")
    # ...and A's endpoint is untouched: same settings, same secret signing.
    mine = owner_a.request("GET", f"/webhooks/{a_webhook['wh']}")
    assert mine.status_code == 200 and mine.json()["url"].endswith("/a") and mine.json()["description"] is None
    assert mine.json()["secret_rotated_at"] is None
    assert a_webhook["wh"] not in owner_b.request("GET", "/webhooks").text


def test_lists_and_searches_never_cross_owners(
    owner_a: Client, owner_b: Client, a_images: dict[str, str], b_image: str
) -> None:
    def ids(client: Client, path: str, **params: str) -> set[str]:
        body = client.request("GET", path, params=params).json()
        return {item.get("id") or item.get("image_id") for item in body.get("items", body.get("images", []))}

    for params in ({}, {"q": "shared"}, {"q": "title"}, {"q": "sh"}, {"status": "ready"}, {"status": "pending"}):
        a_seen, b_seen = ids(owner_a, "/images", limit="100", **params), ids(owner_b, "/images", limit="100", **params)
        assert b_image not in a_seen, params
        assert not (set(a_images.values()) & b_seen), params
    assert a_images["ready"] in ids(owner_a, "/images", q="shared")
    assert b_image in ids(owner_b, "/images", q="shared")
    assert b_image not in ids(owner_a, "/list_images", limit="100")
    assert a_images["ready"] not in ids(owner_b, "/list_images", limit="100")


def test_a_foreign_trashed_image_is_404_everywhere_and_never_listed(owner_a: Client, owner_b: Client) -> None:
    trashed = _upload(owner_a, "shared title trashed")
    assert owner_a.request("DELETE", f"/images/{trashed}").status_code == 204
    for method, path, kwargs in [
        ("POST", "/images/{}/restore", {}),
        ("DELETE", "/images/{}", {"params": {"permanent": "true"}}),
        ("GET", "/images/{}", {}),
    ]:
        foreign = owner_b.request(method, path.format(trashed), **kwargs)
        unknown = owner_b.request(method, path.format(UNKNOWN_ID), **kwargs)
        assert_problem(foreign, 404)
        assert _shape(foreign, trashed) == _shape(unknown, UNKNOWN_ID)
    b_trash = owner_b.request("GET", "/images", params={"status": "deleted", "limit": "100"}).json()["items"]
    assert trashed not in {item["id"] for item in b_trash}
    a_trash = owner_a.request("GET", "/images", params={"status": "deleted", "limit": "100"}).json()["items"]
    assert trashed in {item["id"] for item in a_trash}
    # A's trash is intact: A restores it.
    assert owner_a.request("POST", f"/images/{trashed}/restore").status_code == 200


def test_a_cursor_only_continues_its_owners_listing(owner_a: Client, owner_b: Client, a_images: dict) -> None:
    _upload(owner_a, "second of A")
    page = owner_a.request("GET", "/images", params={"limit": "1"}).json()
    assert page["next_cursor"]
    assert_problem(owner_b.request("GET", "/images", params={"limit": "1", "cursor": page["next_cursor"]}), 400)
    assert owner_a.request("GET", "/images", params={"limit": "1", "cursor": page["next_cursor"]}).status_code == 200


# ------------------------------------------------------------------------------ presigned URLs


def test_download_urls_are_short_lived(owner_a: Client, a_images: dict[str, str]) -> None:
    link = owner_a.request("GET", f"/images/{a_images['ready']}/download", params={"redirect": "false"}).json()
    query = dict(p.split("=", 1) for p in link["url"].split("?", 1)[1].split("&"))
    assert 1 <= int(query["X-Amz-Expires"]) <= 3600
    assert "X-Amz-Signature" in query


def test_an_expired_presigned_get_is_refused_by_s3(sec_stack: Any, owner_a: Client, a_images: dict[str, str]) -> None:
    from local.aws import client

    link = owner_a.request("GET", f"/images/{a_images['ready']}/download", params={"redirect": "false"}).json()
    assert requests.get(link["url"], timeout=30).status_code == 200
    import boto3
    from botocore.config import Config

    from local import ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY

    bucket = next(iter(sec_stack.template.buckets.values())).name
    key = link["url"].split("?", 1)[0].split(f"/{bucket}/", 1)[1]
    v4 = boto3.client(
        "s3",
        endpoint_url=sec_stack.aws_url,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY_ID,
        aws_secret_access_key=SECRET_ACCESS_KEY,
        config=Config(signature_version="s3v4"),
    )
    short = [
        s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=60)
        for s3 in (v4, client("s3", sec_stack.aws_url))  # SigV4 (what the API signs) and SigV2
    ]
    assert "X-Amz-Signature" in short[0] and "X-Amz-Signature" not in short[1]
    for url in short:
        assert requests.get(url, timeout=30).status_code == 200
    sec_stack.aws_clock.advance(62)  # the endpoint's settable clock: past both URLs' expiry
    try:
        for url in short:
            expired = requests.get(url, timeout=30)
            assert expired.status_code == 403, expired.text
            assert b"<Code>AccessDenied</Code>" in expired.content and b"Request has expired" in expired.content
        assert requests.get(link["url"], timeout=30).status_code == 200  # the API's own URL still lives
    finally:
        sec_stack.aws_clock.advance(-62)


def test_an_expired_upload_form_is_refused_by_s3(sec_stack: Any) -> None:
    from local.aws import client

    s3 = client("s3", sec_stack.aws_url)
    bucket = next(iter(sec_stack.template.buckets.values())).name
    form = s3.generate_presigned_post(bucket, "incoming/eA/01JDQZ8Z6J8V0000000000ABCD", ExpiresIn=60)
    sec_stack.aws_clock.advance(61)  # the endpoint's settable clock: past the policy's expiration
    try:
        posted = requests.post(form["url"], data=form["fields"], files={"file": ("x.jpg", jpeg(8, 8))}, timeout=30)
    finally:
        sec_stack.aws_clock.advance(-61)
    assert posted.status_code == 403 and b"expired" in posted.content, posted.text


# ------------------------------------------------------------------------------ tokens


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _forged_tokens(sec_stack: Any) -> dict[str, str]:
    issuer = sec_stack.issuer
    good = jwt.decode(issuer.issue_token("mallory"), options={"verify_signature": False})
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = issuer._public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = {"kid": issuer.kid}
    now = int(time.time())
    hs256_with_public_key = _b64({"alg": "HS256", "typ": "JWT", **header}) + "." + _b64(good)
    import hashlib
    import hmac

    signature = hmac.new(public_pem, hs256_with_public_key.encode(), hashlib.sha256).digest()
    hs256_with_public_key += "." + base64.urlsafe_b64encode(signature).rstrip(b"=").decode()
    valid = issuer.issue_token("mallory")
    head, payload, sig = valid.split(".")
    tampered_payload = _b64({**good, "sub": "sec-owner-a"})
    return {
        "wrong issuer": issuer.issue_token("mallory", iss="https://evil.example/"),
        "wrong audience": issuer.issue_token("mallory", aud="someone-else"),
        "expired": issuer.issue_token("mallory", ttl=-5),
        "signed by another key": jwt.encode({**good, "exp": now + 600}, other_key, algorithm="RS256", headers=header),
        "unknown kid": jwt.encode({**good}, issuer._key, algorithm="RS256", headers={"kid": "nope"}),
        "alg none": _b64({"alg": "none", "typ": "JWT", **header}) + "." + _b64(good) + ".",
        "alg none no dot": _b64({"alg": "none", "typ": "JWT"}) + "." + _b64(good),
        "HS256 with the public key": hs256_with_public_key,
        "payload changed, signature kept": f"{head}.{tampered_payload}.{sig}",
        "signature stripped": f"{head}.{payload}.",
        "no exp": jwt.encode(
            {k: v for k, v in good.items() if k != "exp"}, issuer._key, algorithm="RS256", headers=header
        ),
        "garbage": "not.a.token",
        "empty": "",
    }


ROUTES = [
    ("GET", "/images"),
    ("POST", "/images"),
    ("GET", f"/images/{UNKNOWN_ID}"),
    ("PATCH", f"/images/{UNKNOWN_ID}"),
    ("DELETE", f"/images/{UNKNOWN_ID}"),
    ("POST", f"/images/{UNKNOWN_ID}/restore"),
    ("GET", f"/images/{UNKNOWN_ID}/analysis"),
    ("GET", f"/images/{UNKNOWN_ID}/download"),
    ("POST", f"/images/{UNKNOWN_ID}/predictions"),
    ("POST", "/upload_image"),
    ("GET", "/list_images"),
    ("GET", f"/analyse_image?image_id={UNKNOWN_ID}"),
    ("POST", "/webhooks"),
    ("GET", "/webhooks"),
    *((method, path.format(wh=UNKNOWN_WEBHOOK, dlv=UNKNOWN_DELIVERY)) for method, path, _ in WEBHOOK_ROUTES),
]


def test_bad_tokens_are_401_on_every_route(sec_stack: Any) -> None:
    forged = _forged_tokens(sec_stack)
    for method, path in ROUTES:
        for name, token in forged.items():
            for header in (f"Bearer {token}", f"bearer {token}"):
                response = requests.request(
                    method, sec_stack.api_url + path, headers={"Authorization": header}, json={}, timeout=30
                )
                assert response.status_code == 401, (name, method, path, response.status_code)
                assert_problem(response, 401)
                assert response.headers.get("WWW-Authenticate", "").startswith("Bearer")
        for header in (None, "Basic YWxpY2U6c2VjcmV0", "Token abc", f"Bearer  {forged['garbage']}"):
            response = requests.request(
                method, sec_stack.api_url + path, headers={"Authorization": header} if header else {}, timeout=30
            )
            assert_problem(response, 401)
    # The control: the same requests with a good token are not 401.
    good = sec_stack.issuer.issue_token("mallory")
    for method, path in ROUTES:
        response = requests.request(
            method, sec_stack.api_url + path, headers={"Authorization": f"Bearer {good}"}, timeout=30
        )
        assert response.status_code != 401, (method, path)


# ------------------------------------------------------------------------------ embedded rendition URLs


def test_embedded_rendition_urls_serve_only_their_owners_renditions(
    sec_stack: Any, owner_a: Client, owner_b: Client, a_images: dict[str, str], b_image: str
) -> None:
    """SPEC §3.4/§3.10: A's image object carries URLs that work without a token; B never
    receives one of A's, and B's signature does not open A's object (the key is signed)."""
    a_object = owner_a.request("GET", f"/images/{a_images['ready']}").json()
    a_urls = {entry["url"] for entry in a_object["renditions"].values() if entry}
    assert len(a_urls) >= 2
    for url in a_urls:
        served = requests.get(url, timeout=10)  # no Authorization header
        assert served.status_code == 200 and served.headers["Content-Type"].startswith("image/")
    a_paths = {url.split("?", 1)[0] for url in a_urls}

    b_seen = json.dumps([owner_b.request("GET", "/images", params=p).json() for p in ({}, {"q": "shared"})])
    b_seen += json.dumps(owner_b.request("GET", f"/images/{b_image}").json())
    assert not any(path in b_seen for path in a_paths)
    assert owner_b.request("GET", f"/images/{a_images['ready']}").status_code == 404
    # A pending image has nothing to show yet.
    assert owner_a.request("GET", f"/images/{a_images['pending']}").json().get("renditions") is None

    b_thumb = owner_b.request("GET", f"/images/{b_image}").json()["renditions"]["thumbnail"]["url"]
    a_thumb = a_object["renditions"]["thumbnail"]["url"]
    forged = a_thumb.split("?", 1)[0] + "?" + b_thumb.split("?", 1)[1]
    assert requests.get(forged, timeout=10).status_code == 403
