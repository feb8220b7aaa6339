from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.file_types import FileTypes
    from ..models.rate_limits import RateLimits


T = TypeVar("T", bound="PublicLimits")


@_attrs_define
class PublicLimits:
    """The limits a client can check before sending (SPEC §5).

    Attributes:
        max_direct_upload_bytes (int):
        max_pixels (int):
        max_renditions_per_image (int):
        max_upload_bytes (int):
        edge_qualities (list[str] | Unset): the quality levels an edge URL may name: /edge/{width} is default,
            /edge/{width}-low, -high
        edge_widths (list[int] | Unset): the widths an image's srcset offers and the CDN renders (template EdgeWidths);
            a request for another width is refused at the edge
        file_types (FileTypes | Unset): accepted file extensions and their MIME types
        heic (bool | Unset): HEIC/HEIF accepted on this deployment Default: True.
        max_animation_frames (int | None | Unset):
        max_animation_output_bytes (int | None | Unset):
        max_animation_pixels (int | None | Unset):
        max_side (int | Unset):  Default: 4096.
        max_title_length (int | Unset):  Default: 200.
        rate_limit_window_seconds (int | Unset):  Default: 60.
        rate_limits (RateLimits | Unset): requests per owner and rate_limit_window_seconds on the costly routes (0 = no
            limit); over it: 429 with Retry-After
    """

    max_direct_upload_bytes: int
    max_pixels: int
    max_renditions_per_image: int
    max_upload_bytes: int
    edge_qualities: list[str] | Unset = UNSET
    edge_widths: list[int] | Unset = UNSET
    file_types: FileTypes | Unset = UNSET
    heic: bool | Unset = True
    max_animation_frames: int | None | Unset = UNSET
    max_animation_output_bytes: int | None | Unset = UNSET
    max_animation_pixels: int | None | Unset = UNSET
    max_side: int | Unset = 4096
    max_title_length: int | Unset = 200
    rate_limit_window_seconds: int | Unset = 60
    rate_limits: RateLimits | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        max_direct_upload_bytes = self.max_direct_upload_bytes

        max_pixels = self.max_pixels

        max_renditions_per_image = self.max_renditions_per_image

        max_upload_bytes = self.max_upload_bytes

        edge_qualities: list[str] | Unset = UNSET
        if not isinstance(self.edge_qualities, Unset):
            edge_qualities = self.edge_qualities

        edge_widths: list[int] | Unset = UNSET
        if not isinstance(self.edge_widths, Unset):
            edge_widths = self.edge_widths

        file_types: dict[str, Any] | Unset = UNSET
        if not isinstance(self.file_types, Unset):
            file_types = self.file_types.to_dict()

        heic = self.heic

        max_animation_frames: int | None | Unset
        if isinstance(self.max_animation_frames, Unset):
            max_animation_frames = UNSET
        else:
            max_animation_frames = self.max_animation_frames

        max_animation_output_bytes: int | None | Unset
        if isinstance(self.max_animation_output_bytes, Unset):
            max_animation_output_bytes = UNSET
        else:
            max_animation_output_bytes = self.max_animation_output_bytes

        max_animation_pixels: int | None | Unset
        if isinstance(self.max_animation_pixels, Unset):
            max_animation_pixels = UNSET
        else:
            max_animation_pixels = self.max_animation_pixels

        max_side = self.max_side

        max_title_length = self.max_title_length

        rate_limit_window_seconds = self.rate_limit_window_seconds

        rate_limits: dict[str, Any] | Unset = UNSET
        if not isinstance(self.rate_limits, Unset):
            rate_limits = self.rate_limits.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "max_direct_upload_bytes": max_direct_upload_bytes,
                "max_pixels": max_pixels,
                "max_renditions_per_image": max_renditions_per_image,
                "max_upload_bytes": max_upload_bytes,
            }
        )
        if edge_qualities is not UNSET:
            field_dict["edge_qualities"] = edge_qualities
        if edge_widths is not UNSET:
            field_dict["edge_widths"] = edge_widths
        if file_types is not UNSET:
            field_dict["file_types"] = file_types
        if heic is not UNSET:
            field_dict["heic"] = heic
        if max_animation_frames is not UNSET:
            field_dict["max_animation_frames"] = max_animation_frames
        if max_animation_output_bytes is not UNSET:
            field_dict["max_animation_output_bytes"] = max_animation_output_bytes
        if max_animation_pixels is not UNSET:
            field_dict["max_animation_pixels"] = max_animation_pixels
        if max_side is not UNSET:
            field_dict["max_side"] = max_side
        if max_title_length is not UNSET:
            field_dict["max_title_length"] = max_title_length
        if rate_limit_window_seconds is not UNSET:
            field_dict["rate_limit_window_seconds"] = rate_limit_window_seconds
        if rate_limits is not UNSET:
            field_dict["rate_limits"] = rate_limits

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.file_types import FileTypes
        from ..models.rate_limits import RateLimits

        d = dict(src_dict)
        max_direct_upload_bytes = d.pop("max_direct_upload_bytes")

        max_pixels = d.pop("max_pixels")

        max_renditions_per_image = d.pop("max_renditions_per_image")

        max_upload_bytes = d.pop("max_upload_bytes")

        edge_qualities = cast(list[str], d.pop("edge_qualities", UNSET))

        edge_widths = cast(list[int], d.pop("edge_widths", UNSET))

        _file_types = d.pop("file_types", UNSET)
        file_types: FileTypes | Unset
        if isinstance(_file_types, Unset):
            file_types = UNSET
        else:
            file_types = FileTypes.from_dict(_file_types)

        heic = d.pop("heic", UNSET)

        def _parse_max_animation_frames(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        max_animation_frames = _parse_max_animation_frames(d.pop("max_animation_frames", UNSET))

        def _parse_max_animation_output_bytes(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        max_animation_output_bytes = _parse_max_animation_output_bytes(d.pop("max_animation_output_bytes", UNSET))

        def _parse_max_animation_pixels(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        max_animation_pixels = _parse_max_animation_pixels(d.pop("max_animation_pixels", UNSET))

        max_side = d.pop("max_side", UNSET)

        max_title_length = d.pop("max_title_length", UNSET)

        rate_limit_window_seconds = d.pop("rate_limit_window_seconds", UNSET)

        _rate_limits = d.pop("rate_limits", UNSET)
        rate_limits: RateLimits | Unset
        if isinstance(_rate_limits, Unset):
            rate_limits = UNSET
        else:
            rate_limits = RateLimits.from_dict(_rate_limits)

        public_limits = cls(
            max_direct_upload_bytes=max_direct_upload_bytes,
            max_pixels=max_pixels,
            max_renditions_per_image=max_renditions_per_image,
            max_upload_bytes=max_upload_bytes,
            edge_qualities=edge_qualities,
            edge_widths=edge_widths,
            file_types=file_types,
            heic=heic,
            max_animation_frames=max_animation_frames,
            max_animation_output_bytes=max_animation_output_bytes,
            max_animation_pixels=max_animation_pixels,
            max_side=max_side,
            max_title_length=max_title_length,
            rate_limit_window_seconds=rate_limit_window_seconds,
            rate_limits=rate_limits,
        )

        public_limits.additional_properties = d
        return public_limits

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
