"""Renditions at the edge, the contract (imageapi.domain.edge, issue 20): the width allow-list and
the sizes next/image asks for, the srcset of a ready image (its widths, one signature over the
image's own prefix, honest descriptors), the pixel version, and the object keys."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from imageapi.adapters.signing import CloudFrontRenditionSigner
from imageapi.domain import keys
from imageapi.domain.edge import (
    EdgeObject,
    build_srcset,
    edge_version,
    image_prefix,
    object_key,
    parse_object_key,
    round_up,
    shape_of,
    srcset_widths,
    viewer_path,
)
from imageapi.domain.images import ImageService
from imageapi.domain.models import Analysis, Dimensions, Fit, ImagePatch, ImageRecord, ImageStatus, ResizeSpec
from imageapi.settings import DEFAULT_EDGE_WIDTHS, Settings, parse_widths
from tests.harness.images import jpeg
from tests.harness.usecases import OWNER

BASE = "https://d111111abcdef8.cloudfront.net"
T0 = 1_800_000_000
# next.config.js defaults (next/image): deviceSizes and imageSizes
NEXT_DEVICE_SIZES = [640, 750, 828, 1080, 1200, 1920, 2048, 3840]
NEXT_IMAGE_SIZES = [16, 32, 48, 64, 96, 128, 256, 384]


def record(
    width: int = 4000, height: int = 3000, *, orientation: int = 1, resize: ResizeSpec | None = None
) -> ImageRecord:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    analysis = Analysis(
        width=width, height=height, format="JPEG", mime="image/jpeg", mode="RGB", has_alpha=False, animated=False,
        frames=1, bytes=1000, sha256="ab" * 32, md5="cd" * 16, orientation=orientation,
    )  # fmt: skip
    return ImageRecord(
        id="01ARZ3NDEKTSV4RRFFQ69G5FAV", owner="alice", title="t", status=ImageStatus.ready, content_type="image/jpeg",
        declared_bytes=1000, sha256="ab" * 32, created_at=now, updated_at=now, resize=resize,
        original=Dimensions(width=width, height=height, bytes=1000), analysis=analysis,
    )  # fmt: skip


# ---------------------------------------------------------------- the allow-list


@pytest.mark.parametrize("size", NEXT_DEVICE_SIZES + NEXT_IMAGE_SIZES)
def test_every_next_js_default_size_rounds_up_to_an_offered_width(size: int) -> None:
    width = round_up(size, DEFAULT_EDGE_WIDTHS)
    assert width is not None and width >= size
    assert width < 2 * size or size <= 80  # never more than twice the pixels asked for (bar the icons)


def test_the_default_allow_list_is_the_issues() -> None:
    assert DEFAULT_EDGE_WIDTHS == (160, 240, 320, 480, 640, 960, 1280, 1920, 2560, 3840)
    assert Settings.from_env({}).edge_widths == DEFAULT_EDGE_WIDTHS
    assert Settings.from_env({"EDGE_WIDTHS": "640, 320,320"}).edge_widths == (320, 640)


@pytest.mark.parametrize("text", ["", "640,abc", "8", "5000", ",".join(str(16 + i) for i in range(33)), "1.5"])
def test_an_allow_list_outside_the_rules_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="edge widths"):
        parse_widths(text)


def test_above_the_largest_width_nothing_rounds_up() -> None:
    assert round_up(3841, DEFAULT_EDGE_WIDTHS) is None
    assert round_up(1, DEFAULT_EDGE_WIDTHS) == 160


# ---------------------------------------------------------------- shapes and widths


def test_every_width_below_the_original_and_the_next_one_at_full_size() -> None:
    assert srcset_widths(shape_of(record(4000, 3000)), DEFAULT_EDGE_WIDTHS) == [(w, w) for w in DEFAULT_EDGE_WIDTHS]
    assert srcset_widths(shape_of(record(1000, 800)), DEFAULT_EDGE_WIDTHS) == [
        (160, 160), (240, 240), (320, 320), (480, 480), (640, 640), (960, 960), (1280, 1000),
    ]  # fmt: skip
    assert srcset_widths(shape_of(record(100, 80)), DEFAULT_EDGE_WIDTHS) == [(160, 100)]  # never upscaled
    assert srcset_widths(shape_of(record(640, 480)), DEFAULT_EDGE_WIDTHS)[-1] == (640, 640)
    assert srcset_widths(shape_of(record(5000, 400)), DEFAULT_EDGE_WIDTHS)[-1] == (3840, 3840)


def test_the_shape_is_oriented_and_follows_a_cover_or_fill_resize() -> None:
    turned = shape_of(record(4000, 3000, orientation=6))  # EXIF 6: stored landscape, shown portrait
    assert (turned.full_width, turned.full_height, turned.fit) == (3000, 4000, Fit.inside)
    assert turned.geometry(640).height is None and turned.height_at(640) == 853
    square = shape_of(record(4000, 3000, resize=ResizeSpec(width=400, height=400, fit=Fit.cover)))
    assert (square.full_width, square.full_height, square.fit) == (3000, 3000, Fit.cover)  # the largest square crop
    assert square.geometry(640) == square.geometry(640) and square.geometry(640).height == 640
    assert square.geometry(3840).width == 3000  # a wider URL renders the full crop
    stretched = shape_of(record(4000, 3000, resize=ResizeSpec(width=200, height=100, fit=Fit.fill)))
    assert (stretched.full_width, stretched.full_height, stretched.geometry(640).height) == (4000, 2000, 320)
    contained = shape_of(record(4000, 3000, resize=ResizeSpec(width=800, fit=Fit.cover)))  # one side: the aspect
    assert (contained.full_width, contained.fit) == (4000, Fit.inside)


def test_the_version_names_the_pixels_not_the_title() -> None:
    base = record()
    assert re.fullmatch(r"[0-9a-z]{13}", edge_version(base))
    assert edge_version(base.model_copy(update={"title": "renamed", "updated_at": datetime.now(UTC)})) == edge_version(
        base
    )
    assert edge_version(base.model_copy(update={"resize": ResizeSpec(width=800)})) != edge_version(base)
    assert edge_version(base.model_copy(update={"sha256": "ef" * 32})) != edge_version(base)


# ---------------------------------------------------------------- keys


def test_object_keys_round_trip_and_live_under_the_image_prefix() -> None:
    token = keys.encode_owner("alice")
    key = object_key(token, "01ARZ3NDEKTSV4RRFFQ69G5FAV", "k3j2", 640, "default", "avif")
    assert key == "renditions/YWxpY2U/01ARZ3NDEKTSV4RRFFQ69G5FAV/edge/k3j2/640_default_avif"
    parsed = parse_object_key(key)
    assert parsed == EdgeObject(token, "01ARZ3NDEKTSV4RRFFQ69G5FAV", "k3j2", 640, "default", "avif")
    assert parsed.key == key and parsed.owner() == "alice"
    assert key.startswith(image_prefix("alice", "01ARZ3NDEKTSV4RRFFQ69G5FAV"))
    assert keys.image_prefixes("alice", "01ARZ3NDEKTSV4RRFFQ69G5FAV")[2] == image_prefix(
        "alice", "01ARZ3NDEKTSV4RRFFQ69G5FAV"
    )


@pytest.mark.parametrize(
    "key",
    [
        "renditions/YWxpY2U/01ARZ3NDEKTSV4RRFFQ69G5FAV/edge/k3j2/640_default_png",
        "renditions/YWxpY2U/01ARZ3NDEKTSV4RRFFQ69G5FAV/edge/k3j2/640_best_avif",
        "renditions/YWxpY2U/01ARZ3NDEKTSV4RRFFQ69G5FAV/edge/K3J2/640_default_avif",
        "renditions/YWxpY2U/01ARZ3NDEKTSV4RRFFQ69G5FAV/edge/k3j2/0640_default_avif",
        "renditions/YWxpY2U/01ARZ3NDEKTSV4RRFFQ69G5FAV/edge/k3j2/640_default_avif\n",
        "renditions/YWxpY2U/01ARZ3NDEKTSV4RRFFQ69G5FAV/thumbnail",
        "originals/YWxpY2U/01ARZ3NDEKTSV4RRFFQ69G5FAV",
        "renditions/YW.xp/01ARZ3NDEKTSV4RRFFQ69G5FAV/edge/k3j2/640_default_avif",
    ],
)
def test_anything_but_an_edge_object_key_is_no_key(key: str) -> None:
    assert parse_object_key(key) is None


def test_an_owner_token_that_is_not_canonical_names_nobody() -> None:
    parsed = parse_object_key("renditions/YWxpY2V/01ARZ3NDEKTSV4RRFFQ69G5FAV/edge/k3j2/640_default_avif")
    assert parsed is not None and parsed.owner() is None  # decodes to "alice" too, but is not its key


# ---------------------------------------------------------------- srcset and its one signature


@pytest.fixture(scope="module")
def private_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def cdn(private_key: rsa.RSAPrivateKey) -> CloudFrontRenditionSigner:
    pem = private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return CloudFrontRenditionSigner(BASE, "K2JCJMDEHXQW5F", pem, clock=lambda: T0 + 5)


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.replace("-", "+").replace("_", "=").replace("~", "/"))


def allowed_by(url: str, public_key: rsa.RSAPublicKey, now: float = T0) -> bool:
    """CloudFront's rule for a custom-policy URL: the signature over the policy verifies, the URL
    (without the signing parameters) matches the policy's resource (``*``: any characters, ``?``:
    one) and the time is before DateLessThan."""
    base, _, query = url.partition("?")
    params = [p.partition("=")[::2] for p in query.split("&") if p]
    signing = {k: v for k, v in params if k in ("Policy", "Signature", "Key-Pair-Id")}
    rest = "&".join(f"{k}={v}" for k, v in params if k not in signing)
    requested = f"{base}?{rest}" if rest else base
    policy = _unb64(signing["Policy"])
    public_key.verify(_unb64(signing["Signature"]), policy, padding.PKCS1v15(), hashes.SHA1())
    statement = json.loads(policy)["Statement"][0]
    pattern = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in statement["Resource"])
    return bool(re.fullmatch(pattern, requested)) and now < statement["Condition"]["DateLessThan"]["AWS:EpochTime"]


def test_a_srcset_is_one_signature_over_the_images_own_prefix(cdn: CloudFrontRenditionSigner, private_key: Any) -> None:
    image = record()
    srcset = build_srcset(image, cdn, DEFAULT_EDGE_WIDTHS)
    assert srcset is not None and [e.width for e in srcset] == list(DEFAULT_EDGE_WIDTHS)
    signatures = {tuple((k, v) for k, v in parse_qsl(urlsplit(e.url).query) if k != "v") for e in srcset}
    assert len(signatures) == 1  # every width carries the same Policy, Signature and Key-Pair-Id
    policy = json.loads(_unb64(dict(next(iter(signatures)))["Policy"]))
    assert policy["Statement"][0]["Resource"] == f"{BASE}/renditions/YWxpY2U/01ARZ3NDEKTSV4RRFFQ69G5FAV/*"
    for entry in srcset:
        assert urlsplit(entry.url).path == "/" + viewer_path("alice", image.id, entry.width)
        assert dict(parse_qsl(urlsplit(entry.url).query))["v"] == edge_version(image)
        assert allowed_by(entry.url, private_key.public_key())
        assert entry.expires_at == srcset[0].expires_at


@pytest.mark.parametrize(
    "elsewhere",
    [
        lambda url: url.replace("01ARZ3NDEKTSV4RRFFQ69G5FAV", "01ARZ3NDEKTSV4RRFFQ69G5FAW"),  # another image
        lambda url: url.replace("01ARZ3NDEKTSV4RRFFQ69G5FAV/", "01ARZ3NDEKTSV4RRFFQ69G5FAV0/"),  # a longer id
        lambda url: url.replace("/YWxpY2U/", "/YWxpY2UY/"),  # another owner whose token starts the same
        lambda url: url.replace("/renditions/", "/originals/"),
    ],
)
def test_the_signature_of_one_image_never_covers_another_path(
    cdn: CloudFrontRenditionSigner, private_key: Any, elsewhere: Callable[[str], str]
) -> None:
    entry = build_srcset(record(), cdn, DEFAULT_EDGE_WIDTHS)[3]  # type: ignore[index]
    assert allowed_by(entry.url, private_key.public_key())
    assert not allowed_by(elsewhere(entry.url), private_key.public_key())


def test_the_prefix_signature_expires_and_is_memoised_per_window(
    cdn: CloudFrontRenditionSigner, private_key: Any
) -> None:
    first = cdn.sign_prefix("renditions/YWxpY2U/01ARZ3NDEKTSV4RRFFQ69G5FAV/", now=T0 + 1)
    assert cdn.sign_prefix("renditions/YWxpY2U/01ARZ3NDEKTSV4RRFFQ69G5FAV/", now=T0 + 899) is first
    assert cdn.sign_prefix("renditions/YWxpY2U/01ARZ3NDEKTSV4RRFFQ69G5FAV/", now=T0 + 900) != first
    url = first.url("renditions/YWxpY2U/01ARZ3NDEKTSV4RRFFQ69G5FAV/edge/640", "abc")
    assert allowed_by(url, private_key.public_key(), now=first.expires_at.timestamp() - 1)
    assert not allowed_by(url, private_key.public_key(), now=first.expires_at.timestamp())
    with pytest.raises(ValueError, match="outside"):
        first.url("renditions/YWxpY2U/01ARZ3NDEKTSV4RRFFQ69G5FAW/edge/640", "abc")
    with pytest.raises(ValueError, match="end in '/'"):
        cdn.sign_prefix("renditions/YWxpY2U/01ARZ3NDEKTSV4RRFFQ69G5FAV")


def test_a_srcset_costs_one_rsa_signature_however_many_widths(cdn: CloudFrontRenditionSigner) -> None:
    calls: list[bytes] = []
    signer = cdn._cloudfront_signer()
    real = signer.rsa_signer
    signer.rsa_signer = lambda message: calls.append(message) or real(message)
    build_srcset(record(), cdn, DEFAULT_EDGE_WIDTHS)
    build_srcset(record(), cdn, DEFAULT_EDGE_WIDTHS)  # the same window: memoised
    assert len(calls) == 1


def test_pending_images_and_s3_delivery_have_no_srcset(
    service: ImageService, cdn: CloudFrontRenditionSigner, ingest_all: Callable[[], None]
) -> None:
    pending = service.store_direct(OWNER, "photo", jpeg(800, 600), "image/jpeg", None)
    assert replace(service, signer=cdn).present(pending).srcset is None
    ingest_all()
    ready = service.get_image(OWNER, pending.id)
    assert service.present(ready).srcset is None  # no signer: links only
    srcset = replace(service, signer=cdn).present(ready).srcset
    assert srcset is not None and [e.width for e in srcset] == [160, 240, 320, 480, 640, 800]


def test_a_patch_of_the_size_is_a_new_version_and_drops_the_old_objects(
    service: ImageService, cdn: CloudFrontRenditionSigner, ingest_all: Callable[[], None]
) -> None:
    service = replace(service, signer=cdn)
    image_id = service.store_direct(OWNER, "photo", jpeg(800, 600), "image/jpeg", None).id
    ingest_all()
    before = service.get_image(OWNER, image_id)
    old = edge_version(before)
    stale = object_key(keys.encode_owner(OWNER), image_id, old, 640, "default", "avif")
    service.store.put(stale, b"old pixels", "image/avif")
    renamed = service.update_image(OWNER, image_id, ImagePatch(title="renamed"))
    assert edge_version(renamed) == old and service.store.get(stale) == b"old pixels"  # a rename keeps them
    resized = service.update_image(OWNER, image_id, ImagePatch(width=400, height=400, fit=Fit.cover))
    assert edge_version(resized) != old
    assert service.store.get(stale) is None  # the old version's URLs now find nothing to serve
    srcset = service.present(resized).srcset
    assert srcset is not None and srcset[-1].width == 600  # the square crop's full width
    assert all(f"v={edge_version(resized)}" in e.url for e in srcset)
