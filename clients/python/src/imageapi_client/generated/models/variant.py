from enum import StrEnum


class Variant(StrEnum):
    COMPRESSED = "compressed"
    DISPLAY = "display"
    ORIGINAL = "original"
    THUMBNAIL = "thumbnail"

    def __str__(self) -> str:
        return str(self.value)
