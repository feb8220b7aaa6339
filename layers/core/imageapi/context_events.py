"""The wiring of lifecycle events and webhooks (issue 19), beside ``context`` (which it extends;
split off by the 300-line cap): the EventBridge publisher, the webhook use cases and the delivery
dispatcher, with the clients under them, built lazily and once per container. ``context.rebuild()``
forgets them too (``forget``)."""

from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any

from imageapi.context import _boto_config, _traced, cursor_codec, dynamodb_client
from imageapi.settings import get_settings

if TYPE_CHECKING:  # boto3 stubs are not needed at run time
    from mypy_boto3_events import EventBridgeClient
    from mypy_boto3_kms import KMSClient
    from mypy_boto3_sqs import SQSClient

    from imageapi.adapters.eventbridge import EventBridgePublisher
    from imageapi.adapters.webhooks.sender import GuardedSender
    from imageapi.domain.webhooks.dispatch import Dispatcher
    from imageapi.domain.webhooks.service import WebhookService


@cache
def _client(service: str) -> Any:
    _traced()
    import boto3

    return boto3.client(service, config=_boto_config())  # type: ignore[call-overload]


def events_client() -> "EventBridgeClient":
    return _client("events")


def sqs_client() -> "SQSClient":
    return _client("sqs")


def kms_client() -> "KMSClient":
    return _client("kms")


@cache
def event_publisher() -> "EventBridgePublisher":
    from imageapi.adapters.eventbridge import EventBridgePublisher

    return EventBridgePublisher(events_client(), get_settings().event_bus_name)


@cache
def webhook_sender() -> "GuardedSender":
    from imageapi.adapters.webhooks.sender import GuardedSender

    settings = get_settings()
    origins = frozenset(o.strip().rstrip("/") for o in settings.webhook_allowed_origins.split(",") if o.strip())
    return GuardedSender(
        timeout_s=settings.webhook_timeout_seconds,
        allow_http=settings.webhook_allow_http,
        allow_private=settings.import_allow_private_networks,
        allowed_origins=origins,
    )


@cache
def _webhook_parts() -> dict[str, Any]:
    from imageapi.adapters.dynamodb.deliveries import DynamoDeliveries
    from imageapi.adapters.dynamodb.webhooks import DynamoEndpoints
    from imageapi.adapters.webhooks.queue import SqsTaskQueue
    from imageapi.adapters.webhooks.secrets import KmsSecretBox

    settings = get_settings()
    return {
        "endpoints": DynamoEndpoints(dynamodb_client(), settings.table_name),
        "deliveries": DynamoDeliveries(
            dynamodb_client(),
            settings.table_name,
            cursor_codec(),  # its key is read on the first page of the delivery log (the management function)
            settings.webhook_delivery_retention_days,
        ),
        "secrets": KmsSecretBox(kms_client(), settings.webhook_key_alias),
        "queue": SqsTaskQueue(sqs_client(), settings.delivery_queue_url, settings.delivery_dead_letter_queue_url),
    }


@cache
def webhook_service() -> "WebhookService":
    from imageapi.adapters.dynamodb.ratelimit import DynamoRateCounter
    from imageapi.domain.ratelimit import WEBHOOKS, RateLimiter, RateLimits
    from imageapi.domain.webhooks.service import WebhookService

    settings = get_settings()
    limits = RateLimits(
        window_seconds=settings.rate_limit_window_seconds, per_route={WEBHOOKS: settings.rate_limit_webhooks}
    )
    limiter = RateLimiter(DynamoRateCounter(dynamodb_client(), settings.table_name), limits)
    sender = webhook_sender()
    return WebhookService(**_webhook_parts(), check_url=sender.check_registration, settings=settings, limiter=limiter)


@cache
def dispatcher() -> "Dispatcher":
    from imageapi.domain.webhooks.dispatch import Dispatcher

    return Dispatcher(**_webhook_parts(), send=webhook_sender())


def forget() -> None:
    forgets: list[Callable[[], None]] = [_client.cache_clear, event_publisher.cache_clear, webhook_sender.cache_clear]
    forgets += [_webhook_parts.cache_clear, webhook_service.cache_clear, dispatcher.cache_clear]
    for clear in forgets:
        clear()
