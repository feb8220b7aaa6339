from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..models.create_upload_request_content_type import CreateUploadRequestContentType
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.resize_spec import ResizeSpec


T = TypeVar("T", bound="CreateUploadRequest")


@_attrs_define
class CreateUploadRequest:
    """Way 1 of SPEC §3.2: ask for a presigned POST form.

    Attributes:
        content_type (CreateUploadRequestContentType): the file's MIME type: one of the accepted formats (otherwise 415)
        size (int): Exact or maximum size in bytes of the file to upload (at most the deployment's
            limits.max_upload_bytes of GET /health; default shown)
        title (str):
        resize (None | ResizeSpec | Unset):
        sha256 (None | str | Unset):
    """

    content_type: CreateUploadRequestContentType
    size: int
    title: str
    resize: None | ResizeSpec | Unset = UNSET
    sha256: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.resize_spec import ResizeSpec

        content_type = self.content_type.value

        size = self.size

        title = self.title

        resize: dict[str, Any] | None | Unset
        if isinstance(self.resize, Unset):
            resize = UNSET
        elif isinstance(self.resize, ResizeSpec):
            resize = self.resize.to_dict()
        else:
            resize = self.resize

        sha256: None | str | Unset
        if isinstance(self.sha256, Unset):
            sha256 = UNSET
        else:
            sha256 = self.sha256

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "content_type": content_type,
                "size": size,
                "title": title,
            }
        )
        if resize is not UNSET:
            field_dict["resize"] = resize
        if sha256 is not UNSET:
            field_dict["sha256"] = sha256

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.resize_spec import ResizeSpec

        d = dict(src_dict)
        content_type = CreateUploadRequestContentType(d.pop("content_type"))

        size = d.pop("size")

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

        def _parse_sha256(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        sha256 = _parse_sha256(d.pop("sha256", UNSET))

        create_upload_request = cls(
            content_type=content_type,
            size=size,
            title=title,
            resize=resize,
            sha256=sha256,
        )

        return create_upload_request
