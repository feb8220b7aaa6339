from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.image_out import ImageOut


T = TypeVar("T", bound="DuplicateImage")


@_attrs_define
class DuplicateImage:
    """
    Attributes:
        image (ImageOut): The image object of SPEC §3.4.
        duplicate (bool | Unset):  Default: True.
    """

    image: ImageOut
    duplicate: bool | Unset = True
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        image = self.image.to_dict()

        duplicate = self.duplicate

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "image": image,
            }
        )
        if duplicate is not UNSET:
            field_dict["duplicate"] = duplicate

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.image_out import ImageOut

        d = dict(src_dict)
        image = ImageOut.from_dict(d.pop("image"))

        duplicate = d.pop("duplicate", UNSET)

        duplicate_image = cls(
            image=image,
            duplicate=duplicate,
        )

        duplicate_image.additional_properties = d
        return duplicate_image

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
