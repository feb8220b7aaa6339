"""Container structure: walk JPEG, PNG and GIF to reject truncated files and polyglots."""

import re

from imageapi.adapters.pixels.tunables import _PADDING
from imageapi.domain.errors import ImageRejected

# --- container structure: truncation and polyglots -------------------------------------------


def _truncated(fmt: str) -> ImageRejected:
    return ImageRejected(f"truncated {fmt} file")


# Inside entropy-coded data: the 0xFF that starts the next marker segment.
_SCAN_MARKER = re.compile(rb"\xff(?![\x00\xd0-\xd7\xff])")


def _jpeg_end(data: bytes, start: int) -> int:
    """Offset just past the EOI of the JPEG starting at ``start``, walking marker segments and
    entropy-coded scans (so an EOI inside an embedded EXIF thumbnail does not fool us)."""
    n, i = len(data), start + 2
    while True:
        j = data.find(b"\xff", i)  # libjpeg skips stray bytes between segments; so do we
        if j < 0:
            raise _truncated("JPEG")
        i = j
        while i < n and data[i] == 0xFF:  # fill bytes
            i += 1
        if i >= n:
            raise _truncated("JPEG")
        marker = data[i]
        i += 1
        if marker == 0xD9:  # EOI
            return i
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:  # TEM / RSTn: no length
            continue
        if i + 2 > n:
            raise _truncated("JPEG")
        i += int.from_bytes(data[i : i + 2], "big")
        if i > n:
            raise _truncated("JPEG")
        if marker == 0xDA:  # SOS: skip entropy-coded data up to the next real marker
            # An 0xFF not followed by a stuffed 0x00, a restart marker or another fill 0xFF; a
            # compiled search instead of a Python loop over every 0xFF of the scan (10x faster).
            found = _SCAN_MARKER.search(data, i)
            if found is None or found.start() + 1 >= n:
                raise _truncated("JPEG")
            i = found.start()


def _png_end(data: bytes) -> int:
    n, i = len(data), 8
    while True:
        if i + 12 > n:
            raise _truncated("PNG")
        length = int.from_bytes(data[i : i + 4], "big")
        kind = data[i + 4 : i + 8]
        i += 12 + length
        if i > n:
            raise _truncated("PNG")
        if kind == b"IEND":
            return i


def _gif_end(data: bytes) -> int:
    n = len(data)

    def skip_sub_blocks(i: int) -> int:
        while True:
            if i >= n:
                raise _truncated("GIF")
            size = data[i]
            i += 1
            if size == 0:
                return i
            i += size

    if n < 13:
        raise _truncated("GIF")
    flags = data[10]
    i = 13 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0)
    while i < n:
        block = data[i]
        if block == 0x3B:  # trailer
            return i + 1
        if block == 0x21:  # extension: label, then sub-blocks
            i = skip_sub_blocks(i + 2)
        elif block == 0x2C:  # image descriptor, optional local colour table, LZW size, data
            if i + 11 > n:
                raise _truncated("GIF")
            flags = data[i + 9]
            i += 10 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0) + 1
            i = skip_sub_blocks(i)
        else:  # not a GIF block: the image ended here, whatever follows is trailing data
            return i
    return n  # a missing trailer byte is common and harmless


# Top-level ISO-BMFF boxes an image file may hold; anything else ends the file (trailing data).
_TOP_BOXES = {b"ftyp", b"meta", b"mdat", b"moov", b"free", b"skip", b"wide", b"uuid", b"pdin", b"moof", b"mfra"}
_TOP_BOXES |= {b"styp", b"sidx", b"ssix", b"prft", b"emsg", b"etyp", b"otyp", b"idat"}


def _isobmff_end(data: bytes, fmt: str) -> int:
    """AVIF/HEIF: top-level boxes back to back (size, type; size 1 = 64-bit size, 0 = to the end).
    A known box running past the end is truncation; bytes that are no known box end the file."""
    n, i = len(data), 0
    while i + 8 <= n:
        size, kind = int.from_bytes(data[i : i + 4], "big"), data[i + 4 : i + 8]
        if kind not in _TOP_BOXES:
            return i
        if size == 1:
            if i + 16 > n:
                raise _truncated(fmt)
            size = int.from_bytes(data[i + 8 : i + 16], "big")
        elif size == 0:
            size = n - i
        if size < 8 or i + size > n:
            raise _truncated(fmt)
        i += size
    return i


def _structure_end(data: bytes, fmt: str) -> int:
    if fmt == "JPEG":
        end = _jpeg_end(data, 0)
        # Multi-picture JPEGs (MPF/MPO: phones' depth maps, stereo pairs) are further complete
        # JPEGs concatenated after the first one; walk them too.
        while data.startswith(b"\xff\xd8\xff", end):
            end = _jpeg_end(data, end)
        return end
    if fmt == "PNG":
        return _png_end(data)
    if fmt == "GIF":
        return _gif_end(data)
    if fmt == "WEBP":
        end = 8 + int.from_bytes(data[4:8], "little")
        if end > len(data):
            raise _truncated("WebP")
        return end
    if fmt == "BMP":
        declared = int.from_bytes(data[2:6], "little")
        return declared if 26 <= declared <= len(data) else len(data)  # field is often unreliable
    if fmt in ("AVIF", "HEIF"):
        return _isobmff_end(data, fmt)
    return len(data)  # TIFF: IFDs and strips may live anywhere, there is no structural end


def _has_zip_directory(data: bytes) -> bool:
    """True if a ZIP end-of-central-directory record sits where unzip tools look for it: in the
    last 64 KiB + 22 bytes, with a central directory that lies before it."""
    n = len(data)
    floor = max(0, n - 65_557)
    p = data.rfind(b"PK\x05\x06", floor)
    while p >= 0:
        if p + 22 <= n:
            cd_size = int.from_bytes(data[p + 12 : p + 16], "little")
            cd_offset = int.from_bytes(data[p + 16 : p + 20], "little")
            if cd_offset + cd_size <= p:
                return True
        p = data.rfind(b"PK\x05\x06", floor, p)
    return False


def check_container(data: bytes, fmt: str) -> None:
    """Reject truncated files and polyglots, independent of Pillow.

    Detected: (1) a file that ends before its format's structural end (JPEG EOI, PNG IEND,
    GIF block structure, WebP RIFF size, AVIF/HEIF top-level boxes); (2) any bytes after that end other than padding
    (NUL/0xFF/whitespace) — for JPEG, further concatenated JPEGs (MPF) are allowed — which covers
    JPEG/PNG/GIF/WebP/BMP + appended ZIP, JAR, PDF, HTML, script, MP4...; (3) for every format,
    including TIFF which has no structural end, a ZIP end-of-central-directory record in the
    last 64 KiB (a ZIP hidden inside a comment/ancillary chunk near the end of the file).
    Not detected: payloads fully inside metadata segments of a well-formed file other than ZIP
    (they are harmless once served as an image, and renditions never copy metadata).
    """
    end = _structure_end(data, fmt)
    rest = data[end:]
    if rest.strip(_PADDING):
        if b"PK\x03\x04" in rest or b"PK\x05\x06" in rest:
            raise ImageRejected("a ZIP archive is appended to the image (polyglot)")
        raise ImageRejected("unexpected data after the end of the image (possible polyglot)")
    if _has_zip_directory(data):
        raise ImageRejected("the image contains a ZIP archive (polyglot)")
