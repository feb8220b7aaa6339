"""The local AWS endpoint: moto's server app behind the middlewares that add what moto's server
leaves out (S3 POST policies and CORS for browsers: `s3browser`; DynamoDB's per-request atomicity:
`SerialDynamoDB`), served on a background thread.

moto itself delivers S3 ObjectCreated notifications (Put, Post, Copy, multipart) to SQS and
redrives SQS messages to the dead-letter queue (both covered by tests/local), so neither is
reimplemented here; its S3 event lacks some fields of the real one, which `_complete_s3_events` adds.
"""

from __future__ import annotations

import functools
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from .. import ACCESS_KEY_ID, ACCOUNT_ID, REGION
from ..server import BackgroundServer
from .inprocess import WSGIApp
from .s3browser import EndpointClock, S3BrowserMiddleware


def moto_app() -> WSGIApp:
    from moto.server import DomainDispatcherApplication, create_backend_app

    from . import dynamo_fast

    _complete_s3_events()
    _forget_used_shard_iterators()
    _signal_stream_writes()
    _remember_action_names()
    dynamo_fast.install()  # indexed queries, cheap transactions: a real collection stays fast

    class Dispatcher(DomainDispatcherApplication):
        """moto's dispatcher, remembering which backend serves a host: it matched every request's
        host against every service's URL patterns again (about 1 ms a request)."""

        @functools.lru_cache(maxsize=256)  # noqa: B019 - one dispatcher per server, hosts are few
        def get_backend_for_host(self, host: str | None) -> Any:
            return super().get_backend_for_host(host)

    return Dispatcher(create_backend_app)


def _remember_action_names() -> None:
    """moto lists a response class's methods (``inspect.getmembers``) on every request, to check
    that the action exists. Nothing adds methods to those classes at runtime, so each class's
    list is made once and cached."""
    from moto.core import responses

    if not hasattr(responses.method_names_from_class, "cache_info"):
        responses.method_names_from_class = functools.cache(responses.method_names_from_class)


def _complete_s3_events() -> None:
    """Give moto's S3 event records the fields real S3 sends and moto leaves out (userIdentity,
    requestParameters, responseElements, bucket.ownerIdentity, object.sequencer), so a strict
    parser (e.g. Powertools' S3Model) accepts them locally. The object key stays URL-encoded as moto and S3 do."""
    from moto.s3 import notifications

    original = notifications._get_s3_event
    if getattr(original, "_local_completed", False):
        return

    def complete(*args: Any, **kwargs: Any) -> dict[str, Any]:
        event = original(*args, **kwargs)
        for record in event.get("Records", []):
            record.setdefault("userIdentity", {"principalId": f"AWS:{ACCESS_KEY_ID}"})
            record.setdefault("requestParameters", {"sourceIPAddress": "127.0.0.1"})
            record.setdefault(
                "responseElements",
                {"x-amz-request-id": secrets.token_hex(8).upper(), "x-amz-id-2": secrets.token_urlsafe(48)},
            )
            record.get("s3", {}).get("bucket", {}).setdefault("ownerIdentity", {"principalId": "A3LOCALOWNER"})
            obj = record.get("s3", {}).get("object", {})
            obj.setdefault("sequencer", f"{time.time_ns():016X}")
        return event

    complete._local_completed = True  # type: ignore[attr-defined]
    notifications._get_s3_event = complete


def _forget_used_shard_iterators() -> None:
    """moto keeps every shard iterator it ever handed out (each GetRecords makes a new one), so a
    stream poller asking several times a second would grow its memory without end. The local
    pollers never reuse an iterator: moto forgets one once its records were read."""
    from moto.dynamodbstreams.models import DynamoDBStreamsBackend

    original = DynamoDBStreamsBackend.get_records
    if getattr(original, "_local_forgets", False):
        return

    def get_records(self: Any, iterator_arn: str, limit: int) -> dict[str, Any]:
        result = original(self, iterator_arn, limit)
        self.shard_iterators.pop(iterator_arn, None)
        return result

    get_records._local_forgets = True  # type: ignore[attr-defined]
    DynamoDBStreamsBackend.get_records = get_records  # type: ignore[method-assign]


class StreamWrites:
    """Wakes the stream pollers of this process when a DynamoDB stream gets a record, so they wait
    on writes instead of asking GetRecords twenty times a second (which kept an idle `make dev` at
    12% of a core). A poller still looks now and then without a signal (``wait``'s timeout)."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._generation = 0

    @property
    def generation(self) -> int:
        return self._generation

    def notify(self) -> None:
        with self._changed:
            self._generation += 1
            self._changed.notify_all()

    def wait(self, seen: int, timeout: float) -> int:
        """Block until a record newer than generation ``seen`` was written, or ``timeout`` passed;
        answer the generation now."""
        with self._changed:
            self._changed.wait_for(lambda: self._generation != seen, timeout)
            return self._generation


STREAM_WRITES = StreamWrites()


def _signal_stream_writes() -> None:
    from moto.dynamodb.models.table import StreamShard

    original = StreamShard.add
    if getattr(original, "_local_signals", False):
        return

    def add(self: Any, old: Any, new: Any) -> None:
        original(self, old, new)
        STREAM_WRITES.notify()

    add._local_signals = True  # type: ignore[attr-defined]
    StreamShard.add = add  # type: ignore[method-assign]


def _quiet_handler() -> type:
    """moto's request handler, logging only failed requests (the pollers call SQS every second)."""
    from moto.server import MotoRequestHandler

    class QuietHandler(MotoRequestHandler):
        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            if str(code).isdigit() and int(code) >= 400:
                # Presigned URLs carry their signature (and credential) in the query: never log it.
                path = getattr(self, "path", None)
                if path and "?" in path:
                    self.path = path.split("?", 1)[0] + "?[redacted]"
                try:
                    super().log_request(code, size)
                finally:
                    if path is not None:
                        self.path = path

    return QuietHandler


class SerialDynamoDB:
    """DynamoDB applies every request atomically (conditions and transactions included); moto's
    backend does not when requests arrive on concurrent threads, so a conditional write could race
    past its condition. The local endpoint therefore runs DynamoDB requests one at a time.

    Stream reads too: the TTL reaper (ttl.py) deletes an item and then marks the stream record it
    made as the DynamoDB service's, under this lock. A GetRecords between the two read a purge by
    the trash window as a user's delete, and its ``image.purged`` event was lost (one in 670 in a
    fresh-clone run of the events reliability test)."""

    TARGETS = ("DynamoDB_", "DynamoDBStreams_")

    def __init__(self, app: WSGIApp) -> None:
        self.app = app
        self.lock = threading.Lock()  # also held by the TTL reaper (ttl.py)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("HTTP_X_AMZ_TARGET", "").startswith(self.TARGETS):
            with self.lock:
                return list(self.app(environ, start_response))
        return self.app(environ, start_response)


class LocalAwsServer(BackgroundServer):
    """moto's server + S3BrowserMiddleware + SerialDynamoDB, threaded, in a background thread."""

    def __init__(self, host: str = "127.0.0.1", port: int = 5070, credentials: Mapping[str, str] | None = None) -> None:
        if port == 5060:
            raise ValueError("port 5060 is refused by browsers (SIP); use another MOTO_PORT")
        self.clock = EndpointClock()  # expiry checks; tests move it forward instead of waiting
        self.dynamodb = SerialDynamoDB(moto_app())
        app = S3BrowserMiddleware(self.dynamodb, credentials, self.clock)
        super().__init__(app, host, port, name="local-aws", request_handler=_quiet_handler())

    def put_items(self, table: str, items: Iterable[dict[str, Any]]) -> None:
        """Store DynamoDB items (DynamoDB JSON) in ``table`` from this process: moto's own
        ``put_item`` for each, under the DynamoDB lock like any request, without the HTTP round
        trip. For seeding thousands of images in tests and benchmarks: 2,000 images with their
        title index take 1.6 s this way and 9.3 s through BatchWriteItem."""
        from moto.dynamodb.models import dynamodb_backends

        backend = dynamodb_backends[ACCOUNT_ID][REGION]
        with self.dynamodb.lock:
            for item in items:
                backend.put_item(table, item)
