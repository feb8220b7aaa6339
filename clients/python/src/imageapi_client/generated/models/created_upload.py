from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.image_out import ImageOut
    from ..models.upload_form import UploadForm


T = TypeVar("T", bound="CreatedUpload")


@_attrs_define
class CreatedUpload:
    """
    Attributes:
        image (ImageOut): The image object of SPEC §3.4.
        upload (UploadForm):
    """

    image: ImageOut
    upload: UploadForm
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        image = self.image.to_dict()

        upload = self.upload.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "image": image,
                "upload": upload,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.image_out import ImageOut
        from ..models.upload_form import UploadForm

        d = dict(src_dict)
        image = ImageOut.from_dict(d.pop("image"))

        upload = UploadForm.from_dict(d.pop("upload"))

        created_upload = cls(
            image=image,
            upload=upload,
        )

        created_upload.additional_properties = d
        return created_upload

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
