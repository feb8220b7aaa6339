"""The local webhook inbox (issue 19): what an app would receive, without writing a receiver, the
way ``stripe listen`` serves Stripe's users. Register ``{gateway}/_local/inbox`` (or any path
under it, a "channel") as a webhook endpoint URL; every delivery is recorded as it arrived (the
Standard Webhooks headers and the exact body) and answered 200. ``GET /_local/inbox`` shows them
on a page, newest first; ``GET /_local/inbox/messages`` answers them as JSON (``?channel=`` to
filter), ``DELETE /_local/inbox/messages`` forgets them. It exists only in the local stack.
"""

from __future__ import annotations

import html
import json
import threading
import time
from collections import deque
from typing import Any

from werkzeug.wrappers import Request, Response

MOUNT = "/_local/inbox"
KEPT = 500  # the newest messages kept in memory
MAX_BODY = 256 * 1024
SHOWN_HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature", "content-type", "user-agent")


class Inbox:
    def __init__(self) -> None:
        self._messages: deque[dict[str, Any]] = deque(maxlen=KEPT)
        self._lock = threading.Lock()
        self._count = 0

    def messages(self, channel: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            found = list(self._messages)
        return [m for m in reversed(found) if channel is None or m["channel"] == channel]

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        path = request.path.strip("/")  # under the mount: "", "messages", or a channel
        if request.method == "POST" and path != "messages":
            response = self._receive(request, path)
        elif request.method == "GET" and path == "messages":
            response = Response(
                json.dumps({"items": self.messages(request.args.get("channel"))}), content_type="application/json"
            )
        elif request.method == "DELETE" and path == "messages":
            with self._lock:
                self._messages.clear()
            response = Response(status=204)
        elif request.method == "GET" and path == "":
            response = Response(self._page(), content_type="text/html; charset=utf-8")
            response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
        else:
            response = Response(
                json.dumps({"detail": "no such inbox route"}), status=404, content_type="application/json"
            )
        response.headers["Cache-Control"] = "no-store"
        return response(environ, start_response)

    def _receive(self, request: Request, channel: str) -> Response:
        body = request.get_data(cache=False)[:MAX_BODY]
        with self._lock:
            self._count += 1
            number = self._count
            self._messages.append(
                {
                    "number": number,
                    "channel": channel,
                    "received_at": time.time(),
                    "headers": {name: request.headers[name] for name in SHOWN_HEADERS if name in request.headers},
                    "body": body.decode("utf-8", errors="replace"),
                }
            )
        return Response(json.dumps({"received": number}), content_type="application/json")

    def _page(self) -> str:
        rows = []
        for message in self.messages():
            try:
                body = json.dumps(json.loads(message["body"]), indent=2)
                kind = json.loads(message["body"]).get("type", "?")
            except (ValueError, AttributeError):
                body, kind = message["body"], "?"
            headers = "\n".join(f"{k}: {v}" for k, v in message["headers"].items())
            when = time.strftime("%H:%M:%S", time.localtime(message["received_at"]))
            rows.append(
                f"<section><h2>#{message['number']} {html.escape(kind)} <small>{when}"
                f"{' · ' + html.escape(message['channel']) if message['channel'] else ''}</small></h2>"
                f"<pre>{html.escape(headers)}</pre><pre>{html.escape(body)}</pre></section>"
            )
        listing = "\n".join(rows) or "<p>Nothing received yet. Register this page's URL as a webhook endpoint.</p>"
        return (
            "<!doctype html><html lang=en><head><meta charset=utf-8><meta http-equiv=refresh content=2>"
            "<title>Local webhook inbox</title><style>body{font:14px system-ui;margin:2rem;max-width:60rem}"
            "pre{background:#f4f4f4;padding:.5rem;overflow:auto}h2{font-size:1rem}</style></head><body>"
            f"<h1>Local webhook inbox</h1><p>Deliveries to <code>{MOUNT}</code>, newest first (refreshes"
            f" every 2 s).</p>{listing}</body></html>"
        )
