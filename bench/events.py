"""9. Events and webhooks (issue 19) on the local stack.

- Latency from the DynamoDB write to the receiver's 2xx: an image is renamed (``PATCH``: one
  conditional ``UpdateItem`` that sets the event) 200 times, one at a time; each ``image.updated``
  event carries the write's time (``timestamp``), and the receiver notes when the delivery arrived
  and answers 200 at once. Through the whole local path: the stream read as Lambda reads it, the
  publisher, moto's EventBridge, the delivery queue, the delivery function, HTTP. Goal p50 <= 300 ms.
- Deliveries per second of one delivery function: 500 deliveries queued for one endpoint, the
  delivery handler invoked on batches of 10 (as its event source does: one invocation at a time,
  the ten deliveries of a batch side by side) against a receiver on 127.0.0.1 that answers 200.
"""

from __future__ import annotations

import json
import logging
import os
import statistics
import sys
import threading
import time
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from bench.common import ROOT, Row

GOAL_P50_MS = 300.0


class _Receiver:
    def __init__(self) -> None:
        self.arrivals: list[tuple[float, dict[str, Any]]] = []
        self.count = 0
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                arrived = time.time()
                with receiver.lock:
                    receiver.count += 1
                    receiver.arrivals.append((arrived, json.loads(body)))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/hooks"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _wait(condition: Any, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the event did not arrive in time")
        time.sleep(0.002)


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def run(events: int = 200, deliveries: int = 500) -> tuple[list[Row], dict[str, Any]]:
    sys.path.insert(0, str(ROOT))
    import requests

    from local.stack import LocalStack

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    os.environ["IMPORT_ALLOW_PRIVATE_NETWORKS"] = "true"  # the receiver listens on 127.0.0.1
    overrides = {"RateLimitWebhooks": "0", "RateLimitDirectUploads": "0"}
    receiver = _Receiver()
    rows: list[Row] = []
    details: dict[str, Any] = {}
    try:
        with LocalStack(state_dir=ROOT / "bench" / ".work" / "events", parameter_overrides=overrides) as stack:
            api = requests.Session()
            api.headers["Authorization"] = f"Bearer {stack.token('bench-events')}"
            hook = api.post(f"{stack.api_url}/webhooks", json={"url": receiver.url, "events": ["image.updated"]})
            hook.raise_for_status()
            import io

            from PIL import Image

            buffer = io.BytesIO()
            Image.new("RGB", (64, 48), (20, 120, 200)).save(buffer, "JPEG")
            image = api.post(
                f"{stack.api_url}/images", params={"title": "bench"}, data=buffer.getvalue(),
                headers={"Content-Type": "image/jpeg"},
            ).json()  # fmt: skip
            _wait(lambda: api.get(f"{stack.api_url}/images/{image['id']}").json()["status"] != "pending", 30)
            latencies = []
            for n in range(events):
                seen = receiver.count
                api.patch(f"{stack.api_url}/images/{image['id']}", json={"title": f"bench {n}"}).raise_for_status()
                _wait(lambda seen=seen: receiver.count > seen, 30)
                arrived, event = receiver.arrivals[-1]
                written = datetime.fromisoformat(event["timestamp"]).timestamp()
                latencies.append((arrived - written) * 1000)
            p50, p95 = _pct(latencies, 0.5), _pct(latencies, 0.95)
            details["write_to_2xx_ms"] = [round(v, 1) for v in latencies]
            rows.append(
                Row("11 events", f"DynamoDB write -> receiver 2xx, p50 ({events} events)", round(p50, 1), "ms",
                    f"<= {GOAL_P50_MS:g}", p50 <= GOAL_P50_MS)
            )  # fmt: skip
            rows.append(
                Row(
                    "11 events", f"DynamoDB write -> receiver 2xx, p95 ({events} events)", round(p95, 1), "ms", "report"
                )
            )
            rows.append(
                Row("11 events", "... mean / max", f"{statistics.mean(latencies):.1f} / {max(latencies):.1f}", "ms")
            )
            rows += _throughput(stack, receiver, deliveries, details)
    finally:
        receiver.close()
    return rows, details


def _throughput(stack: Any, receiver: _Receiver, deliveries: int, details: dict[str, Any]) -> list[Row]:
    """One delivery function (the stack's pollers stopped: the bench is its event source)."""
    from datetime import UTC

    from imageapi.context_events import dispatcher
    from imageapi.domain.events import webhook_test_event
    from local.aws import client
    from local.runtime.handlers import HandlerRegistry, LambdaContext
    from local.runtime.poller import sqs_record

    for poller in stack._pollers:
        poller.stop()
    sqs = client("sqs", stack.aws_url)
    queue_url = stack.template.queue_url("DeliveryQueue")
    queue_arn = stack.template.queue_arn("DeliveryQueue")
    owner = "bench-events"
    before = receiver.count
    for n in range(deliveries):  # what the rule would deliver: one event each
        event = webhook_test_event(f"evt_bench_{n:05d}", owner, datetime.now(UTC))
        body = json.loads(event.body())
        body["type"] = "image.updated"
        sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps({"detail": body}))
    fn = stack.template.functions["WebhookDeliveryFunction"]
    handlers = HandlerRegistry()
    dispatcher()  # built before timing, as a warm container has it
    started = time.perf_counter()
    while receiver.count - before < deliveries and time.perf_counter() - started < 300:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get(
            "Messages", []
        )
        if not messages:
            continue
        result = handlers.get(fn)({"Records": [sqs_record(m, queue_arn) for m in messages]}, LambdaContext(fn))
        kept = {f["itemIdentifier"] for f in result["batchItemFailures"]}
        done = [m for m in messages if m["MessageId"] not in kept]
        if done:
            sqs.delete_message_batch(
                QueueUrl=queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
            )
    elapsed = time.perf_counter() - started
    delivered = receiver.count - before
    rate = delivered / elapsed
    details["throughput"] = {"deliveries": delivered, "seconds": round(elapsed, 2)}
    figure = f"deliveries per second, one delivery function ({delivered} to a local receiver)"
    note = "fan-out and attempt included: each event is fanned out, then its task attempted"
    return [Row("11 events", figure, round(rate, 1), "/s", "report", note=note)]


if __name__ == "__main__":
    for row in run()[0]:
        print(f"{row.figure}: {row.value} {row.unit} {row.status()}")
