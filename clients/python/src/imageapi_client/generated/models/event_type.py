from enum import StrEnum


class EventType(StrEnum):
    IMAGE_CREATED = "image.created"
    IMAGE_DELETED = "image.deleted"
    IMAGE_PURGED = "image.purged"
    IMAGE_READY = "image.ready"
    IMAGE_REJECTED = "image.rejected"
    IMAGE_RESTORED = "image.restored"
    IMAGE_UPDATED = "image.updated"

    def __str__(self) -> str:
        return str(self.value)
