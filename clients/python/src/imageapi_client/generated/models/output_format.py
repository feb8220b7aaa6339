from enum import StrEnum


class OutputFormat(StrEnum):
    AUTO = "auto"
    AVIF = "avif"
    GIF = "gif"
    JPEG = "jpeg"
    PNG = "png"
    WEBP = "webp"

    def __str__(self) -> str:
        return str(self.value)
