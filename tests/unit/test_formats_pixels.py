"""Issue 13 in the pixel adapter: AVIF and HEIC in, AVIF/GIF out, animations within their bounds,
ICC profiles to sRGB, and the structure checks of ISO-BMFF files. The corpus is generated here
(tests/harness/corpus.py)."""

import io

import pytest
from PIL import Image

from imageapi.adapters.pixels.policy import PixelPolicy
from imageapi.adapters.pixels.process import process_upload, render
from imageapi.domain.errors import ImageRejected
from imageapi.domain.formats import HEIC_DISABLED
from imageapi.domain.ports import RenderedImage
from tests.harness import corpus

MP = 50_000_000
TOLERANCE = 6  # per channel, 0..255: lossy encodes of a flat patch stay well inside it


def opened(rendition: RenderedImage) -> Image.Image:
    return Image.open(io.BytesIO(rendition.data))


def centre(rendition: RenderedImage) -> tuple[int, int, int]:
    im = opened(rendition).convert("RGB")
    return im.getpixel((im.width // 2, im.height // 2))  # type: ignore[return-value]


def close(found: tuple[int, ...], wanted: tuple[int, ...]) -> bool:
    return all(abs(a - b) <= TOLERANCE for a, b in zip(found, wanted, strict=True))


@pytest.mark.parametrize(
    ("make", "fmt", "mime", "alpha"),
    [
        (lambda: corpus.avif((320, 240)), "AVIF", "image/avif", False),
        (lambda: corpus.avif((320, 240), alpha=True), "AVIF", "image/avif", True),
        (lambda: corpus.heic((320, 240)), "HEIF", "image/heic", False),
    ],
    ids=["avif", "avif-alpha", "heic"],
)
def test_avif_and_heic_are_read_analysed_and_rendered_without_gps(make, fmt, mime, alpha) -> None:
    data = make()
    result = process_upload(data, max_pixels=MP)
    a = result.analysis
    assert (a.format, a.mime, a.width, a.height, a.has_alpha, a.frames) == (fmt, mime, 320, 240, alpha, 1)
    assert a.exif.make == "TestPhone" and a.exif.has_gps  # read, and only its presence kept
    assert "51" not in a.model_dump_json().split('"exif"')[1].split("}")[0]
    thumb = result.renditions["thumbnail"]
    assert (thumb.width, thumb.height) == (256, 192)
    assert thumb.content_type == ("image/webp" if alpha else "image/jpeg")
    for rendition in result.renditions.values():
        out = opened(rendition)
        assert not out.getexif() and "exif" not in out.info and "icc_profile" not in out.info
    assert close(centre(result.renditions["compressed"]), corpus.PATCH_SRGB)


def test_heic_switched_off_is_refused_with_the_reason() -> None:
    with pytest.raises(ImageRejected) as refused:
        process_upload(corpus.heic((64, 48)), max_pixels=MP, policy=PixelPolicy(heic=False))
    assert refused.value.reason == HEIC_DISABLED


def test_avif_and_heic_open_under_the_pixel_limit() -> None:
    for data in (corpus.avif((320, 240)), corpus.heic((320, 240))):
        with pytest.raises(ImageRejected, match="pixel limit"):
            process_upload(data, max_pixels=320 * 240 - 1)


@pytest.mark.parametrize("make", [lambda: corpus.avif((96, 64)), lambda: corpus.heic((96, 64))], ids=["avif", "heic"])
def test_truncated_and_polyglot_iso_bmff_files_are_rejected(make) -> None:
    data = make()
    with pytest.raises(ImageRejected, match="truncated"):
        process_upload(data[: len(data) - 40], max_pixels=MP)
    with pytest.raises(ImageRejected, match="polyglot"):
        process_upload(data + b"<html><script>alert(1)</script></html>", max_pixels=MP)
    with pytest.raises(ImageRejected, match=r"ZIP|polyglot"):
        process_upload(data + b"PK\x03\x04" + b"\0" * 40, max_pixels=MP)


def test_avif_out_with_quality_and_speed_defaults() -> None:
    data = corpus.p3_jpeg((640, 480))
    out = render(data, max_pixels=MP, width=320, height=None, format="avif")
    assert out.content_type == "image/avif" and (out.width, out.height) == (320, 240)
    assert close(centre(out), corpus.PATCH_SRGB)
    low = render(data, max_pixels=MP, width=320, height=None, format="avif", quality=10)
    assert len(low.data) < len(out.data)


@pytest.mark.parametrize("fmt", ["GIF", "WEBP"])
@pytest.mark.parametrize("frames", [3, 20])
def test_animations_stay_animated_in_every_rendition(fmt: str, frames: int) -> None:
    data = corpus.animation(fmt, frames)
    result = process_upload(data, max_pixels=MP)
    a = result.analysis
    assert (a.format, a.animated, a.frames, a.loop, a.duration_ms) == (fmt, True, frames, 0, 80 * frames)
    for name in ("thumbnail", "compressed", "display"):
        out = opened(result.renditions[name])
        assert out.format == "WEBP" and out.n_frames == frames, name
        assert out.info.get("loop") == 0
    first = opened(result.renditions["compressed"]).convert("RGB").getpixel((10, 10))
    assert close(first, (0, 0, 255))  # frame 0's colour


def test_transforms_keep_the_animation_only_in_gif_and_webp() -> None:
    data = corpus.animation("GIF", 5)
    for fmt, frames in (("gif", 5), ("webp", 5), (None, 5), ("avif", 1), ("jpeg", 1), ("png", 1)):
        out = opened(render(data, max_pixels=MP, width=80, height=None, format=fmt))
        assert getattr(out, "n_frames", 1) == frames, fmt
        assert out.size == (80, 60)


@pytest.mark.parametrize(
    ("policy", "data"),
    [
        (PixelPolicy(max_frames=19), lambda: corpus.animation("GIF", 20)),  # one frame over
        (PixelPolicy(max_animation_pixels=160 * 120 * 10 - 1), lambda: corpus.animation("WEBP", 10)),
        (PixelPolicy(max_output_bytes=1024), lambda: corpus.animation("GIF", 12)),
    ],
    ids=["frames", "pixels", "bytes"],
)
def test_an_animation_just_over_a_limit_falls_back_to_its_first_frame(policy: PixelPolicy, data) -> None:
    result = process_upload(data(), max_pixels=MP, policy=policy)
    assert result.analysis.animated and result.analysis.frames > 1
    for rendition in result.renditions.values():
        out = opened(rendition)
        assert getattr(out, "n_frames", 1) == 1
        assert close(out.convert("RGB").getpixel((10, 10)), (0, 0, 255))
    moving = render(data(), max_pixels=MP, width=100, height=None, format="webp", policy=policy)
    assert getattr(opened(moving), "n_frames", 1) == 1


@pytest.mark.parametrize("make", [corpus.p3_jpeg, corpus.png16_p3], ids=["display-p3-jpeg", "16-bit-p3-png"])
def test_embedded_profiles_end_up_as_the_right_srgb_colour(make) -> None:
    stored = corpus.srgb_to_p3(corpus.PATCH_SRGB)
    assert not close(stored, corpus.PATCH_SRGB)  # without the conversion the test would fail
    result = process_upload(make(), max_pixels=MP)
    for name in ("compressed", "thumbnail"):
        assert close(centre(result.renditions[name]), corpus.PATCH_SRGB), name


def test_cmyk_jpeg_comes_out_red_not_inverted() -> None:
    result = process_upload(corpus.cmyk_jpeg(), max_pixels=MP)
    assert result.analysis.mode == "CMYK"
    assert close(centre(result.renditions["compressed"]), (255, 0, 0))
