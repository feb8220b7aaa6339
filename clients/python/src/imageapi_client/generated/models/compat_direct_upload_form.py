from __future__ import annotations

from collections.abc import Mapping
from io import BytesIO
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

from .. import types
from ..models.fit import Fit
from ..types import UNSET, File, Unset

T = TypeVar("T", bound="CompatDirectUploadForm")


@_attrs_define
class CompatDirectUploadForm:
    """
    Attributes:
        file (File): the image, up to 4 MiB
        fit (Fit | Unset):
        height (int | Unset):
        title (str | Unset): empty or absent: the file name
        width (int | Unset):
    """

    file: File
    fit: Fit | Unset = UNSET
    height: int | Unset = UNSET
    title: str | Unset = UNSET
    width: int | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        file = self.file.to_tuple()

        fit: str | Unset = UNSET
        if not isinstance(self.fit, Unset):
            fit = self.fit.value

        height = self.height

        title = self.title

        width = self.width

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "file": file,
            }
        )
        if fit is not UNSET:
            field_dict["fit"] = fit
        if height is not UNSET:
            field_dict["height"] = height
        if title is not UNSET:
            field_dict["title"] = title
        if width is not UNSET:
            field_dict["width"] = width

        return field_dict

    def to_multipart(self) -> types.RequestFiles:
        files: types.RequestFiles = []

        files.append(("file", self.file.to_tuple()))

        if not isinstance(self.fit, Unset):
            files.append(("fit", (None, str(self.fit.value).encode(), "text/plain")))

        if not isinstance(self.height, Unset):
            files.append(("height", (None, str(self.height).encode(), "text/plain")))

        if not isinstance(self.title, Unset):
            files.append(("title", (None, str(self.title).encode(), "text/plain")))

        if not isinstance(self.width, Unset):
            files.append(("width", (None, str(self.width).encode(), "text/plain")))

        return files

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        file = File(payload=BytesIO(d.pop("file")))

        _fit = d.pop("fit", UNSET)
        fit: Fit | Unset
        if isinstance(_fit, Unset):
            fit = UNSET
        else:
            fit = Fit(_fit)

        height = d.pop("height", UNSET)

        title = d.pop("title", UNSET)

        width = d.pop("width", UNSET)

        compat_direct_upload_form = cls(
            file=file,
            fit=fit,
            height=height,
            title=title,
            width=width,
        )

        return compat_direct_upload_form
