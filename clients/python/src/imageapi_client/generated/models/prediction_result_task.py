from enum import StrEnum


class PredictionResultTask(StrEnum):
    OCR = "ocr"
    ORIENTATION = "orientation"

    def __str__(self) -> str:
        return str(self.value)
