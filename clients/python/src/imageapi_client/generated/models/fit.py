from enum import StrEnum


class Fit(StrEnum):
    CONTAIN = "contain"
    COVER = "cover"
    FILL = "fill"
    INSIDE = "inside"

    def __str__(self) -> str:
        return str(self.value)
