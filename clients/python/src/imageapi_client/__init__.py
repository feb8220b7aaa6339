"""Python SDK for the Serverless Image API (SPEC §7).

``imageapi_client.generated`` is generated from the API's OpenAPI document (openapi-python-client,
`make client`); ``ImageAPI`` is the typed layer over it (uploads streamed from disk, waiting for
ready, paging, problems as ``ApiProblem``); ``imageapi`` is the command line (``imageapi_client.cli``).
"""

from imageapi_client.errors import ApiProblem, ConnectionFailed, FieldError, ImageApiError, StorageError, Timeout
from imageapi_client.sdk import ImageAPI, MissingSetting
from imageapi_client.transport import Backoff, RetryPolicy

__all__ = [
    "ApiProblem",
    "Backoff",
    "ConnectionFailed",
    "FieldError",
    "ImageAPI",
    "ImageApiError",
    "MissingSetting",
    "RetryPolicy",
    "StorageError",
    "Timeout",
]
__version__ = "0.1.0"
