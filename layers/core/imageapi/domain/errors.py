"""Domain errors and their RFC 9457 problem documents.

Handlers never build error bodies by hand: they raise one of these, and the resolver built in
``api.py`` turns it into ``application/problem+json``.
"""

from dataclasses import dataclass, field
from typing import Any

PROBLEM_CONTENT_TYPE = "application/problem+json"
# Problem types are URNs: stable identifiers, listed with their meaning in docs/errors.md.
PROBLEM_TYPE_BASE = "urn:image-api:problem:"


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str


@dataclass
class DomainError(Exception):
    """An error a client can act on. ``detail`` is always safe to show to that client."""

    detail: str
    errors: list[FieldError] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    extensions: dict[str, Any] = field(default_factory=dict)

    status = 500
    slug = "internal"
    title = "Internal error"

    def __post_init__(self) -> None:
        super().__init__(self.detail)

    def to_problem(self) -> dict[str, Any]:
        return {**self.extensions, **problem(self.status, self.title, self.detail, self.slug, self.errors)}


def problem(status: int, title: str, detail: str, slug: str, errors: list[FieldError] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + slug,
        "title": title,
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = [{"field": e.field, "message": e.message} for e in errors]
    return body


class BadRequest(DomainError):
    status, slug, title = 400, "bad-request", "Malformed request"


class Unauthorized(DomainError):
    status, slug, title = 401, "unauthorized", "Missing or invalid token"


class NotFound(DomainError):
    status, slug, title = 404, "not-found", "Not found"


class MethodNotAllowed(DomainError):
    status, slug, title = 405, "method-not-allowed", "Method not allowed"


class Conflict(DomainError):
    status, slug, title = 409, "not-ready", "Image not ready for this operation"


class ImageWasRejected(Conflict):
    slug, title = "image-rejected", "Image was rejected"


class PayloadTooLarge(DomainError):
    status, slug, title = 413, "too-large", "Too large"


class UnsupportedMediaType(DomainError):
    status, slug, title = 415, "unsupported-media-type", "Unsupported media type"


class ValidationFailed(DomainError):
    status, slug, title = 422, "validation-failed", "Validation failed"


class TooManyRequests(DomainError):
    status, slug, title = 429, "too-many-requests", "Too many requests"


class QuotaExceeded(TooManyRequests):
    slug, title = "quota-exceeded", "Quota exceeded"


class SourceRefused(DomainError):
    """A source URL the SSRF guard will not fetch (scheme, credentials, address)."""

    status, slug, title = 400, "source-refused", "Source URL refused"


class SourceFailed(DomainError):
    status, slug, title = 502, "source-failed", "Source URL failed"


class SourceTimeout(DomainError):
    status, slug, title = 504, "source-timeout", "Source URL timed out"


class ImageRejected(Exception):
    """Raised by imaging when bytes are not an acceptable image. Not an HTTP error by itself:
    ingest turns it into a ``rejected`` record with this reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class UrlRefused(DomainError):
    """A webhook endpoint URL the SSRF guard will not send to (scheme, credentials, address)."""

    status, slug, title = 400, "url-refused", "URL refused"


class WebhookDisabled(DomainError):
    status, slug, title = 409, "webhook-disabled", "Webhook endpoint disabled"
