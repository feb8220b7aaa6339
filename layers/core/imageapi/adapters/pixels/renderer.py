"""The Pillow-backed ``Renderer`` the service uses for PATCH re-renders and on-demand
transforms. Imported only by the functions that render, and only when they do."""

from dataclasses import dataclass, field

from imageapi.adapters.pixels import process as imaging
from imageapi.adapters.pixels.policy import PixelPolicy
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
