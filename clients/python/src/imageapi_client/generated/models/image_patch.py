from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..models.fit import Fit
from ..types import UNSET, Unset

T = TypeVar("T", bound="ImagePatch")


@_attrs_define
class ImagePatch:
    """PATCH /images/{id}: a new title and/or a new served size (re-rendered from the original).

    Attributes:
        fit (Fit | None | Unset):
        height (int | None | Unset):
        title (None | str | Unset):
        width (int | None | Unset):
    """

    fit: Fit | None | Unset = UNSET
    height: int | None | Unset = UNSET
    title: None | str | Unset = UNSET
    width: int | None | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        fit: None | str | Unset
        if isinstance(self.fit, Unset):
            fit = UNSET
        elif isinstance(self.fit, Fit):
            fit = self.fit.value
        else:
            fit = self.fit

        height: int | None | Unset
        if isinstance(self.height, Unset):
            height = UNSET
        else:
            height = self.height

        title: None | str | Unset
        if isinstance(self.title, Unset):
            title = UNSET
        else:
            title = self.title

        width: int | None | Unset
        if isinstance(self.width, Unset):
            width = UNSET
        else:
            width = self.width

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if fit is not UNSET:
            field_dict["fit"] = fit
        if height is not UNSET:
            field_dict["height"] = height
        if title is not UNSET:
            field_dict["title"] = title
        if width is not UNSET:
            field_dict["width"] = width

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)

        def _parse_fit(data: object) -> Fit | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                fit_type_0 = Fit(data)

                return fit_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(Fit | None | Unset, data)

        fit = _parse_fit(d.pop("fit", UNSET))

        def _parse_height(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        height = _parse_height(d.pop("height", UNSET))

        def _parse_title(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        title = _parse_title(d.pop("title", UNSET))

        def _parse_width(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        width = _parse_width(d.pop("width", UNSET))

        image_patch = cls(
            fit=fit,
            height=height,
            title=title,
            width=width,
        )

        return image_patch
