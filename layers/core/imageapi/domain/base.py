"""The base of the domain's pydantic models.

``defer_build``: pydantic builds a model's validator and serializer the first time the model is
used instead of when its class is defined, so a cold start builds only the models its request
touches (about 5 % of a handler's init; docs/performance.md, cold start)."""

from pydantic import BaseModel, ConfigDict


class Model(BaseModel):
    model_config = ConfigDict(defer_build=True)
