"""Direct upload parsing (SPEC §3.2 way 3) with python-multipart underneath."""

from __future__ import annotations

import pytest

from imageapi.domain.errors import BadRequest, PayloadTooLarge, UnsupportedMediaType
from imageapi.http.multipart import ENVELOPE_ALLOWANCE, MAX_PARTS, MultipartForm, parse_multipart

BOUNDARY = "----form-boundary-7MA4YWxkTrZu0gW"
CONTENT_TYPE = f"multipart/form-data; boundary={BOUNDARY}"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8 + b"\r\n--not-the-boundary\r\n"


def part(name: str, value: bytes, *, filename: str | None = None, content_type: str | None = None,
         extra_headers: str = "") -> bytes:  # fmt: skip
    disposition = f'form-data; name="{name}"'
    if filename is not None:
        disposition += f'; filename="{filename}"'
    headers = f"Content-Disposition: {disposition}\r\n"
    if content_type:
        headers += f"Content-Type: {content_type}\r\n"
    headers += extra_headers
    return f"--{BOUNDARY}\r\n{headers}\r\n".encode() + value + b"\r\n"


def body(*parts: bytes) -> bytes:
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


def parse(raw: bytes, content_type: str = CONTENT_TYPE, max_bytes: int = 1_000_000) -> MultipartForm:
    return parse_multipart(raw, content_type, max_bytes=max_bytes)


def test_valid_form_with_file_title_and_width() -> None:
    form = parse(
        body(
            part("title", "Sunset über Zürich".encode()),
            part("file", PNG, filename="sunset.png", content_type="image/png"),
            part("width", b"640"),
        )
    )
    assert form.fields == {"title": "Sunset über Zürich", "width": "640"}
    upload = form.files["file"]
    assert (upload.filename, upload.content_type, upload.data) == ("sunset.png", "image/png", PNG)


def test_quoted_boundary_and_content_type_parameters_are_understood() -> None:
    form = parse(
        body(part("file", b"data", filename="a.jpg", content_type="image/jpeg; name=a.jpg")),
        content_type=f'Multipart/Form-Data; charset=utf-8; boundary="{BOUNDARY}"',
    )
    assert form.files["file"].content_type == "image/jpeg"
    assert form.fields == {}


def test_file_part_without_content_type_or_filename_value() -> None:
    form = parse(body(part("file", b"raw", filename="")))
    assert form.files["file"].filename is None
    assert form.files["file"].content_type is None


def test_empty_text_field_is_kept() -> None:
    assert parse(body(part("title", b""))).fields == {"title": ""}


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "image/png", "multipart/mixed; boundary=abc", "text/plain", ""],
)
def test_other_content_types_are_unsupported(content_type: str) -> None:
    with pytest.raises(UnsupportedMediaType):
        parse(body(part("title", b"x")), content_type=content_type)


@pytest.mark.parametrize(
    ("content_type", "message"),
    [
        ("multipart/form-data", "no boundary"),
        ("multipart/form-data; boundary=", "no boundary"),
        ('multipart/form-data; boundary=""', "no boundary"),
        ("multipart/form-data; boundary=" + "a" * 71, "boundary is invalid"),
        ('multipart/form-data; boundary="bad\\"quote"', "boundary is invalid"),
        ('multipart/form-data; boundary="ends with space "', "boundary is invalid"),
    ],
)
def test_missing_or_invalid_boundary(content_type: str, message: str) -> None:
    with pytest.raises(BadRequest, match=message):
        parse(body(part("title", b"x")), content_type=content_type)


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"not multipart at all",
        body(part("title", b"x")).replace(b"--\r\n", b"\r\n"),  # no closing boundary
        body(part("title", b"x"))[:-30],  # truncated mid-part
        f"--{BOUNDARY}\r\nContent-Disposition form-data\r\n\r\nx\r\n--{BOUNDARY}--\r\n".encode(),  # no colon
        f"--{BOUNDARY}XX\r\n".encode(),  # boundary not followed by CRLF
        b"--other-boundary\r\nContent-Disposition: form-data; name=a\r\n\r\nx\r\n--other-boundary--\r\n",
    ],
)
def test_malformed_bodies_are_bad_requests(raw: bytes) -> None:
    with pytest.raises(BadRequest, match="malformed multipart body"):
        parse(raw)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (f"--{BOUNDARY}\r\nContent-Type: text/plain\r\n\r\nx\r\n--{BOUNDARY}--\r\n".encode(), "Content-Disposition"),
        (f"--{BOUNDARY}\r\nContent-Disposition: form-data\r\n\r\nx\r\n--{BOUNDARY}--\r\n".encode(), "no field name"),
        (f"--{BOUNDARY}\r\nContent-Disposition: attachment; name=a\r\n\r\nx\r\n--{BOUNDARY}--\r\n".encode(),
         "Content-Disposition"),
        (body(part("title", b"a"), part("title", b"b")), "appears more than once"),
        (body(part("file", b"a", filename="a.png", extra_headers="Content-Transfer-Encoding: base64\r\n")),
         "Content-Transfer-Encoding"),
    ],
)  # fmt: skip
def test_parts_must_be_named_form_data(raw: bytes, message: str) -> None:
    with pytest.raises(BadRequest, match=message):
        parse(raw)


def test_non_utf8_text_field_is_a_bad_request() -> None:
    with pytest.raises(BadRequest, match="field 'title' is not valid UTF-8"):
        parse(body(part("title", "café".encode("latin-1"))))


def test_non_utf8_field_name_is_a_bad_request() -> None:
    raw = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="'.encode()
        + b"\xff\xfe"
        + (f'"\r\n\r\nx\r\n--{BOUNDARY}--\r\n'.encode())
    )
    with pytest.raises(BadRequest, match="not valid UTF-8"):
        parse(raw)


def test_utf8_file_name_survives() -> None:
    form = parse(body(part("file", b"x", filename="straße.png", content_type="image/png")))
    assert form.files["file"].filename == "straße.png"


def test_file_over_the_limit_is_413() -> None:
    with pytest.raises(PayloadTooLarge, match="uploaded file is larger than the limit of 1000 bytes"):
        parse(body(part("file", b"x" * 1001, filename="a.png")), max_bytes=1000)


def test_file_of_exactly_the_limit_fits_despite_the_envelope() -> None:
    form = parse(body(part("title", b"t"), part("file", b"x" * 1000, filename="a.png")), max_bytes=1000)
    assert len(form.files["file"].data) == 1000


def test_body_over_the_limit_is_413_before_parsing() -> None:
    raw = b"x" * (1000 + ENVELOPE_ALLOWANCE + 1)
    with pytest.raises(PayloadTooLarge, match="upload body"):
        parse(raw, max_bytes=1000)


def test_oversize_text_field_is_a_bad_request() -> None:
    with pytest.raises(BadRequest, match="field 'title' is longer than"):
        parse(body(part("title", b"t" * 20_000)))


def test_too_many_parts_is_a_bad_request() -> None:
    raw = body(*(part(f"f{i}", b"x") for i in range(MAX_PARTS + 1)))
    with pytest.raises(BadRequest, match=f"more than {MAX_PARTS} parts"):
        parse(raw)


def test_oversize_part_headers_are_a_bad_request() -> None:
    raw = body(part("title", b"x", extra_headers="X-Padding: " + "p" * 5000 + "\r\n"))
    with pytest.raises(BadRequest, match="malformed multipart body"):
        parse(raw)
