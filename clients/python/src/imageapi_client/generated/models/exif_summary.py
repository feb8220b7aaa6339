from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="ExifSummary")


@_attrs_define
class ExifSummary:
    """The EXIF subset we return. GPS coordinates are never kept: only whether they existed.

    Attributes:
        captured_at (None | str | Unset):
        has_gps (bool | Unset):  Default: False.
        make (None | str | Unset):
        model (None | str | Unset):
        orientation (int | None | Unset):
        software (None | str | Unset):
    """

    captured_at: None | str | Unset = UNSET
    has_gps: bool | Unset = False
    make: None | str | Unset = UNSET
    model: None | str | Unset = UNSET
    orientation: int | None | Unset = UNSET
    software: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        captured_at: None | str | Unset
        if isinstance(self.captured_at, Unset):
            captured_at = UNSET
        else:
            captured_at = self.captured_at

        has_gps = self.has_gps

        make: None | str | Unset
        if isinstance(self.make, Unset):
            make = UNSET
        else:
            make = self.make

        model: None | str | Unset
        if isinstance(self.model, Unset):
            model = UNSET
        else:
            model = self.model

        orientation: int | None | Unset
        if isinstance(self.orientation, Unset):
            orientation = UNSET
        else:
            orientation = self.orientation

        software: None | str | Unset
        if isinstance(self.software, Unset):
            software = UNSET
        else:
            software = self.software

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if captured_at is not UNSET:
            field_dict["captured_at"] = captured_at
        if has_gps is not UNSET:
            field_dict["has_gps"] = has_gps
        if make is not UNSET:
            field_dict["make"] = make
        if model is not UNSET:
            field_dict["model"] = model
        if orientation is not UNSET:
            field_dict["orientation"] = orientation
        if software is not UNSET:
            field_dict["software"] = software

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)

        def _parse_captured_at(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        captured_at = _parse_captured_at(d.pop("captured_at", UNSET))

        has_gps = d.pop("has_gps", UNSET)

        def _parse_make(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        make = _parse_make(d.pop("make", UNSET))

        def _parse_model(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        model = _parse_model(d.pop("model", UNSET))

        def _parse_orientation(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        orientation = _parse_orientation(d.pop("orientation", UNSET))

        def _parse_software(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        software = _parse_software(d.pop("software", UNSET))

        exif_summary = cls(
            captured_at=captured_at,
            has_gps=has_gps,
            make=make,
            model=model,
            orientation=orientation,
            software=software,
        )

        exif_summary.additional_properties = d
        return exif_summary

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
