"""Pixels: validate, analyse and render (SPEC §3.2, §3.5, §3.6, §4).

The ``adapters.pixels`` package and ``context``'s lazy factories are the only code that imports
Pillow. Everything here works on bytes in memory and never trusts what the client declared: the
format comes from magic bytes (``domain.formats``), the size from the header (checked before any
pixel is decoded), and the container structure is walked to reject truncated files and
polyglots.
"""

import hashlib

from imageapi.adapters.pixels.analysis import blurhash_of, dominant_colors, phash
from imageapi.adapters.pixels.animation import ANIMATED_OUTPUTS, encode_animation, is_animation, read_animation
from imageapi.adapters.pixels.decoding import decode
from imageapi.adapters.pixels.encoding import _flatten, _is_opaque, auto_format, encode
from imageapi.adapters.pixels.geometry import apply_plan, check_side, plan_resize
from imageapi.adapters.pixels.opening import exif_summary, open_image, pillow_guard
from imageapi.adapters.pixels.policy import PixelPolicy
from imageapi.adapters.pixels.tunables import COMPRESSED_BOX, DECODE_SLACK, THUMBNAIL_BOX
from imageapi.domain.formats import ALLOWED_FORMATS, OUTPUT_FORMATS, sniff
from imageapi.domain.models import (
    Analysis,
    Fit,
    ResizeSpec,
)
from imageapi.domain.ports import ProcessedUpload, RenderedImage
from imageapi.domain.timing import Stopwatch

# --- public API -------------------------------------------------------------------------------


def process_upload(
    data: bytes, *, max_pixels: int, display: ResizeSpec | None = None, policy: PixelPolicy | None = None
) -> ProcessedUpload:
    """Validate, analyse and render an upload from a single decode (SPEC §3.6, §4).

    Renditions: ``thumbnail`` fits 256x256, ``compressed`` fits 2048x2048 (neither upscales),
    ``display`` is ``display`` if given and not empty, else the compressed one. JPEGs are decoded
    at the smallest DCT scale the largest rendition needs (up to ``DECODE_SLACK`` below it, the
    rest upscaled); smaller renditions and the analysis
    thumbnails are derived from the rendition-size images, never from full resolution.
    Raises ImageRejected with a short reason for anything not acceptable. ``timings_ms`` of the
    result says where the time went (validate, decode, each rendition's resize and encode, analysis).
    """
    sw = Stopwatch()
    policy = policy or PixelPolicy()
    fmt = sniff(data[:64]) or "image"
    with pillow_guard(fmt):
        im, fmt, frames = open_image(data, max_pixels, heic=policy.heic)
        with im:
            exif, orientation = exif_summary(im)
            stored_w, stored_h, mode = im.width, im.height, im.mode
            has_alpha = im.has_transparency_data
            ow, oh = (stored_h, stored_w) if orientation >= 5 else (stored_w, stored_h)
            compressed_plan = plan_resize(ow, oh, *COMPRESSED_BOX, Fit.inside)
            display_plan = (
                plan_resize(ow, oh, display.width, display.height, display.fit)
                if display is not None and not display.is_empty()
                else None
            )
            sw.mark("validate_ms")
            need = compressed_plan.scaled
            if display_plan is not None:
                need = (max(need[0], display_plan.scaled[0]), max(need[1], display_plan.scaled[1]))
            slack = 1 - DECODE_SLACK
            base = decode(im, fmt, (round(need[0] * slack), round(need[1] * slack)), orientation)
            if base.mode == "RGBA" and _is_opaque(base):
                base = base.convert("RGB")  # the renditions are JPEG either way; 3 bands resample faster than 4
            sw.mark("decode_ms")
            anim = None
            if is_animation(fmt, frames):  # every frame, straight to each rendition's size
                thumb_plan = plan_resize(ow, oh, *THUMBNAIL_BOX, Fit.inside)
                plans = {"thumbnail": thumb_plan, "compressed": compressed_plan}
                anim = read_animation(
                    im, frames, orientation, plans | ({"display": display_plan} if display_plan else {}), policy
                )

    compressed_img = apply_plan(base, compressed_plan)
    sw.mark("compressed_resize_ms")
    out_fmt = auto_format(compressed_img)
    compressed = encode(compressed_img, out_fmt, None)
    sw.mark("compressed_encode_ms")
    thumb_img = apply_plan(compressed_img, plan_resize(ow, oh, *THUMBNAIL_BOX, Fit.inside))
    renditions = {"thumbnail": encode(thumb_img, out_fmt, None), "compressed": compressed}
    sw.mark("thumbnail_ms")
    if display_plan is None:
        renditions["display"] = compressed
    else:
        fits_in_compressed = all(d <= c for d, c in zip(display_plan.scaled, compressed_plan.size, strict=True))
        src = compressed_img if fits_in_compressed else base
        renditions["display"] = encode(apply_plan(src, display_plan), out_fmt, None)
        sw.mark("display_ms")
    if anim is not None and anim.kept:  # animated WebP renditions; a still where over max bytes
        for name, sequence in anim.sequences.items():
            moving = encode_animation(sequence, anim.durations, anim.loop, "WEBP", None, policy.max_output_bytes)
            renditions[name] = moving or renditions[name]
        if display_plan is None:
            renditions["display"] = renditions["compressed"]

    analysis = Analysis(
        width=stored_w,
        height=stored_h,
        format=fmt,
        mime=ALLOWED_FORMATS[fmt],
        mode=mode,
        has_alpha=has_alpha,
        animated=frames > 1 and fmt in ("GIF", "PNG", "WEBP"),
        frames=frames,
        loop=anim.loop if anim else None,
        duration_ms=anim.duration_ms if anim else None,
        bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        md5=hashlib.md5(data, usedforsecurity=False).hexdigest(),
        orientation=orientation,
        exif=exif,
        dominant_colors=dominant_colors(thumb_img),
        blurhash=blurhash_of(thumb_img),
        phash=phash(thumb_img),
    )
    sw.mark("analysis_ms")
    return ProcessedUpload(analysis=analysis, renditions=renditions, timings_ms=sw.laps)


def render(
    data: bytes,
    *,
    max_pixels: int,
    width: int | None,
    height: int | None,
    fit: Fit = Fit.contain,
    format: str | None = None,  # mirrors the query parameter of SPEC §3.5
    quality: int | None = None,
    policy: PixelPolicy | None = None,
    transparent: str = "WEBP",
    fast: bool = False,
) -> RenderedImage:
    """Render the original ``data`` to one image (on-demand transforms, PATCH re-rendering, the edge).

    ``format`` is jpeg/png/webp/avif/gif (None: JPEG if opaque, else ``transparent``; ``auto`` is resolved
    from Accept before this); ``quality`` 1..100 applies to JPEG, WebP and AVIF. An animated
    source stays animated in GIF/WebP (and with no format: WebP) within the policy's bounds; every
    other output, or an animation over the bounds, takes the first frame.
    Bad arguments raise ValueError (callers validate requests first); bad image bytes raise
    ImageRejected.
    """
    out_fmt = OUTPUT_FORMATS.get(format.lower()) if format else None
    if format and out_fmt is None:
        raise ValueError("format must be jpeg, png, webp, avif or gif")
    if quality is not None and not 1 <= quality <= 100:
        raise ValueError("quality must be between 1 and 100")
    check_side("width", width)  # before the guard, which would report it as a bad image
    check_side("height", height)
    policy = policy or PixelPolicy()
    with pillow_guard(sniff(data[:64]) or "image"):
        # Only originals are rendered, and ingest walked their structure (truncation, polyglots)
        # already: not again per transform (~5 ms on a 12 MB JPEG). Pillow still refuses damage.
        im, fmt, frames = open_image(data, max_pixels, heic=policy.heic, walk_structure=False)
        with im:
            _, orientation = exif_summary(im)
            ow, oh = (im.height, im.width) if orientation >= 5 else im.size
            plan = plan_resize(ow, oh, width, height, fit)
            base = decode(im, fmt, plan.scaled, orientation)
            moving = is_animation(fmt, frames) and (out_fmt or "WEBP") in ANIMATED_OUTPUTS
            anim = read_animation(im, frames, orientation, {"out": plan}, policy) if moving else None
    if anim is not None and anim.kept:
        animated = encode_animation(
            anim.sequences["out"], anim.durations, anim.loop, out_fmt or "WEBP", quality, policy.max_output_bytes
        )
        if animated is not None:
            return animated
    if out_fmt == "JPEG" and base.mode == "RGBA":
        # Flattening on white before resampling gives the pixels of flattening after (the weights sum
        # to 1; 55 dB apart from rounding) without premultiplying alpha or resampling a fourth band.
        base = _flatten(base)
    out = apply_plan(base, plan)
    return encode(out, out_fmt or auto_format(out, transparent), quality, fast=fast)
