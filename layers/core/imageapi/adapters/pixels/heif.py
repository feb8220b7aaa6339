"""HEIC/HEIF decoding through pi-heif (libheif + libde265, LGPL; no x265 encoder), from the HEIC
layer. Registered with Pillow on first use; absent layer or switched off = HEIC refused."""

from functools import cache


@cache
def _registered() -> bool:
    try:
        import pi_heif
    except ImportError:  # the HEIC layer is not deployed (template EnableHeic=false)
        return False
    # No thumbnails/depth/auxiliary images: we only ever decode the primary image. libheif applies
    # the container's rotation/mirror itself and pi-heif resets EXIF orientation to 1 accordingly.
    pi_heif.register_heif_opener(thumbnails=False, depth_images=False, aux_images=False)
    return True


def heif_available(enabled: bool) -> bool:
    """True when HEIC may be decoded: switched on and the decoder is importable."""
    return enabled and _registered()
