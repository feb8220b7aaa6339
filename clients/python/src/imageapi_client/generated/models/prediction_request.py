from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

from ..models.prediction_request_task import PredictionRequestTask
from ..types import UNSET, Unset

T = TypeVar("T", bound="PredictionRequest")


@_attrs_define
class PredictionRequest:
    """
    Attributes:
        task (PredictionRequestTask | Unset):  Default: PredictionRequestTask.OCR.
    """

    task: PredictionRequestTask | Unset = PredictionRequestTask.OCR

    def to_dict(self) -> dict[str, Any]:
        task: str | Unset = UNSET
        if not isinstance(self.task, Unset):
            task = self.task.value

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if task is not UNSET:
            field_dict["task"] = task

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        _task = d.pop("task", UNSET)
        task: PredictionRequestTask | Unset
        if isinstance(_task, Unset):
            task = UNSET
        else:
            task = PredictionRequestTask(_task)

        prediction_request = cls(
            task=task,
        )

        return prediction_request
