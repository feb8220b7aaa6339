from enum import StrEnum


class ImageStatus(StrEnum):
    DELETED = "deleted"
    PENDING = "pending"
    READY = "ready"
    REJECTED = "rejected"

    def __str__(self) -> str:
        return str(self.value)
