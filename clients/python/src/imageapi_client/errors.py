"""The SDK's exceptions. Every error answer of the API is an RFC 9457 problem document and is raised
as one type, :class:`ApiProblem`; what never reached the API (or the storage) has types of its own."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Protocol

import httpx


class ResponseLike(Protocol):
    """What a problem is read from: an httpx.Response or the generated client's Response."""

    @property
    def status_code(self) -> int: ...
    @property
    def content(self) -> bytes: ...
    @property
    def headers(self) -> Any: ...


class ImageApiError(Exception):
    """Base of everything the SDK raises on purpose."""

    def one_line(self) -> str:
        """The error as one line for a person (the CLI prints exactly this)."""
        return str(self)


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str


@dataclass
class ApiProblem(ImageApiError):
    """An error answer of the API (RFC 9457, docs/errors.md): ``type`` is a URN such as
    ``urn:image-api:problem:not-found``, ``errors`` lists the fields of a validation failure."""

    status: int
    title: str
    detail: str
    type: str = "about:blank"
    errors: list[FieldError] = field(default_factory=list)
    rejection_reason: str | None = None
    retry_after: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(self.one_line())

    def one_line(self) -> str:
        detail = " ".join(self.detail.split())
        return f"{self.title}: {detail}" if detail and detail != self.title else self.title

    def __str__(self) -> str:
        return self.one_line()

    @classmethod
    def from_response(cls, response: ResponseLike) -> ApiProblem:
        """The problem a response carries; an answer that is no problem document (a gateway's
        ``{"message": ...}``, an HTML page) still becomes one, from its status and text."""
        try:
            body = json.loads(response.content) if response.content else {}
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            body = {}
        status = response.status_code
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = f"HTTP {status}"
        title = str(body.get("title") or phrase)
        detail = body.get("detail") or body.get("message") or ""
        text = response.content.decode("utf-8", "replace").strip()
        if not detail and not body and text:
            detail = text.splitlines()[0][:200]
        errors = [
            FieldError(str(e.get("field", "")), str(e.get("message", "")))
            for e in body.get("errors") or []
            if isinstance(e, dict)
        ]
        known = {"type", "title", "status", "detail", "errors", "rejection_reason", "message"}
        return cls(
            status=int(body.get("status") or status),
            title=title,
            detail=str(detail),
            type=str(body.get("type") or "about:blank"),
            errors=errors,
            rejection_reason=body.get("rejection_reason"),
            retry_after=_retry_after(response),
            extra={k: v for k, v in body.items() if k not in known},
        )


def _retry_after(response: ResponseLike) -> float | None:
    value = response.headers.get("retry-after")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


class ConnectionFailed(ImageApiError):
    """The request never got an answer: the host is unreachable, refused, reset or timed out."""

    def __init__(self, url: str, cause: BaseException) -> None:
        self.url = url
        self.cause = cause
        super().__init__(f"cannot reach {url}: {describe_transport_error(cause)}")


class StorageError(ImageApiError):
    """The presigned POST to the storage (S3) was refused; S3 answers XML, not a problem document."""

    def __init__(self, status: int, code: str, message: str) -> None:
        self.status = status
        self.code = code
        self.message = message
        super().__init__(f"storage refused the upload ({status} {code}): {message}")


class Timeout(ImageApiError):
    """Waiting for an image ran past its deadline."""


def describe_transport_error(error: BaseException) -> str:
    """httpx's transport errors say little on their own ("[Errno 111] Connection refused" at best)."""
    text = str(error).strip() or type(error).__name__
    if isinstance(error, httpx.ConnectTimeout | httpx.ReadTimeout | httpx.WriteTimeout | httpx.PoolTimeout):
        return f"timed out ({text})"
    if "refused" in text.lower():
        return "connection refused"
    return text.splitlines()[0]
