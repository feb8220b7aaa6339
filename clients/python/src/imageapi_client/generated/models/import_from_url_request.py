from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.resize_spec import ResizeSpec


T = TypeVar("T", bound="ImportFromUrlRequest")


@_attrs_define
class ImportFromUrlRequest:
    """Way 2 of SPEC §3.2: the service fetches the image.

    Attributes:
        source_url (str): an http(s) URL the service fetches (public addresses only)
        title (str):
        resize (None | ResizeSpec | Unset):
    """

    source_url: str
    title: str
    resize: None | ResizeSpec | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.resize_spec import ResizeSpec

        source_url = self.source_url

        title = self.title

        resize: dict[str, Any] | None | Unset
        if isinstance(self.resize, Unset):
            resize = UNSET
        elif isinstance(self.resize, ResizeSpec):
            resize = self.resize.to_dict()
        else:
            resize = self.resize

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "source_url": source_url,
                "title": title,
            }
        )
        if resize is not UNSET:
            field_dict["resize"] = resize

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.resize_spec import ResizeSpec

        d = dict(src_dict)
        source_url = d.pop("source_url")

        title = d.pop("title")

        def _parse_resize(data: object) -> None | ResizeSpec | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                resize_type_0 = ResizeSpec.from_dict(data)

                return resize_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | ResizeSpec | Unset, data)

        resize = _parse_resize(d.pop("resize", UNSET))

        import_from_url_request = cls(
            source_url=source_url,
            title=title,
            resize=resize,
        )

        return import_from_url_request
