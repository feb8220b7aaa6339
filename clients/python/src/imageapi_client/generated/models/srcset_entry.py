from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="SrcsetEntry")


@_attrs_define
class SrcsetEntry:
    """One width of the image at the edge (SPEC §3.4, §3.10): the CDN picks the format from Accept.

    Attributes:
        expires_at (datetime.datetime):
        url (str): signed, short-lived CDN URL; GET it without an Authorization header. Every width of one image shares
            one signature (a policy over the image's own path prefix)
        width (int): the pixel width of this candidate (its srcset descriptor: `<url> <width>w`)
    """

    expires_at: datetime.datetime
    url: str
    width: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        expires_at = self.expires_at.isoformat()

        url = self.url

        width = self.width

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "expires_at": expires_at,
                "url": url,
                "width": width,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        expires_at = datetime.datetime.fromisoformat(d.pop("expires_at"))

        url = d.pop("url")

        width = d.pop("width")

        srcset_entry = cls(
            expires_at=expires_at,
            url=url,
            width=width,
        )

        srcset_entry.additional_properties = d
        return srcset_entry

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
