"""Unit tests of the small pure pieces of the domain package."""

import time

import pytest
from pydantic import ValidationError

from imageapi.adapters.s3 import content_disposition
from imageapi.domain import keys
from imageapi.domain.cursors import CursorCodec
from imageapi.domain.errors import BadRequest, NotFound, QuotaExceeded, ValidationFailed
from imageapi.domain.ids import is_image_id, new_image_id
from imageapi.domain.models import CreateUploadRequest, ResizeSpec
from imageapi.domain.search import normalise, trigrams


def test_ids_sort_by_creation_time_and_validate() -> None:
    first = new_image_id(1_700_000_000_000)
    second = new_image_id(1_700_000_000_001)
    assert first < second
    assert is_image_id(first) and len(first) == 26
    assert not is_image_id("not-an-id")
    assert not is_image_id(first.lower())
    assert new_image_id() != new_image_id()


def test_ids_from_now_are_newer_than_an_hour_ago() -> None:
    assert new_image_id(int((time.time() - 3600) * 1000)) < new_image_id()


@pytest.mark.parametrize("owner", ["alice", "user/with/slashes", "ünïcode sub", "a" * 200])
def test_incoming_keys_round_trip_the_owner(owner: str) -> None:
    image_id = new_image_id()
    key = keys.incoming_key(owner, image_id)
    parsed = keys.parse_incoming_key(key)
    assert parsed == keys.IncomingObject(owner=owner, image_id=image_id)
    assert key.count("/") == 2


def test_incoming_keys_arrive_url_encoded_in_s3_events() -> None:
    image_id = new_image_id()
    key = keys.incoming_key("a b", image_id).replace("/", "%2F", 0)
    assert keys.parse_incoming_key(key.replace("=", "%3D")) is not None


@pytest.mark.parametrize("key", ["renditions/x/y/z", "incoming/only-two", "incoming/!!!/id", "other/a/b"])
def test_foreign_keys_are_not_parsed(key: str) -> None:
    assert keys.parse_incoming_key(key) is None


def test_image_prefixes_cover_every_object_of_one_image_only() -> None:
    prefixes = keys.image_prefixes("alice", "01ABC")
    assert keys.rendition_key("alice", "01ABC", "thumbnail").startswith(prefixes[2])
    assert keys.original_key("alice", "01ABC") in prefixes
    assert not keys.rendition_key("alice", "01ABCD", "thumbnail").startswith(prefixes[2])


def test_cursor_round_trip_and_tamper_evidence() -> None:
    codec = CursorCodec("a-secret-of-sixteen-chars")
    cursor = codec.encode({"after": "01ABC"}, "alice")
    assert codec.decode(cursor, "alice") == {"after": "01ABC"}
    with pytest.raises(BadRequest):
        codec.decode(cursor, "bob")  # another owner cannot replay it
    payload, mac, key_id = cursor.split(".")
    forged = CursorCodec("a-secret-of-sixteen-chars").encode({"after": "01ZZZ"}, "alice").split(".")[0]
    with pytest.raises(BadRequest):
        codec.decode(f"{forged}.{mac}.{key_id}", "alice")
    for garbage in ["", "abc", "a.b.c", "!!!.???.!!!", f"{payload}.", f"{payload}.{mac}", f"{payload}.{mac}.../..//"]:
        with pytest.raises(BadRequest):
            codec.decode(garbage, "alice")
    with pytest.raises(BadRequest):
        CursorCodec("another-secret-value").decode(cursor, "alice")


def test_trigrams() -> None:
    assert trigrams("Abc") == {"abc"}
    assert trigrams("ab") == set()
    assert trigrams("Jazz  Band") == {"jaz", "azz", "zz ", "z b", " ba", "ban", "and"}
    assert normalise("  Harbour   AT Dusk ") == "harbour at dusk"


def test_titles_are_trimmed_and_refuse_control_characters() -> None:
    request = CreateUploadRequest(title="  Sunset  ", content_type="image/png", size=10)
    assert request.title == "Sunset"
    for bad in ["", "   ", "tab\there", "nul\x00", "x" * 201, "bidi\u202e"]:
        with pytest.raises(ValidationError):
            CreateUploadRequest(title=bad, content_type="image/png", size=10)


def test_upload_request_bounds() -> None:
    with pytest.raises(ValidationError):
        CreateUploadRequest(title="t", content_type="image/png", size=0)
    with pytest.raises(ValidationError):
        CreateUploadRequest(title="t", content_type="image/png", size=1, sha256="abc")
    with pytest.raises(ValidationError):
        CreateUploadRequest(title="t", content_type="image/png", size=1, unknown=True)
    request = CreateUploadRequest(title="t", content_type="image/png", size=1, sha256="AB" * 32)
    assert request.sha256 == "ab" * 32
    with pytest.raises(ValidationError):
        ResizeSpec(width=4097)
    with pytest.raises(ValidationError):
        ResizeSpec(width=0)
    assert ResizeSpec().is_empty()


def test_problem_documents() -> None:
    problem = NotFound("no image").to_problem()
    assert problem == {
        "type": "urn:image-api:problem:not-found",
        "title": "Not found",
        "status": 404,
        "detail": "no image",
    }
    assert QuotaExceeded("full").to_problem()["status"] == 429
    errors = ValidationFailed("bad", errors=[]).to_problem()
    assert "errors" not in errors


def test_content_disposition_is_safe_for_any_title() -> None:
    header = content_disposition('évil"\r\nname/../x.jpg')
    assert "\r" not in header and "\n" not in header
    assert 'filename="_vil___name_.._x.jpg"' in header
    assert "filename*=UTF-8''%C3%A9vil%22%0D%0Aname%2F..%2Fx.jpg" in header
