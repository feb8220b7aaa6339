from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.prediction_result_task import PredictionResultTask

if TYPE_CHECKING:
    from ..models.ocr_prediction_out import OcrPredictionOut
    from ..models.orientation_prediction_out import OrientationPredictionOut


T = TypeVar("T", bound="PredictionResult")


@_attrs_define
class PredictionResult:
    """
    Attributes:
        inference_ms (float):
        model (str):
        model_version (str):
        predictions (list[OcrPredictionOut] | list[OrientationPredictionOut]):
        task (PredictionResultTask):
    """

    inference_ms: float
    model: str
    model_version: str
    predictions: list[OcrPredictionOut] | list[OrientationPredictionOut]
    task: PredictionResultTask
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        inference_ms = self.inference_ms

        model = self.model

        model_version = self.model_version

        predictions: list[dict[str, Any]]
        if isinstance(self.predictions, list):
            predictions = []
            for predictions_type_0_item_data in self.predictions:
                predictions_type_0_item = predictions_type_0_item_data.to_dict()
                predictions.append(predictions_type_0_item)

        else:
            predictions = []
            for predictions_type_1_item_data in self.predictions:
                predictions_type_1_item = predictions_type_1_item_data.to_dict()
                predictions.append(predictions_type_1_item)

        task = self.task.value

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "inference_ms": inference_ms,
                "model": model,
                "model_version": model_version,
                "predictions": predictions,
                "task": task,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.ocr_prediction_out import OcrPredictionOut
        from ..models.orientation_prediction_out import OrientationPredictionOut

        d = dict(src_dict)
        inference_ms = d.pop("inference_ms")

        model = d.pop("model")

        model_version = d.pop("model_version")

        def _parse_predictions(data: object) -> list[OcrPredictionOut] | list[OrientationPredictionOut]:
            try:
                if not isinstance(data, list):
                    raise TypeError()
                predictions_type_0 = []
                _predictions_type_0 = data
                for predictions_type_0_item_data in _predictions_type_0:
                    predictions_type_0_item = OcrPredictionOut.from_dict(predictions_type_0_item_data)

                    predictions_type_0.append(predictions_type_0_item)

                return predictions_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not isinstance(data, list):
                raise TypeError()
            predictions_type_1 = []
            _predictions_type_1 = data
            for predictions_type_1_item_data in _predictions_type_1:
                predictions_type_1_item = OrientationPredictionOut.from_dict(predictions_type_1_item_data)

                predictions_type_1.append(predictions_type_1_item)

            return predictions_type_1

        predictions = _parse_predictions(d.pop("predictions"))

        task = PredictionResultTask(d.pop("task"))

        prediction_result = cls(
            inference_ms=inference_ms,
            model=model,
            model_version=model_version,
            predictions=predictions,
            task=task,
        )

        prediction_result.additional_properties = d
        return prediction_result

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
