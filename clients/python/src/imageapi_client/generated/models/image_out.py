from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.image_status import ImageStatus
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.dimensions import Dimensions
    from ..models.embedded_renditions import EmbeddedRenditions
    from ..models.image_links import ImageLinks
    from ..models.srcset_entry import SrcsetEntry


T = TypeVar("T", bound="ImageOut")


@_attrs_define
class ImageOut:
    """The image object of SPEC §3.4.

    Attributes:
        bytes_ (int | None):
        content_type (str):
        created_at (datetime.datetime):
        height (int | None):
        id (str):
        links (ImageLinks):
        original (Dimensions | None):
        sha256 (None | str):
        status (ImageStatus):
        title (str):
        updated_at (datetime.datetime):
        width (int | None):
        deleted_at (datetime.datetime | None | Unset):
        purge_at (datetime.datetime | None | Unset):
        rejection_reason (None | str | Unset):
        renditions (EmbeddedRenditions | None | Unset):
        srcset (list[SrcsetEntry] | None | Unset): ready images behind the renditions CDN: one URL per width of the
            allow-list (GET /health: limits.edge_widths) up to the image's own width, narrowest first; the CDN serves AVIF,
            WebP or JPEG as the request's Accept allows. Use it as `<img srcset>` (`url width + 'w'`) with `sizes`
    """

    bytes_: int | None
    content_type: str
    created_at: datetime.datetime
    height: int | None
    id: str
    links: ImageLinks
    original: Dimensions | None
    sha256: None | str
    status: ImageStatus
    title: str
    updated_at: datetime.datetime
    width: int | None
    deleted_at: datetime.datetime | None | Unset = UNSET
    purge_at: datetime.datetime | None | Unset = UNSET
    rejection_reason: None | str | Unset = UNSET
    renditions: EmbeddedRenditions | None | Unset = UNSET
    srcset: list[SrcsetEntry] | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.dimensions import Dimensions
        from ..models.embedded_renditions import EmbeddedRenditions

        bytes_: int | None
        bytes_ = self.bytes_

        content_type = self.content_type

        created_at = self.created_at.isoformat()

        height: int | None
        height = self.height

        id = self.id

        links = self.links.to_dict()

        original: dict[str, Any] | None
        if isinstance(self.original, Dimensions):
            original = self.original.to_dict()
        else:
            original = self.original

        sha256: None | str
        sha256 = self.sha256

        status = self.status.value

        title = self.title

        updated_at = self.updated_at.isoformat()

        width: int | None
        width = self.width

        deleted_at: None | str | Unset
        if isinstance(self.deleted_at, Unset):
            deleted_at = UNSET
        elif isinstance(self.deleted_at, datetime.datetime):
            deleted_at = self.deleted_at.isoformat()
        else:
            deleted_at = self.deleted_at

        purge_at: None | str | Unset
        if isinstance(self.purge_at, Unset):
            purge_at = UNSET
        elif isinstance(self.purge_at, datetime.datetime):
            purge_at = self.purge_at.isoformat()
        else:
            purge_at = self.purge_at

        rejection_reason: None | str | Unset
        if isinstance(self.rejection_reason, Unset):
            rejection_reason = UNSET
        else:
            rejection_reason = self.rejection_reason

        renditions: dict[str, Any] | None | Unset
        if isinstance(self.renditions, Unset):
            renditions = UNSET
        elif isinstance(self.renditions, EmbeddedRenditions):
            renditions = self.renditions.to_dict()
        else:
            renditions = self.renditions

        srcset: list[dict[str, Any]] | None | Unset
        if isinstance(self.srcset, Unset):
            srcset = UNSET
        elif isinstance(self.srcset, list):
            srcset = []
            for srcset_type_0_item_data in self.srcset:
                srcset_type_0_item = srcset_type_0_item_data.to_dict()
                srcset.append(srcset_type_0_item)

        else:
            srcset = self.srcset

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "bytes": bytes_,
                "content_type": content_type,
                "created_at": created_at,
                "height": height,
                "id": id,
                "links": links,
                "original": original,
                "sha256": sha256,
                "status": status,
                "title": title,
                "updated_at": updated_at,
                "width": width,
            }
        )
        if deleted_at is not UNSET:
            field_dict["deleted_at"] = deleted_at
        if purge_at is not UNSET:
            field_dict["purge_at"] = purge_at
        if rejection_reason is not UNSET:
            field_dict["rejection_reason"] = rejection_reason
        if renditions is not UNSET:
            field_dict["renditions"] = renditions
        if srcset is not UNSET:
            field_dict["srcset"] = srcset

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.dimensions import Dimensions
        from ..models.embedded_renditions import EmbeddedRenditions
        from ..models.image_links import ImageLinks
        from ..models.srcset_entry import SrcsetEntry

        d = dict(src_dict)

        def _parse_bytes_(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        bytes_ = _parse_bytes_(d.pop("bytes"))

        content_type = d.pop("content_type")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        def _parse_height(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        height = _parse_height(d.pop("height"))

        id = d.pop("id")

        links = ImageLinks.from_dict(d.pop("links"))

        def _parse_original(data: object) -> Dimensions | None:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                original_type_0 = Dimensions.from_dict(data)

                return original_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(Dimensions | None, data)

        original = _parse_original(d.pop("original"))

        def _parse_sha256(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        sha256 = _parse_sha256(d.pop("sha256"))

        status = ImageStatus(d.pop("status"))

        title = d.pop("title")

        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))

        def _parse_width(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        width = _parse_width(d.pop("width"))

        def _parse_deleted_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                deleted_at_type_0 = datetime.datetime.fromisoformat(data)

                return deleted_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        deleted_at = _parse_deleted_at(d.pop("deleted_at", UNSET))

        def _parse_purge_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                purge_at_type_0 = datetime.datetime.fromisoformat(data)

                return purge_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        purge_at = _parse_purge_at(d.pop("purge_at", UNSET))

        def _parse_rejection_reason(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        rejection_reason = _parse_rejection_reason(d.pop("rejection_reason", UNSET))

        def _parse_renditions(data: object) -> EmbeddedRenditions | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                renditions_type_0 = EmbeddedRenditions.from_dict(data)

                return renditions_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(EmbeddedRenditions | None | Unset, data)

        renditions = _parse_renditions(d.pop("renditions", UNSET))

        def _parse_srcset(data: object) -> list[SrcsetEntry] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                srcset_type_0 = []
                _srcset_type_0 = data
                for srcset_type_0_item_data in _srcset_type_0:
                    srcset_type_0_item = SrcsetEntry.from_dict(srcset_type_0_item_data)

                    srcset_type_0.append(srcset_type_0_item)

                return srcset_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[SrcsetEntry] | None | Unset, data)

        srcset = _parse_srcset(d.pop("srcset", UNSET))

        image_out = cls(
            bytes_=bytes_,
            content_type=content_type,
            created_at=created_at,
            height=height,
            id=id,
            links=links,
            original=original,
            sha256=sha256,
            status=status,
            title=title,
            updated_at=updated_at,
            width=width,
            deleted_at=deleted_at,
            purge_at=purge_at,
            rejection_reason=rejection_reason,
            renditions=renditions,
            srcset=srcset,
        )

        image_out.additional_properties = d
        return image_out

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
