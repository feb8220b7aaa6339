from enum import StrEnum


class PredictionRequestTask(StrEnum):
    OCR = "ocr"
    ORIENTATION = "orientation"

    def __str__(self) -> str:
        return str(self.value)
