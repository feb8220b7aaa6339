"""The Pillow-backed ``Renderer`` the service uses for PATCH re-renders and on-demand
transforms. Imported only by the functions that render, and only when they do."""

from dataclasses import dataclass, field

from imageapi.adapters.pixels import process as imaging
from imageapi.adapters.pixels.policy import PixelPolicy
from imageapi.adapters.pixels.tunables import EDGE_QUALITY
from imageapi.domain.edge import Geometry
from imageapi.domain.errors import ImageRejected, NotFound
from imageapi.domain.models import Fit


@dataclass(frozen=True)
class PillowRenderer:
    max_pixels: int
    policy: PixelPolicy = field(default_factory=PixelPolicy)

    def render(
        self,
        data: bytes,
        *,
        width: int | None,
        height: int | None,
        fit: str,
        format: str | None = None,
        quality: int | None = None,
    ) -> imaging.RenderedImage:
        try:
            return imaging.render(
                data,
                max_pixels=self.max_pixels,
                width=width,
                height=height,
                fit=Fit(fit),
                format=format,
                quality=quality,
                policy=self.policy,
            )
        except ImageRejected as error:  # an original that passed ingest no longer decodes
            raise NotFound(f"the original can no longer be rendered: {error.reason}") from error

    def render_edge(
        self, data: bytes, *, geometry: Geometry, format: str, quality: str, fast: bool = False
    ) -> imaging.RenderedImage:
        """An edge rendition (issue 20): ``format`` avif/webp/gif, or jpeg (PNG when the pixels have
        alpha); ``quality`` a level of ``EDGE_QUALITY``; ``fast`` WebP's quickest method."""
        if format == "jpeg":  # JPEG if opaque, else PNG: this viewer takes neither WebP nor AVIF
            return self._render(data, geometry, None, EDGE_QUALITY["JPEG"][quality], transparent="PNG")
        level = EDGE_QUALITY.get(format.upper(), {}).get(quality)  # GIF: no quality
        return self._render(data, geometry, format, level, fast=fast)

    def _render(
        self,
        data: bytes,
        geometry: Geometry,
        format: str | None,
        quality: int | None,
        transparent: str = "WEBP",
        fast: bool = False,
    ) -> imaging.RenderedImage:
        try:
            return imaging.render(
                data,
                max_pixels=self.max_pixels,
                width=geometry.width,
                height=geometry.height,
                fit=geometry.fit,
                format=format,
                quality=quality,
                policy=self.policy,
                transparent=transparent,
                fast=fast,
            )
        except ImageRejected as error:
            raise NotFound(f"the original can no longer be rendered: {error.reason}") from error
