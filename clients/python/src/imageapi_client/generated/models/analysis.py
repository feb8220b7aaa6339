from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.dominant_color import DominantColor
    from ..models.exif_summary import ExifSummary


T = TypeVar("T", bound="Analysis")


@_attrs_define
class Analysis:
    """SPEC §3.6, computed at ingest from one decode.

    Attributes:
        animated (bool):
        bytes_ (int):
        format_ (str):
        frames (int):
        has_alpha (bool):
        height (int):
        md5 (str):
        mime (str):
        mode (str):
        sha256 (str):
        width (int):
        blurhash (None | str | Unset):
        dominant_colors (list[DominantColor] | Unset):
        duration_ms (int | None | Unset): total duration of one pass of the animation
        exif (ExifSummary | Unset): The EXIF subset we return. GPS coordinates are never kept: only whether they
            existed.
        loop (int | None | Unset): animation loop count: 0 = forever, absent = plays once
        orientation (int | Unset):  Default: 1.
        phash (None | str | Unset):
    """

    animated: bool
    bytes_: int
    format_: str
    frames: int
    has_alpha: bool
    height: int
    md5: str
    mime: str
    mode: str
    sha256: str
    width: int
    blurhash: None | str | Unset = UNSET
    dominant_colors: list[DominantColor] | Unset = UNSET
    duration_ms: int | None | Unset = UNSET
    exif: ExifSummary | Unset = UNSET
    loop: int | None | Unset = UNSET
    orientation: int | Unset = 1
    phash: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        animated = self.animated

        bytes_ = self.bytes_

        format_ = self.format_

        frames = self.frames

        has_alpha = self.has_alpha

        height = self.height

        md5 = self.md5

        mime = self.mime

        mode = self.mode

        sha256 = self.sha256

        width = self.width

        blurhash: None | str | Unset
        if isinstance(self.blurhash, Unset):
            blurhash = UNSET
        else:
            blurhash = self.blurhash

        dominant_colors: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.dominant_colors, Unset):
            dominant_colors = []
            for dominant_colors_item_data in self.dominant_colors:
                dominant_colors_item = dominant_colors_item_data.to_dict()
                dominant_colors.append(dominant_colors_item)

        duration_ms: int | None | Unset
        if isinstance(self.duration_ms, Unset):
            duration_ms = UNSET
        else:
            duration_ms = self.duration_ms

        exif: dict[str, Any] | Unset = UNSET
        if not isinstance(self.exif, Unset):
            exif = self.exif.to_dict()

        loop: int | None | Unset
        if isinstance(self.loop, Unset):
            loop = UNSET
        else:
            loop = self.loop

        orientation = self.orientation

        phash: None | str | Unset
        if isinstance(self.phash, Unset):
            phash = UNSET
        else:
            phash = self.phash

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "animated": animated,
                "bytes": bytes_,
                "format": format_,
                "frames": frames,
                "has_alpha": has_alpha,
                "height": height,
                "md5": md5,
                "mime": mime,
                "mode": mode,
                "sha256": sha256,
                "width": width,
            }
        )
        if blurhash is not UNSET:
            field_dict["blurhash"] = blurhash
        if dominant_colors is not UNSET:
            field_dict["dominant_colors"] = dominant_colors
        if duration_ms is not UNSET:
            field_dict["duration_ms"] = duration_ms
        if exif is not UNSET:
            field_dict["exif"] = exif
        if loop is not UNSET:
            field_dict["loop"] = loop
        if orientation is not UNSET:
            field_dict["orientation"] = orientation
        if phash is not UNSET:
            field_dict["phash"] = phash

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.dominant_color import DominantColor
        from ..models.exif_summary import ExifSummary

        d = dict(src_dict)
        animated = d.pop("animated")

        bytes_ = d.pop("bytes")

        format_ = d.pop("format")

        frames = d.pop("frames")

        has_alpha = d.pop("has_alpha")

        height = d.pop("height")

        md5 = d.pop("md5")

        mime = d.pop("mime")

        mode = d.pop("mode")

        sha256 = d.pop("sha256")

        width = d.pop("width")

        def _parse_blurhash(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        blurhash = _parse_blurhash(d.pop("blurhash", UNSET))

        _dominant_colors = d.pop("dominant_colors", UNSET)
        dominant_colors: list[DominantColor] | Unset = UNSET
        if _dominant_colors is not UNSET:
            dominant_colors = []
            for dominant_colors_item_data in _dominant_colors:
                dominant_colors_item = DominantColor.from_dict(dominant_colors_item_data)

                dominant_colors.append(dominant_colors_item)

        def _parse_duration_ms(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        duration_ms = _parse_duration_ms(d.pop("duration_ms", UNSET))

        _exif = d.pop("exif", UNSET)
        exif: ExifSummary | Unset
        if isinstance(_exif, Unset):
            exif = UNSET
        else:
            exif = ExifSummary.from_dict(_exif)

        def _parse_loop(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        loop = _parse_loop(d.pop("loop", UNSET))

        orientation = d.pop("orientation", UNSET)

        def _parse_phash(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        phash = _parse_phash(d.pop("phash", UNSET))

        analysis = cls(
            animated=animated,
            bytes_=bytes_,
            format_=format_,
            frames=frames,
            has_alpha=has_alpha,
            height=height,
            md5=md5,
            mime=mime,
            mode=mode,
            sha256=sha256,
            width=width,
            blurhash=blurhash,
            dominant_colors=dominant_colors,
            duration_ms=duration_ms,
            exif=exif,
            loop=loop,
            orientation=orientation,
            phash=phash,
        )

        analysis.additional_properties = d
        return analysis

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
