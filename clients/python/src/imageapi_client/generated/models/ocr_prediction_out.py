from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="OcrPredictionOut")


@_attrs_define
class OcrPredictionOut:
    """
    Attributes:
        box (list[int]): [x, y, w, h] in the image's pixels
        confidence (float):
        text (str):
    """

    box: list[int]
    confidence: float
    text: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        box = self.box

        confidence = self.confidence

        text = self.text

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "box": box,
                "confidence": confidence,
                "text": text,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        box = cast(list[int], d.pop("box"))

        confidence = d.pop("confidence")

        text = d.pop("text")

        ocr_prediction_out = cls(
            box=box,
            confidence=confidence,
            text=text,
        )

        ocr_prediction_out.additional_properties = d
        return ocr_prediction_out

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
