from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="ImageLinks")


@_attrs_define
class ImageLinks:
    """
    Attributes:
        analysis (str):
        download (str):
        self_ (str):
        thumbnail (str):
    """

    analysis: str
    download: str
    self_: str
    thumbnail: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        analysis = self.analysis

        download = self.download

        self_ = self.self_

        thumbnail = self.thumbnail

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "analysis": analysis,
                "download": download,
                "self": self_,
                "thumbnail": thumbnail,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        analysis = d.pop("analysis")

        download = d.pop("download")

        self_ = d.pop("self")

        thumbnail = d.pop("thumbnail")

        image_links = cls(
            analysis=analysis,
            download=download,
            self_=self_,
            thumbnail=thumbnail,
        )

        image_links.additional_properties = d
        return image_links

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
