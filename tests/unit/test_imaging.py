"""imageapi.adapters.pixels.process: sniffing, validation, renditions, analysis. Images are generated here."""

import hashlib
import io
import struct
import warnings
import zipfile
import zlib

import pytest
from PIL import ExifTags, Image, ImageChops, ImageCms, ImageDraw, ImageFile, ImageStat, JpegImagePlugin

from imageapi.adapters.pixels.containers import _jpeg_end
from imageapi.adapters.pixels.geometry import target_size
from imageapi.adapters.pixels.process import process_upload, render, sniff
from imageapi.domain.errors import ImageRejected
from imageapi.domain.models import Fit, ResizeSpec
from imageapi.domain.ports import RenderedImage

MP = 50_000_000


def encode(im: Image.Image, fmt: str, **params) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **params)
    return buf.getvalue()


def jpeg(size=(400, 300), color="red", **params) -> bytes:
    return encode(Image.new("RGB", size, color), "JPEG", **params)


def pattern(size=(640, 480)) -> Image.Image:
    """Something with structure, so perceptual hashes mean something."""
    im = Image.new("RGB", size, (30, 30, 60))
    draw = ImageDraw.Draw(im)
    w, h = size
    draw.ellipse((w * 0.1, h * 0.1, w * 0.5, h * 0.7), fill=(240, 220, 40))
    draw.rectangle((w * 0.55, h * 0.3, w * 0.95, h * 0.9), fill=(200, 40, 40))
    draw.line((0, h, w, 0), fill=(255, 255, 255), width=max(2, w // 40))
    return im


def opened(rendition: RenderedImage) -> Image.Image:
    im = Image.open(io.BytesIO(rendition.data))
    im.load()
    return im


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def zip_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("evil.jsp", "<% out.println(1); %>")
    return buf.getvalue()


# --- sniff ------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF"])
def test_sniff_allowed_formats(fmt):
    assert sniff(encode(Image.new("RGB", (8, 8)), fmt)[:32]) == fmt


@pytest.mark.parametrize(
    "head",
    [
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"></svg>',
        b"<svg xmlns='http://www.w3.org/2000/svg'/>",
        b"<!DOCTYPE html><html><script>alert(1)</script></html>",
        b"just some text, renamed to .jpg",
        b"BM but not really a bitmap at all",
        b"%PDF-1.7\n",
        b"",
    ],
)
def test_sniff_rejects_non_rasters(head):
    assert sniff(head) is None


def test_sniff_rejects_zip():
    assert sniff(zip_bytes()) is None


# --- process_upload: the common path ----------------------------------------------------------


def test_jpeg_analysis_and_rendition_sizes():
    data = encode(pattern((4000, 3000)), "JPEG", quality=90)
    result = process_upload(data, max_pixels=MP)
    a = result.analysis
    assert (a.width, a.height, a.format, a.mime, a.mode) == (4000, 3000, "JPEG", "image/jpeg", "RGB")
    assert a.sha256 == hashlib.sha256(data).hexdigest()
    assert a.md5 == hashlib.md5(data).hexdigest()
    assert (a.bytes, a.frames, a.animated, a.has_alpha, a.orientation) == (len(data), 1, False, False, 1)
    sizes = {name: (r.width, r.height) for name, r in result.renditions.items()}
    assert sizes == {"thumbnail": (256, 192), "compressed": (2048, 1536), "display": (2048, 1536)}
    for r in result.renditions.values():
        im = opened(r)
        assert (im.format, im.size, r.content_type) == ("JPEG", (r.width, r.height), "image/jpeg")
    assert a.blurhash and len(a.blurhash) == 4 + 2 * (4 * 3 - 1) + 2
    assert len(a.phash) == 16 and int(a.phash, 16) >= 0


def test_small_images_are_not_upscaled_and_display_follows_spec():
    data = jpeg((100, 50))
    result = process_upload(data, max_pixels=MP, display=ResizeSpec(width=300, height=300, fit=Fit.cover))
    r = result.renditions
    assert (r["thumbnail"].width, r["thumbnail"].height) == (100, 50)
    assert (r["compressed"].width, r["compressed"].height) == (100, 50)
    assert (r["display"].width, r["display"].height) == (300, 300)


def test_display_from_compressed_when_spec_is_smaller():
    data = jpeg((3000, 2000))
    result = process_upload(data, max_pixels=MP, display=ResizeSpec(width=800))
    assert (result.renditions["display"].width, result.renditions["display"].height) == (800, 533)


def test_jpeg_decoded_at_reduced_scale(monkeypatch):
    requested = []
    original = JpegImagePlugin.JpegImageFile.draft

    def spy(self, mode, size):
        result = original(self, mode, size)
        requested.append((size, self.size))
        return result

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", spy)
    result = process_upload(jpeg((8000, 6000)), max_pixels=MP)
    # 1/4 (2000x1500) is within DECODE_SLACK of the 2048x1536 rendition: decoded there, upscaled the rest.
    assert requested == [((1946, 1459), (2000, 1500))]
    assert opened(result.renditions["compressed"]).size == (2048, 1536)
    requested.clear()
    process_upload(jpeg((3000, 2000)), max_pixels=MP)
    assert requested == [((1946, 1297), (3000, 2000))]  # 1/2 (1500 wide) is too far below: full scale


# --- orientation and metadata -----------------------------------------------------------------


def test_exif_orientation_6_rotates_renditions():
    im = Image.new("RGB", (400, 200), "blue")
    im.paste((255, 0, 0), (0, 0, 200, 200))  # stored: left half red
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.Make] = "Canon"
    exif[ExifTags.Base.Model] = "EOS R5"
    data = encode(im, "JPEG", exif=exif.tobytes())
    result = process_upload(data, max_pixels=MP)
    a = result.analysis
    assert (a.width, a.height, a.orientation) == (400, 200, 6)
    assert (a.exif.make, a.exif.model, a.exif.orientation) == ("Canon", "EOS R5", 6)
    thumb = opened(result.renditions["compressed"])
    assert thumb.size == (200, 400)  # portrait once rotated 90° clockwise
    top, bottom = thumb.getpixel((100, 50)), thumb.getpixel((100, 350))
    assert top[0] > 200 and top[2] < 60  # the stored left (red) is now on top
    assert bottom[2] > 200 and bottom[0] < 60
    assert not thumb.getexif()  # orientation already applied, nothing copied


def test_gps_is_flagged_never_returned_or_copied():
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Phone"
    exif[ExifTags.Base.DateTime] = "2023:05:01 12:34:56"
    exif[ExifTags.IFD.Exif] = {ExifTags.Base.DateTimeOriginal: "2022:01:02 03:04:05"}
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (52.0, 22.0, 37.77),
        ExifTags.GPS.GPSLongitudeRef: "E",
        ExifTags.GPS.GPSLongitude: (4.0, 53.0, 41.11),
    }
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = encode(pattern(), "JPEG", exif=exif.tobytes(), icc_profile=icc, comment=b"secret")
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(ExifTags.IFD.GPSInfo)  # precondition
    result = process_upload(data, max_pixels=MP)
    a = result.analysis
    assert a.exif.has_gps is True
    assert a.exif.captured_at == "2022-01-02T03:04:05"
    body = a.model_dump_json()
    for leak in ("37.77", "41.11", "52", "GPSLatitude", '"N"'):
        assert leak not in body.replace(a.sha256, "").replace(a.md5, "").replace(a.phash or "", "").replace(
            a.blurhash or "", ""
        )
    for r in result.renditions.values():
        im = opened(r)
        assert not im.getexif()
        assert not {"exif", "icc_profile", "xmp", "comment"} & set(im.info)
        assert b"Exif" not in r.data[:2000] and b"secret" not in r.data


def test_garbage_exif_dates_are_dropped():
    exif = Image.Exif()
    exif[ExifTags.Base.DateTime] = "0000:00:00 00:00:00"
    result = process_upload(encode(pattern(), "JPEG", exif=exif.tobytes()), max_pixels=MP)
    assert result.analysis.exif.captured_at is None
    assert result.analysis.exif.has_gps is False


# --- modes ------------------------------------------------------------------------------------


def test_png_with_alpha_keeps_transparency():
    im = Image.new("RGBA", (300, 200), (0, 0, 0, 0))
    im.paste((0, 200, 0, 255), (0, 0, 150, 200))
    result = process_upload(encode(im, "PNG"), max_pixels=MP)
    assert result.analysis.has_alpha is True and result.analysis.mode == "RGBA"
    for r in result.renditions.values():
        assert r.content_type == "image/webp"
        out = opened(r)
        assert out.mode == "RGBA"
        assert out.getpixel((out.width - 5, out.height // 2))[3] == 0
        assert out.getpixel((5, out.height // 2))[3] == 255
    # Transparent pixels are not a dominant colour.
    colors = result.analysis.dominant_colors
    assert colors and colors[0].hex.startswith("#00") and colors[0].share > 0.9


def test_opaque_rgba_png_becomes_jpeg():
    result = process_upload(encode(pattern().convert("RGBA"), "PNG"), max_pixels=MP)
    assert result.analysis.has_alpha is True
    assert {r.content_type for r in result.renditions.values()} == {"image/jpeg"}


def test_cmyk_jpeg():
    data = encode(Image.new("CMYK", (500, 400), (0, 255, 255, 0)), "JPEG")  # red in CMYK
    result = process_upload(data, max_pixels=MP)
    assert result.analysis.mode == "CMYK"
    out = opened(result.renditions["compressed"])
    assert out.mode == "RGB"
    r, g, b = out.getpixel((10, 10))
    assert r > 200 and g < 60 and b < 60


def test_16_bit_png_is_scaled_not_clipped():
    row = struct.pack("<100H", *[65535] * 100) + struct.pack("<100H", *[32768] * 100)
    im = Image.frombytes("I;16", (200, 100), row * 100)
    data = encode(im, "PNG")
    assert Image.open(io.BytesIO(data)).mode == "I;16"
    result = process_upload(data, max_pixels=MP)
    assert result.analysis.mode == "I;16"
    out = opened(result.renditions["compressed"])
    assert out.getpixel((20, 50))[0] >= 250
    assert 120 <= out.getpixel((180, 50))[0] <= 136  # mid-grey, not white


def test_palette_with_transparency():
    im = Image.new("P", (120, 80), 0)
    im.putpalette([255, 0, 0, 0, 0, 255] + [0] * 762)
    im.paste(1, (60, 0, 120, 80))
    data = encode(im, "PNG", transparency=0)
    result = process_upload(data, max_pixels=MP)
    assert (result.analysis.mode, result.analysis.has_alpha) == ("P", True)
    out = opened(result.renditions["thumbnail"])
    assert out.mode == "RGBA"
    assert out.getpixel((5, 40))[3] == 0 and out.getpixel((115, 40))[3] == 255


def test_la_png():
    im = Image.new("LA", (64, 64), (128, 255))
    im.paste((0, 0), (0, 0, 32, 64))
    result = process_upload(encode(im, "PNG"), max_pixels=MP)
    assert result.analysis.has_alpha is True
    assert opened(result.renditions["thumbnail"]).getpixel((5, 5))[3] == 0


def test_animated_gif_stays_animated_and_starts_with_its_first_frame():
    frames = [Image.new("RGB", (120, 90), c) for c in ("red", "lime", "blue")]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    result = process_upload(data, max_pixels=MP)
    a = result.analysis
    assert (a.format, a.mime, a.frames, a.animated, a.loop, a.duration_ms) == ("GIF", "image/gif", 3, True, 0, 300)
    out = opened(result.renditions["compressed"])
    assert out.format == "WEBP" and out.n_frames == 3
    r, g, b = out.convert("RGB").getpixel((60, 45))
    assert r > 200 and g < 60 and b < 60


def test_animated_webp():
    frames = [Image.new("RGB", (64, 64), c) for c in ("red", "blue")]
    data = encode(frames[0], "WEBP", save_all=True, append_images=frames[1:], duration=100)
    a = process_upload(data, max_pixels=MP).analysis
    assert (a.format, a.frames, a.animated) == ("WEBP", 2, True)


def test_too_many_animation_pixels_rejected():
    frames = [Image.new("L", (100, 100), i * 10) for i in range(20)]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:])
    process_upload(data, max_pixels=100_000)
    with pytest.raises(ImageRejected, match="frames"):
        process_upload(data, max_pixels=15_000)


@pytest.mark.parametrize("fmt", ["BMP", "TIFF", "WEBP"])
def test_other_formats(fmt):
    result = process_upload(encode(pattern((300, 200)), fmt), max_pixels=MP)
    assert result.analysis.format == fmt
    assert (result.renditions["thumbnail"].width, result.renditions["thumbnail"].height) == (256, 171)


# --- rejection --------------------------------------------------------------------------------


def bomb_png(width: int, height: int) -> bytes:
    """A valid-looking PNG that declares width x height RGB but carries a few bytes of data."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")


def test_decompression_bomb_rejected_without_decoding(monkeypatch):
    def no_decoding(self):
        raise AssertionError("must not decode")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
    before = Image.MAX_IMAGE_PIXELS
    with pytest.raises(ImageRejected, match="pixel"):
        process_upload(bomb_png(30000, 30000), max_pixels=MP)
    # Below Pillow's own limit, ours still applies.
    with pytest.raises(ImageRejected, match="pixel limit"):
        process_upload(bomb_png(8000, 8000), max_pixels=MP)
    with pytest.raises(ImageRejected, match="pixel limit"):
        render(bomb_png(2000, 2000), max_pixels=1_000_000, width=10, height=10)
    assert before == Image.MAX_IMAGE_PIXELS


def test_pixel_guard_leaks_no_warning_filter():
    filters = list(warnings.filters)
    process_upload(jpeg(), max_pixels=MP)
    with pytest.raises(ImageRejected):
        process_upload(bomb_png(30000, 30000), max_pixels=MP)
    assert warnings.filters == filters


@pytest.mark.parametrize("cut", [0.5, 0.9])
def test_truncated_jpeg_rejected(cut):
    data = encode(pattern(), "JPEG")
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False
    with pytest.raises(ImageRejected, match="truncated"):
        process_upload(data[: int(len(data) * cut)], max_pixels=MP)


def test_truncated_png_rejected():
    data = encode(pattern(), "PNG")
    with pytest.raises(ImageRejected, match="truncated"):
        process_upload(data[: len(data) - 30], max_pixels=MP)


def test_corrupt_png_crc_rejected():
    data = bytearray(encode(pattern(), "PNG"))
    data[40] ^= 0xFF  # inside IHDR/IDAT: a CRC no longer matches
    with pytest.raises(ImageRejected):
        process_upload(bytes(data), max_pixels=MP)


@pytest.mark.parametrize(
    "data",
    [
        b"hello, I am text renamed to photo.jpg\n" * 10,
        b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect/></svg>',
        b"<html><body>hi</body></html>",
        b"",
    ],
    ids=["text", "svg", "html", "empty"],
)
def test_non_images_rejected(data):
    with pytest.raises(ImageRejected, match="not a supported image format"):
        process_upload(data, max_pixels=MP)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "GIF", "WEBP", "BMP", "TIFF"])
def test_appended_zip_polyglot_rejected(fmt):
    data = encode(pattern((64, 64)), fmt) + zip_bytes()
    with pytest.raises(ImageRejected, match=r"ZIP|polyglot"):
        process_upload(data, max_pixels=MP)


def test_zip_hidden_in_jpeg_comment_rejected():
    data = jpeg((64, 64))
    payload = zip_bytes()
    comment = b"\xff\xfe" + struct.pack(">H", len(payload) + 2) + payload
    data = data[:2] + comment + data[2:]
    assert Image.open(io.BytesIO(data)).size == (64, 64)  # still a valid JPEG
    with pytest.raises(ImageRejected, match="ZIP"):
        process_upload(data, max_pixels=MP)


def test_html_appended_rejected_padding_and_mpf_accepted():
    data = jpeg((64, 64))
    with pytest.raises(ImageRejected, match="after the end"):
        process_upload(data + b"<script>alert(1)</script>", max_pixels=MP)
    process_upload(data + b"\x00" * 100, max_pixels=MP)
    process_upload(data + jpeg((32, 32), color="blue"), max_pixels=MP)  # MPF-style second image


def test_exif_thumbnail_eoi_does_not_fool_the_walker():
    # An EXIF block with an embedded JPEG (and its own EOI) before the real image data.
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "X"
    raw = exif.tobytes() + jpeg((16, 16))
    data = jpeg((64, 64))
    app1 = b"\xff\xe1" + struct.pack(">H", len(raw) + 2) + raw
    process_upload(data[:2] + app1 + data[2:], max_pixels=MP)


# --- geometry ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("src", "width", "height", "fit", "expected"),
    [
        ((4000, 3000), 2048, 2048, Fit.contain, (2048, 1536)),
        ((4000, 3000), 256, 256, Fit.inside, (256, 192)),
        ((100, 50), 400, 400, Fit.contain, (400, 200)),  # contain may upscale
        ((100, 50), 400, 400, Fit.inside, (100, 50)),  # inside never does
        ((4000, 3000), 300, 300, Fit.cover, (300, 300)),
        ((4000, 3000), 300, 100, Fit.fill, (300, 100)),
        ((4000, 3000), 800, None, Fit.contain, (800, 600)),
        ((4000, 3000), None, 600, Fit.contain, (800, 600)),
        ((4000, 3000), 800, None, Fit.cover, (800, 600)),
        ((4000, 3000), None, 600, Fit.fill, (800, 600)),
        ((100, 50), 400, None, Fit.inside, (100, 50)),
        ((4000, 3000), None, None, Fit.contain, (4000, 3000)),
        ((20000, 10), None, 4096, Fit.contain, (4096, 2)),  # missing side capped at 4096
    ],
)
def test_target_size(src, width, height, fit, expected):
    assert target_size(*src, width, height, fit) == expected


@pytest.mark.parametrize("bad", [0, 4097, -1])
def test_target_size_bounds(bad):
    with pytest.raises(ValueError):
        target_size(100, 100, bad, None, Fit.contain)


@pytest.mark.parametrize(
    ("width", "height", "fit", "expected"),
    [
        (300, 300, Fit.contain, (300, 200)),
        (300, 300, Fit.inside, (300, 200)),
        (900, 900, Fit.inside, (600, 400)),
        (300, 300, Fit.cover, (300, 300)),
        (300, 100, Fit.fill, (300, 100)),
        (150, None, Fit.cover, (150, 100)),
        (None, 100, Fit.fill, (150, 100)),
    ],
)
def test_render_fit_dimensions(width, height, fit, expected):
    data = encode(pattern((600, 400)), "PNG")
    out = render(data, max_pixels=MP, width=width, height=height, fit=fit)
    assert (out.width, out.height) == expected == opened(out).size


def test_render_cover_crops_the_centre():
    im = Image.new("RGB", (300, 100), "red")
    im.paste((0, 0, 255), (100, 0, 200, 100))  # blue centre third
    out = opened(render(encode(im, "PNG"), max_pixels=MP, width=50, height=50, fit=Fit.cover, format="png"))
    for x in (2, 47):
        r, g, b = out.getpixel((x, 25))
        assert b > 245 and r < 10 and g < 10


def test_render_formats_and_quality():
    data = encode(pattern((800, 600)), "PNG")
    kwargs = dict(max_pixels=MP, width=400, height=None)
    assert render(data, **kwargs).content_type == "image/jpeg"
    assert opened(render(data, **kwargs, format="png")).format == "PNG"
    webp = render(data, **kwargs, format="WEBP")
    assert webp.content_type == "image/webp" and opened(webp).format == "WEBP"
    low = render(data, **kwargs, format="jpeg", quality=10)
    high = render(data, **kwargs, format="jpeg", quality=95)
    assert len(low.data) < len(high.data)
    avif = render(data, **kwargs, format="avif")
    assert avif.content_type == "image/avif" and opened(avif).format == "AVIF"
    assert opened(render(data, **kwargs, format="gif")).format == "GIF"
    with pytest.raises(ValueError):
        render(data, **kwargs, format="tiff")
    with pytest.raises(ValueError):
        render(data, **kwargs, quality=0)
    with pytest.raises(ValueError):
        render(data, max_pixels=MP, width=5000, height=None)


def test_render_alpha_to_jpeg_flattens_on_white():
    im = Image.new("RGBA", (100, 100), (0, 0, 0, 0))
    out = opened(render(encode(im, "PNG"), max_pixels=MP, width=10, height=10, format="jpeg"))
    assert out.mode == "RGB" and min(out.getpixel((5, 5))) > 245


def test_render_honours_orientation_and_rejects_bad_bytes():
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 8
    data = encode(Image.new("RGB", (400, 200)), "JPEG", exif=exif.tobytes())
    out = render(data, max_pixels=MP, width=100, height=None)
    assert (out.width, out.height) == (100, 200)
    with pytest.raises(ImageRejected):
        render(b"<svg/>", max_pixels=MP, width=10, height=10)


# --- analysis ---------------------------------------------------------------------------------


def test_dominant_colors_half_red_half_blue():
    im = Image.new("RGB", (400, 200), (255, 0, 0))
    im.paste((0, 0, 255), (200, 0, 400, 200))
    colors = process_upload(encode(im, "PNG"), max_pixels=MP).analysis.dominant_colors
    assert 2 <= len(colors) <= 5
    assert abs(sum(c.share for c in colors) - 1) < 0.01
    top = {c.hex: c.share for c in colors[:2]}
    assert all(share == pytest.approx(0.5, abs=0.06) for share in top.values())
    reds = [h for h in top if int(h[1:3], 16) > 200 and int(h[5:7], 16) < 60]
    blues = [h for h in top if int(h[5:7], 16) > 200 and int(h[1:3], 16) < 60]
    assert len(reds) == 1 and len(blues) == 1


def test_phash_stable_under_resize_and_different_for_other_images():
    big = pattern((1600, 1200))
    small = big.resize((400, 300), Image.Resampling.LANCZOS)
    other = big.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    h_big = process_upload(encode(big, "JPEG", quality=92), max_pixels=MP).analysis.phash
    h_small = process_upload(encode(small, "PNG"), max_pixels=MP).analysis.phash
    h_other = process_upload(encode(other, "JPEG", quality=92), max_pixels=MP).analysis.phash
    assert h_big == h_small
    distance = bin(int(h_big, 16) ^ int(h_other, 16)).count("1")
    assert distance > 10


def test_blurhash_present():
    a = process_upload(encode(pattern(), "PNG"), max_pixels=MP).analysis
    assert isinstance(a.blurhash, str) and len(a.blurhash) == 28


@pytest.mark.parametrize(
    "params",
    [
        {"progressive": True, "optimize": True},
        {"restart_marker_blocks": 4},
        {"subsampling": 0, "quality": 100},
    ],
    ids=["progressive", "restart-markers", "444-q100"],
)
def test_jpeg_variants_pass_the_structure_walk(params):
    data = encode(Image.effect_noise((320, 240), 60).convert("RGB"), "JPEG", **params)
    assert process_upload(data, max_pixels=MP).analysis.format == "JPEG"


def test_mpo_is_a_jpeg():
    im = pattern((200, 100))
    data = encode(im, "MPO", save_all=True, append_images=[im.rotate(180)])
    assert Image.open(io.BytesIO(data)).format == "MPO"
    a = process_upload(data, max_pixels=MP).analysis
    assert (a.format, a.mime, a.frames, a.animated) == ("JPEG", "image/jpeg", 1, False)


@pytest.mark.parametrize("icc", [b"garbage" * 20, ImageCms.ImageCmsProfile(ImageCms.createProfile("LAB")).tobytes()])
def test_unusable_icc_profile_falls_back_and_is_not_copied(icc):
    data = encode(Image.new("RGB", (50, 50), "red"), "JPEG", icc_profile=icc)
    out = opened(process_upload(data, max_pixels=MP).renditions["thumbnail"])
    assert "icc_profile" not in out.info
    r, g, b = out.getpixel((25, 25))
    assert r > 200 and g < 60 and b < 60


def _jpeg_end_reference(data: bytes, start: int) -> int | None:
    """The byte-by-byte marker walk the compiled scan search replaced (None: truncated)."""
    n, i = len(data), start + 2
    while True:
        j = data.find(b"\xff", i)
        if j < 0:
            return None
        i = j
        while i < n and data[i] == 0xFF:
            i += 1
        if i >= n:
            return None
        marker = data[i]
        i += 1
        if marker == 0xD9:
            return i
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:
            continue
        if i + 2 > n:
            return None
        i += int.from_bytes(data[i : i + 2], "big")
        if i > n:
            return None
        if marker == 0xDA:
            while True:
                j = data.find(b"\xff", i)
                if j < 0 or j + 1 >= n:
                    return None
                nxt = data[j + 1]
                if nxt == 0x00 or 0xD0 <= nxt <= 0xD7:
                    i = j + 2
                elif nxt == 0xFF:
                    i = j + 1
                else:
                    i = j
                    break


def test_jpeg_scan_search_matches_the_byte_walk():
    import random

    rng = random.Random(5)
    samples = [
        jpeg(),
        encode(pattern((333, 217)), "JPEG", quality=95, progressive=True),
        encode(pattern((64, 48)), "JPEG", restart_marker_blocks=1),
    ]
    scan = b"\xff\xda\x00\x02"
    tails = [b"\x12\xff\x00\x34\xff\xd3\x56\xff\xff\xff\xd9", b"\x12\xff", b"\x12\xff\x00", b"\xff\xff", b"\xff\xd0"]
    samples += [b"\xff\xd8" + scan + tail for tail in tails]
    for data in list(samples):
        for _ in range(40):  # random cuts and random 0xFF-heavy scans
            samples.append(data[: rng.randrange(2, len(data) + 1)])
        body = bytes(rng.choice(b"\xff\x00\xd0\xd7\xd9\x11") for _ in range(200))
        samples.append(b"\xff\xd8" + scan + body)
    for data in samples:
        expected = _jpeg_end_reference(data, 0)
        if expected is None:
            with pytest.raises(ImageRejected, match="truncated"):
                _jpeg_end(data, 0)
        else:
            assert _jpeg_end(data, 0) == expected


def test_render_leaves_the_structure_walk_to_ingest_but_still_refuses_damage():
    data = jpeg((640, 480))
    polyglot = data + b"PK\x03\x04" + b"\x00" * 64
    with pytest.raises(ImageRejected):
        process_upload(polyglot, max_pixels=MP)  # ingest walks the structure: never stored
    # Render only ever sees originals, which passed that walk: it is not repeated per transform.
    assert render(polyglot, max_pixels=MP, width=64, height=64).width == 64
    with pytest.raises(ImageRejected):  # but a damaged original still fails in the decoder
        render(data[: len(data) // 2], max_pixels=MP, width=64, height=64)


@pytest.mark.parametrize("fit", [Fit.inside, Fit.cover])
def test_resampling_in_parallel_bands_gives_the_pixels_of_one_resize(fit):
    from imageapi.adapters.pixels import geometry

    src = Image.open(io.BytesIO(jpeg((1600, 1200)))).convert("RGBA")
    ImageDraw.Draw(src).ellipse((100, 100, 1500, 1100), fill=(10, 200, 30, 90))  # detail and alpha
    plan = geometry.plan_resize(1600, 1200, 1100, 1000, fit)
    x0, y0, x1, y1 = plan.box
    box = (x0 * 1600, y0 * 1200, x1 * 1600, y1 * 1200)
    whole = src.resize(plan.size, geometry.LANCZOS, box=box)
    banded = geometry._resize_in_bands(src, plan.size, box)
    assert banded.size == whole.size and banded.mode == whole.mode
    # Each band computes its filter windows from its own box: the same up to float rounding, which
    # can move a window edge by a pixel on a hard edge (a few levels of 255 there, nowhere else).
    diff = ImageChops.difference(banded, whole)
    assert max(hi for _, hi in diff.getextrema()) <= 4
    assert sum(ImageStat.Stat(diff).mean) / 4 < 0.01


def test_resampling_in_bands_is_exact_when_the_scale_is_a_binary_fraction():
    from imageapi.adapters.pixels import geometry

    src = Image.open(io.BytesIO(jpeg((1000, 750)))).convert("RGB")
    box = (0.0, 0.0, 1000.0, 750.0)  # 750 / 384 = 1.953125, as in 3000 -> 1536 at ingest
    whole = src.resize((512, 384), geometry.LANCZOS, box=box)
    assert geometry._resize_in_bands(src, (512, 384), box).tobytes() == whole.tobytes()
