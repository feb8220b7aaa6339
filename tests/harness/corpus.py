"""The formats corpus of issue 13, generated at test time (nothing binary in git): AVIF with and
without alpha, HEIC (encoded with pillow-heif, a dev-only dependency: it bundles the x265
encoder), animated GIF/WebP, Display P3 and CMYK JPEGs, a 16-bit PNG with a P3 profile, and
EXIF with GPS coordinates to prove they never leave."""

import io
import struct
import zlib
from functools import cache
from typing import Any

from PIL import ExifTags, Image, ImageCms

# Display P3 colourants (D50-adapted, as in Apple's profile) and the D50 white point.
_P3_COLORANTS = ((0.5151, 0.2412, -0.0011), (0.2920, 0.6922, 0.0419), (0.1571, 0.0666, 0.7841))
_D50 = (0.9642, 1.0, 0.8249)
PATCH_SRGB = (200, 100, 50)  # the known colour: what a correct P3 -> sRGB conversion gives back


def _s15(v: float) -> bytes:
    return struct.pack(">i", round(v * 65536))


def _tag_xyz(xyz: tuple[float, float, float]) -> bytes:
    return b"XYZ \0\0\0\0" + b"".join(_s15(v) for v in xyz)


@cache
def display_p3_icc() -> bytes:
    """A minimal ICC v2 matrix/TRC profile with Display P3 primaries (gamma 2.2 curves), built
    by hand because ImageCms.createProfile only makes sRGB, LAB and XYZ."""
    desc_text = b"Display P3 (test)\0"
    desc = b"desc\0\0\0\0" + struct.pack(">I", len(desc_text)) + desc_text + b"\0" * 12 + b"\0" * 67
    curve = b"curv\0\0\0\0" + struct.pack(">IH", 1, round(2.2 * 256)) + b"\0\0"
    tags = [
        (b"desc", desc),
        (b"wtpt", _tag_xyz(_D50)),
        (b"rXYZ", _tag_xyz(_P3_COLORANTS[0])),
        (b"gXYZ", _tag_xyz(_P3_COLORANTS[1])),
        (b"bXYZ", _tag_xyz(_P3_COLORANTS[2])),
        (b"rTRC", curve),
        (b"gTRC", curve),
        (b"bTRC", curve),
        (b"cprt", b"text\0\0\0\0public domain\0\0\0"),
    ]
    offset = 128 + 4 + 12 * len(tags)
    table, body = b"", b""
    for sig, data in tags:
        table += sig + struct.pack(">II", offset + len(body), len(data))
        body += data + b"\0" * (-len(data) % 4)
    size = offset + len(body)
    header = struct.pack(">I4s4s4s4s4s", size, b"lcms", b"\x02\x10\0\0", b"mntr", b"RGB ", b"XYZ ")
    header += b"\0" * 12 + b"acsp" + b"\0" * 28 + _s15(_D50[0]) + _s15(_D50[1]) + _s15(_D50[2]) + b"\0" * 48
    assert len(header) == 128
    return header + struct.pack(">I", len(tags)) + table + body


def srgb_to_p3(rgb: tuple[int, int, int]) -> tuple[int, int, int]:
    """The P3 code values of an sRGB colour (what a phone stores for it)."""
    p3 = ImageCms.ImageCmsProfile(io.BytesIO(display_p3_icc()))
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
    out = ImageCms.profileToProfile(Image.new("RGB", (1, 1), rgb), srgb, p3, outputMode="RGB")
    assert out is not None
    return tuple(out.getpixel((0, 0)))  # type: ignore[return-value]


def gps_exif() -> bytes:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "TestPhone"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (51.0, 30.0, 12.34)
    gps[ExifTags.GPS.GPSLongitudeRef] = "W"
    gps[ExifTags.GPS.GPSLongitude] = (0.0, 7.0, 39.9)
    return exif.tobytes()


def _save(image: Image.Image, fmt: str, **options: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def photo(size: tuple[int, int] = (320, 240), mode: str = "RGB") -> Image.Image:
    """A gradient with a flat patch of PATCH_SRGB in the middle third."""
    w, h = size
    image = Image.new("RGB", size)
    image.putdata([((x * 255) // w, (y * 255) // h, 128) for y in range(h) for x in range(w)])
    image.paste(PATCH_SRGB, (w // 3, h // 3, 2 * w // 3, 2 * h // 3))
    if mode == "RGBA":
        image.putalpha(Image.linear_gradient("L").resize(size))
    return image


@cache  # bytes, the same on every call: each test module asks for them several times
def avif(size: tuple[int, int] = (320, 240), *, alpha: bool = False) -> bytes:
    return _save(photo(size, "RGBA" if alpha else "RGB"), "AVIF", quality=90, exif=gps_exif())


@cache
def heic(size: tuple[int, int] = (320, 240)) -> bytes:
    import pillow_heif  # dev/test only: encoding needs its bundled x265

    heif = pillow_heif.from_pillow(photo(size))
    buffer = io.BytesIO()
    heif.save(buffer, format="HEIF", quality=90, exif=gps_exif())
    return buffer.getvalue()


@cache
def animation(fmt: str, frames: int, size: tuple[int, int] = (160, 120), duration: int = 80) -> bytes:
    """Frames of distinct flat colours, looping forever."""
    images = [Image.new("RGB", size, ((i * 47) % 256, (i * 91) % 256, (255 - i * 13) % 256)) for i in range(frames)]
    options: dict[str, Any] = {"save_all": True, "append_images": images[1:], "duration": duration, "loop": 0}
    if fmt == "WEBP":
        options["lossless"] = True
    return _save(images[0], fmt, **options)


@cache
def p3_jpeg(size: tuple[int, int] = (320, 240)) -> bytes:
    """The patch stored as P3 code values with the P3 profile embedded, and GPS in EXIF."""
    image = photo(size)
    w, h = size
    image.paste(srgb_to_p3(PATCH_SRGB), (w // 3, h // 3, 2 * w // 3, 2 * h // 3))
    return _save(image, "JPEG", quality=95, icc_profile=display_p3_icc(), exif=gps_exif())


@cache
def cmyk_jpeg(size: tuple[int, int] = (320, 240)) -> bytes:
    """Pure red in CMYK (C=0, M=Y=100 %, K=0), no profile: must come out red, not inverted."""
    return _save(Image.new("CMYK", size, (0, 255, 255, 0)), "JPEG", quality=95)


@cache
def png16_p3(size: tuple[int, int] = (64, 48)) -> bytes:
    """16-bit RGB PNG (Pillow cannot write one) of the P3-encoded patch, with an iCCP chunk."""
    r, g, b = (v * 257 for v in srgb_to_p3(PATCH_SRGB))
    row = b"\0" + struct.pack(">HHH", r, g, b) * size[0]
    raw = zlib.compress(row * size[1])

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", size[0], size[1], 16, 2, 0, 0, 0)
    iccp = b"P3\0\0" + zlib.compress(display_p3_icc())
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"iCCP", iccp) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")
    )
