from enum import StrEnum


class CreateUploadRequestContentType(StrEnum):
    IMAGEAVIF = "image/avif"
    IMAGEBMP = "image/bmp"
    IMAGEGIF = "image/gif"
    IMAGEHEIC = "image/heic"
    IMAGEHEIC_SEQUENCE = "image/heic-sequence"
    IMAGEHEIF = "image/heif"
    IMAGEHEIF_SEQUENCE = "image/heif-sequence"
    IMAGEJPEG = "image/jpeg"
    IMAGEPNG = "image/png"
    IMAGETIFF = "image/tiff"
    IMAGEWEBP = "image/webp"

    def __str__(self) -> str:
        return str(self.value)
