from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.orientation_prediction_out_angle import OrientationPredictionOutAngle

T = TypeVar("T", bound="OrientationPredictionOut")


@_attrs_define
class OrientationPredictionOut:
    """
    Attributes:
        angle (OrientationPredictionOutAngle): clockwise rotation of the content from upright
        confidence (float):
    """

    angle: OrientationPredictionOutAngle
    confidence: float
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        angle = self.angle.value

        confidence = self.confidence

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "angle": angle,
                "confidence": confidence,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        angle = OrientationPredictionOutAngle(d.pop("angle"))

        confidence = d.pop("confidence")

        orientation_prediction_out = cls(
            angle=angle,
            confidence=confidence,
        )

        orientation_prediction_out.additional_properties = d
        return orientation_prediction_out

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
