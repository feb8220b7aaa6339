"""Decoding to a working image: draft scaling, 8-bit, sRGB through the ICC profile, orientation."""

import io
from functools import cache
from typing import cast

from PIL import Image, ImageCms

from imageapi.adapters.pixels.tunables import _TRANSPOSE

# --- decoding to a working image -------------------------------------------------------------


@cache
def _srgb() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def _to_8bit_gray(im: Image.Image) -> Image.Image:
    """I;16*, I and F to L. Pillow's own convert('L') clips 16-bit values instead of scaling."""
    src = im if im.mode in ("I", "F") else im.convert("I")
    if im.mode.startswith("I;16"):
        scale, offset = 1 / 256, 0.0
    else:
        # One band (I or F): Pillow answers (min, max), typed for multi-band images too.
        lo, hi = cast(tuple[float, float], src.getextrema())
        if lo >= 0 and hi <= 255:
            scale, offset = 1.0, 0.0
        elif lo >= 0 and hi <= 65535:
            scale, offset = 1 / 256, 0.0
        else:  # arbitrary range (float or 32-bit data): stretch to 0..255
            scale = 255 / (hi - lo) if hi > lo else 1.0
            offset = -lo * scale
    return src.point(lambda v: v * scale + offset).convert("L")


def _icc_to_srgb(im: Image.Image, icc: bytes, alpha: bool) -> Image.Image | None:
    """Convert through the embedded ICC profile to sRGB; None if the profile is sRGB already or
    unusable (the caller then falls back to a plain conversion)."""
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        if "srgb" in ImageCms.getProfileDescription(profile).lower():
            return None
        alpha_band = None
        if alpha:
            rgba = im.convert("RGBA")
            alpha_band, im = rgba.getchannel("A"), rgba.convert("RGB")
        elif im.mode not in ("RGB", "CMYK", "L"):
            im = im.convert("RGB")
        out = ImageCms.profileToProfile(im, profile, _srgb(), outputMode="RGB")
        assert out is not None
        if alpha_band is not None:
            out.putalpha(alpha_band)
        return out
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return None


def _to_working(im: Image.Image, has_alpha: bool) -> Image.Image:
    """Any decoded mode (CMYK, P, PA, LA, 1, I;16, F...) to sRGB 'RGB' or 'RGBA'."""
    icc = im.info.get("icc_profile")
    if im.mode.startswith("I") or im.mode == "F":
        im = _to_8bit_gray(im)
    if icc:
        converted = _icc_to_srgb(im, icc, has_alpha)
        if converted is not None:
            return converted
    target = "RGBA" if has_alpha else "RGB"
    return im if im.mode == target else im.convert(target)


def decode(im: Image.Image, fmt: str, need: tuple[int, int], orientation: int) -> Image.Image:
    """Decode once, at the smallest JPEG DCT scale still >= ``need`` (oriented size)."""
    has_alpha = im.has_transparency_data
    if fmt == "JPEG":
        stored_need = need[::-1] if orientation >= 5 else need  # 5..8 swap the axes
        im.draft(None, (max(1, stored_need[0]), max(1, stored_need[1])))
    im.load()
    work = _to_working(im, has_alpha)
    if orientation in _TRANSPOSE:
        work = work.transpose(_TRANSPOSE[orientation])
    return work
