from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="EmbeddedRendition")


@_attrs_define
class EmbeddedRendition:
    """
    Attributes:
        content_type (str):
        expires_at (datetime.datetime):
        height (int):
        url (str): signed, short-lived URL; GET it without an Authorization header
        width (int):
    """

    content_type: str
    expires_at: datetime.datetime
    height: int
    url: str
    width: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        content_type = self.content_type

        expires_at = self.expires_at.isoformat()

        height = self.height

        url = self.url

        width = self.width

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "content_type": content_type,
                "expires_at": expires_at,
                "height": height,
                "url": url,
                "width": width,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        content_type = d.pop("content_type")

        expires_at = datetime.datetime.fromisoformat(d.pop("expires_at"))

        height = d.pop("height")

        url = d.pop("url")

        width = d.pop("width")

        embedded_rendition = cls(
            content_type=content_type,
            expires_at=expires_at,
            height=height,
            url=url,
            width=width,
        )

        embedded_rendition.additional_properties = d
        return embedded_rendition

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
