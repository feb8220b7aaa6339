"""One place that builds the Powertools HTTP resolver the same way for every function:
validation on, RFC 9457 problems for every error (Powertools' own 422s included), CORS,
security headers, correlation ids, logger/tracer/metrics."""

import base64
import json
import os
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import TYPE_CHECKING, Any, TypeVar, cast

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler.api_gateway import APIGatewayHttpResolver, CORSConfig, Response
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
    ResponseValidationError,
)

# Handlers take Powertools' parameter markers from here, after imageapi.http deferred the package.
from aws_lambda_powertools.event_handler.openapi.params import Body as Body
from aws_lambda_powertools.event_handler.openapi.params import Query as Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ValidationError

from imageapi.domain.errors import (
    PROBLEM_CONTENT_TYPE,
    BadRequest,
    DomainError,
    FieldError,
    Unauthorized,
    ValidationFailed,
    problem,
)
from imageapi.settings import get_settings

if TYPE_CHECKING:
    from aws_lambda_powertools.tracing.base import BaseProvider


class _NoTracing:
    """The tracer's provider when tracing is off (POWERTOOLS_TRACE_DISABLED, or outside Lambda).

    Powertools' Tracer imports the X-Ray SDK, and botocore with it, only to build its provider;
    a disabled tracer never uses it beyond no-op subsegments. Skipping that import takes about
    0.2 s off every cold start where tracing is off. With tracing on nothing changes."""

    @contextmanager
    def in_subsegment(self, name: str | None = None, **kwargs: Any) -> Iterator["_NoTracing"]:
        yield self

    @asynccontextmanager
    async def in_subsegment_async(self, name: str | None = None, **kwargs: Any) -> AsyncIterator["_NoTracing"]:
        yield self

    def __getattr__(self, name: str) -> Callable[..., None]:
        return lambda *args, **kwargs: None  # put_annotation, put_metadata, add_exception, patch...


TRACED_MODULES = ("botocore",)


def _tracer() -> Tracer:
    # A duck-typed stand-in for Powertools' BaseProvider (see _NoTracing).
    if Tracer._is_tracer_disabled():
        return Tracer(provider=cast("BaseProvider", _NoTracing()))
    # Patch only what we call through (boto3), and not here: ``imageapi.context`` patches it
    # right before it builds the first client (see ``_traced``). Patching everything the X-Ray SDK
    # knows imports each such library that happens to be installed (requests, sqlite3, ...).
    return Tracer(auto_patch=False)


logger = Logger()
tracer = _tracer()
metrics = Metrics()

M = TypeVar("M", bound=BaseModel)

TOO_DEEP = "request body is nested too deeply"
SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"}


def problem_response(body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    return Response(
        status_code=body["status"],
        content_type=PROBLEM_CONTENT_TYPE,
        body=json.dumps(body),
        headers={**SECURITY_HEADERS, **(headers or {})},
    )


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    """A JSON response with a status other than 200; Powertools validates and serialises ``body``."""
    return Response(
        status_code=status,
        content_type="application/json",
        body=body,
        headers={**SECURITY_HEADERS, **(headers or {})},
    )


def _field_name(location: tuple[Any, ...]) -> str:
    # Powertools reports ("body", "resize", "width") or ("query", "limit"); clients want the field.
    parts = [str(p) for p in location if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def _validation_problem(error: RequestValidationError) -> Response:
    errors = list(error.errors())
    if any(e.get("type") == "json_invalid" for e in errors):
        return problem_response(problem(400, "Malformed request", "request body is not valid JSON", "bad-request"))
    fields = [
        FieldError(field=_field_name(tuple(e.get("loc", ()))), message=str(e.get("msg", "invalid"))) for e in errors
    ]
    detail = "; ".join(f"{f.field}: {f.message}" for f in fields)
    return problem_response(problem(422, "Validation failed", detail, "validation-failed", fields))


def _security_headers(app: APIGatewayHttpResolver, next_middleware: NextMiddleware) -> Response:
    response = next_middleware(app)
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def build_resolver() -> APIGatewayHttpResolver:
    origins = get_settings().cors_origins or ["*"]
    cors = CORSConfig(
        allow_origin=origins[0],
        extra_origins=origins[1:],
        allow_headers=["Authorization", "Content-Type"],
        expose_headers=["Location"],
        max_age=600,
    )
    app = APIGatewayHttpResolver(cors=cors, enable_validation=True, response_validation_error_http_code=500)
    app.use(middlewares=[_security_headers])

    @app.exception_handler(DomainError)
    def _domain_error(error: DomainError) -> Response:
        if error.status >= 500:
            logger.warning("upstream failure", extra={"problem": error.slug, "detail": error.detail})
        return problem_response(error.to_problem(), error.headers)

    @app.exception_handler(RequestValidationError)
    def _request_invalid(error: RequestValidationError) -> Response:
        return _validation_problem(error)

    @app.exception_handler(RequestUnsupportedContentType)
    def _body_type_unsupported(_: RequestUnsupportedContentType) -> Response:
        detail = f"content type {media_type(app)!r} is not accepted here; send application/json"
        return problem_response(problem(415, "Unsupported media type", detail, "unsupported-media-type"))

    @app.exception_handler(ValueError)
    def _body_unreadable(error: ValueError) -> Response:
        # Powertools' body parsing (validation of routes with a body model) raises a bare
        # ValueError for a multipart body without a boundary, and UnicodeDecodeError for a body
        # that is not UTF-8: bad input, not our bug.
        if media_type(app) == "multipart/form-data" and "boundary" in str(error).lower():
            detail = "multipart body without a boundary"
        elif isinstance(error, UnicodeDecodeError) and not _is_utf8(raw_body(app)):
            detail = "request body is not valid UTF-8"
        else:
            raise error  # anything else is ours: it stays a 500
        return problem_response(problem(400, "Malformed request", detail, "bad-request"))

    @app.exception_handler(RecursionError)
    def _body_too_deep(error: RecursionError) -> Response:
        # json.loads (in Powertools' body validation) recurses once per nesting level.
        if media_type(app) in ("application/json", "") and raw_body(app):
            return problem_response(problem(400, "Malformed request", TOO_DEEP, "bad-request"))
        raise error

    @app.exception_handler(ResponseValidationError)
    def _response_invalid(error: ResponseValidationError) -> Response:
        # Our bug, not the client's: log it and answer a plain 500 problem without internals.
        logger.error("response failed validation", extra={"errors": str(error.errors())[:2000]})
        return problem_response(problem(500, "Internal error", "the service failed to build a response", "internal"))

    @app.not_found
    def _not_found(_: Exception) -> Response:
        return problem_response(problem(404, "Not found", "no such route", "not-found"))

    return app


def raw_body(app: APIGatewayHttpResolver) -> bytes:
    """The request body as bytes; API Gateway base64-encodes binary bodies."""
    event = app.current_event
    if not event.body:
        return b""
    if event.is_base64_encoded:
        return base64.b64decode(event.body)
    return event.body.encode("utf-8")


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def parse_json_body(app: APIGatewayHttpResolver) -> Any:
    try:
        return json.loads(raw_body(app) or b"null")
    except (ValueError, UnicodeDecodeError) as error:
        raise BadRequest("request body is not valid JSON") from error
    except RecursionError as error:
        raise BadRequest(TOO_DEEP) from error


def validate(model: type[M], data: Any) -> M:
    """Validate ``data`` against ``model`` with the same 422 problem Powertools' validation gives."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        fields = [FieldError(field=_field_name(tuple(e["loc"])), message=e["msg"]) for e in error.errors()]
        raise ValidationFailed("; ".join(f"{f.field}: {f.message}" for f in fields), errors=fields) from error


def media_type(app: APIGatewayHttpResolver) -> str:
    header = app.current_event.headers.get("content-type") or ""
    return header.split(";", 1)[0].strip().lower()


def current_owner(app: APIGatewayHttpResolver) -> str:
    """The JWT ``sub`` that API Gateway's authorizer verified; every query is scoped by it."""
    claims = (app.current_event.request_context.authorizer.jwt_claim or {}) if app.current_event else {}
    owner = claims.get("sub")
    if not owner and app.current_event and os.environ.get("AWS_SAM_LOCAL") == "true":
        owner = sam_local_bearer_subject(app.current_event.headers.get("authorization"))
    if not owner:
        raise Unauthorized("a bearer token with a subject is required")
    return str(owner)


def sam_local_bearer_subject(authorization: str | None) -> str | None:
    """`sub` of the bearer token, read WITHOUT verifying it: only under `sam local` (the SAM CLI
    sets AWS_SAM_LOCAL=true in its containers; Lambda never does), which runs no JWT authorizer.
    `make sam-dev`'s front door verifies the token's signature before a request gets here."""
    scheme, _, token = (authorization or "").partition(" ")
    parts = token.strip().split(".")
    if scheme.lower() != "bearer" or len(parts) != 3:
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except ValueError:
        return None
    sub = payload.get("sub") if isinstance(payload, dict) else None
    return sub if isinstance(sub, str) and sub else None


def lambda_entry(app: APIGatewayHttpResolver) -> Callable[[dict, LambdaContext], dict]:
    """The Lambda handler for a resolver, with Powertools' logging, tracing and metrics."""

    # log_event=False whatever POWERTOOLS_LOGGER_LOG_EVENT says: the event holds the bearer token.
    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, log_event=False)
    @tracer.capture_lambda_handler
    @metrics.log_metrics
    def handler(event: dict, context: LambdaContext) -> dict:
        return app.resolve(event, context)

    return handler
