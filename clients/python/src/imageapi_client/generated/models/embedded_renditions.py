from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.embedded_rendition import EmbeddedRendition


T = TypeVar("T", bound="EmbeddedRenditions")


@_attrs_define
class EmbeddedRenditions:
    """
    Attributes:
        compressed (EmbeddedRendition | None | Unset):
        display (EmbeddedRendition | None | Unset):
        thumbnail (EmbeddedRendition | None | Unset):
    """

    compressed: EmbeddedRendition | None | Unset = UNSET
    display: EmbeddedRendition | None | Unset = UNSET
    thumbnail: EmbeddedRendition | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.embedded_rendition import EmbeddedRendition

        compressed: dict[str, Any] | None | Unset
        if isinstance(self.compressed, Unset):
            compressed = UNSET
        elif isinstance(self.compressed, EmbeddedRendition):
            compressed = self.compressed.to_dict()
        else:
            compressed = self.compressed

        display: dict[str, Any] | None | Unset
        if isinstance(self.display, Unset):
            display = UNSET
        elif isinstance(self.display, EmbeddedRendition):
            display = self.display.to_dict()
        else:
            display = self.display

        thumbnail: dict[str, Any] | None | Unset
        if isinstance(self.thumbnail, Unset):
            thumbnail = UNSET
        elif isinstance(self.thumbnail, EmbeddedRendition):
            thumbnail = self.thumbnail.to_dict()
        else:
            thumbnail = self.thumbnail

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if compressed is not UNSET:
            field_dict["compressed"] = compressed
        if display is not UNSET:
            field_dict["display"] = display
        if thumbnail is not UNSET:
            field_dict["thumbnail"] = thumbnail

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.embedded_rendition import EmbeddedRendition

        d = dict(src_dict)

        def _parse_compressed(data: object) -> EmbeddedRendition | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                compressed_type_0 = EmbeddedRendition.from_dict(data)

                return compressed_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(EmbeddedRendition | None | Unset, data)

        compressed = _parse_compressed(d.pop("compressed", UNSET))

        def _parse_display(data: object) -> EmbeddedRendition | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                display_type_0 = EmbeddedRendition.from_dict(data)

                return display_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(EmbeddedRendition | None | Unset, data)

        display = _parse_display(d.pop("display", UNSET))

        def _parse_thumbnail(data: object) -> EmbeddedRendition | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                thumbnail_type_0 = EmbeddedRendition.from_dict(data)

                return thumbnail_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(EmbeddedRendition | None | Unset, data)

        thumbnail = _parse_thumbnail(d.pop("thumbnail", UNSET))

        embedded_renditions = cls(
            compressed=compressed,
            display=display,
            thumbnail=thumbnail,
        )

        embedded_renditions.additional_properties = d
        return embedded_renditions

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
