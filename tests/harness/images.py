"""Images made on the fly for tests: no binary fixtures in the repository."""

import io

from PIL import Image


def jpeg(width: int = 640, height: int = 480, color: tuple[int, int, int] = (200, 80, 40), quality: int = 85) -> bytes:
    image = Image.new("RGB", (width, height), color)
    # A gradient so the encoder and analysis have something to chew on.
    for x in range(0, width, max(1, width // 16)):
        image.paste((x * 255 // width, 120, 255 - x * 255 // width), (x, 0, x + max(1, width // 32), height))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def png(width: int = 320, height: int = 200, mode: str = "RGBA") -> bytes:
    image = Image.new(mode, (width, height), (10, 200, 30, 128) if mode == "RGBA" else (10, 200, 30))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()
