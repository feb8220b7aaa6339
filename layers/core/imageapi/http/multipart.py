"""Parse a small direct upload (SPEC §3.2 way 3): a ``multipart/form-data`` body already in
memory (API Gateway hands the whole body to the function).

The parsing itself is python-multipart's streaming ``MultipartParser``; this module only
collects its callbacks into fields and files and enforces the limits. Pure standard library
plus python-multipart: no Pillow, no numpy.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks

from imageapi.domain.errors import BadRequest, PayloadTooLarge, UnsupportedMediaType

MAX_PARTS = 16  # file, title, width, height, fit, and room for harmless extras
MAX_FIELD_BYTES = 16 * 1024  # text fields are titles and numbers; 16 KiB is generous
MAX_PART_HEADERS = 8
MAX_PART_HEADER_BYTES = 4096
# Boundaries, headers and small fields around the file: the body may exceed the file limit by
# this much, so a file of exactly max_bytes still fits.
ENVELOPE_ALLOWANCE = 64 * 1024
# RFC 2046 §5.1.1: 1 to 70 characters from this set, not ending in a space.
_BOUNDARY = re.compile(r"[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]")
_PLAIN_TRANSFER_ENCODINGS = {b"7bit", b"8bit", b"binary"}


@dataclass(frozen=True)
class UploadedFile:
    filename: str | None
    content_type: str | None  # media type as sent, lower-case, without parameters
    data: bytes


@dataclass(frozen=True)
class MultipartForm:
    fields: dict[str, str]
    files: dict[str, UploadedFile]


@dataclass
class _Part:
    headers: dict[bytes, bytes] = field(default_factory=dict)
    data: bytearray = field(default_factory=bytearray)
    name: str = ""
    filename: str | None = None
    is_file: bool = False


def parse_multipart(
    body: bytes,
    content_type_header: str,
    *,
    max_bytes: int,
    max_parts: int = MAX_PARTS,
    max_field_bytes: int = MAX_FIELD_BYTES,
) -> MultipartForm:
    """Split a ``multipart/form-data`` body into text fields and files.

    A part with a ``filename`` parameter is a file, any other part a UTF-8 text field. Each name
    may appear once. Raises UnsupportedMediaType (415) for another content type, BadRequest (400)
    for a missing or invalid boundary, a malformed body, a duplicate or missing name, too many
    parts, an oversize or non-UTF-8 text field, and PayloadTooLarge (413) when a file exceeds
    ``max_bytes`` or the body exceeds it plus a small envelope allowance.
    """
    boundary = _boundary(content_type_header)
    if len(body) > max_bytes + ENVELOPE_ALLOWANCE:
        raise PayloadTooLarge(f"upload body is larger than the limit of {max_bytes} bytes")

    collector = _Collector(max_bytes=max_bytes, max_parts=max_parts, max_field_bytes=max_field_bytes)
    parser = MultipartParser(
        boundary,
        collector.callbacks(),
        max_header_count=MAX_PART_HEADERS,
        max_header_size=MAX_PART_HEADER_BYTES,
    )
    try:
        parser.write(body)
        parser.finalize()
    except FormParserError as exc:
        # The library's messages name offsets and states, never content: safe to pass on.
        raise BadRequest(f"malformed multipart body: {exc}") from None
    if not collector.finished:
        raise BadRequest("malformed multipart body: missing the closing boundary")
    return collector.form()


def _boundary(content_type_header: str) -> bytes:
    media_type, options = parse_options_header(content_type_header or "")
    if media_type != b"multipart/form-data":
        shown = media_type.decode("latin-1")[:100] or "none"
        raise UnsupportedMediaType(f"expected multipart/form-data, got {shown}")
    boundary = options.get(b"boundary")
    if not boundary:
        raise BadRequest("multipart/form-data content type has no boundary")
    if not _BOUNDARY.fullmatch(boundary.decode("latin-1")):
        raise BadRequest("multipart/form-data boundary is invalid (RFC 2046: 1-70 safe characters)")
    return boundary


class _Collector:
    """Receives python-multipart's callbacks and builds parts, enforcing the limits as data
    arrives. Limits raise domain errors straight out of ``parser.write``."""

    def __init__(self, *, max_bytes: int, max_parts: int, max_field_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.max_parts = max_parts
        self.max_field_bytes = max_field_bytes
        self.parts: list[_Part] = []
        self.finished = False
        self._header_field = bytearray()
        self._header_value = bytearray()

    def callbacks(self) -> MultipartCallbacks:
        return {
            "on_part_begin": self.on_part_begin,
            "on_header_field": self.on_header_field,
            "on_header_value": self.on_header_value,
            "on_header_end": self.on_header_end,
            "on_headers_finished": self.on_headers_finished,
            "on_part_data": self.on_part_data,
            "on_end": self.on_end,
        }

    @property
    def part(self) -> _Part:
        return self.parts[-1]

    def on_part_begin(self) -> None:
        if len(self.parts) >= self.max_parts:
            raise BadRequest(f"multipart body has more than {self.max_parts} parts")
        self.parts.append(_Part())

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_field += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def on_header_end(self) -> None:
        self.part.headers[bytes(self._header_field).strip().lower()] = bytes(self._header_value).strip()
        self._header_field.clear()
        self._header_value.clear()

    def on_headers_finished(self) -> None:
        part = self.part
        disposition, options = parse_options_header(part.headers.get(b"content-disposition"))
        if disposition != b"form-data":
            raise BadRequest("multipart part lacks a 'Content-Disposition: form-data' header")
        name = options.get(b"name")
        if not name:
            raise BadRequest("multipart part has no field name")
        part.name = _utf8(name, "multipart field name")
        if any(other.name == part.name for other in self.parts[:-1]):
            raise BadRequest(f"multipart field '{part.name[:100]}' appears more than once")
        part.is_file = b"filename" in options
        if part.is_file:
            part.filename = _utf8(options[b"filename"], "multipart file name") or None
        encoding = part.headers.get(b"content-transfer-encoding", b"binary").lower()
        if encoding not in _PLAIN_TRANSFER_ENCODINGS:
            # RFC 7578 §4.7 deprecates transfer encodings; decoding them is not our job.
            raise BadRequest("multipart Content-Transfer-Encoding is not supported")

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        part = self.part
        part.data += data[start:end]
        if part.is_file and len(part.data) > self.max_bytes:
            raise PayloadTooLarge(f"uploaded file is larger than the limit of {self.max_bytes} bytes")
        if not part.is_file and len(part.data) > self.max_field_bytes:
            raise BadRequest(f"multipart field '{part.name[:100]}' is longer than {self.max_field_bytes} bytes")

    def on_end(self) -> None:
        self.finished = True

    def form(self) -> MultipartForm:
        fields: dict[str, str] = {}
        files: dict[str, UploadedFile] = {}
        for part in self.parts:
            if part.is_file:
                media_type = parse_options_header(part.headers.get(b"content-type"))[0].decode("latin-1")
                files[part.name] = UploadedFile(
                    filename=part.filename, content_type=media_type or None, data=bytes(part.data)
                )
            else:
                fields[part.name] = _utf8(bytes(part.data), f"multipart field '{part.name[:100]}'")
        return MultipartForm(fields=fields, files=files)


def _utf8(raw: bytes, what: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest(f"{what} is not valid UTF-8") from None
