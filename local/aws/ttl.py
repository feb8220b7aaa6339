"""DynamoDB's TTL, locally: moto's server never expires items, so this reaper does what DynamoDB's
TTL process does. Every second it deletes the items of the template's tables whose TTL attribute
(epoch seconds) is in the past, and marks each deletion's stream record as made by the DynamoDB
service (``userIdentity``: type ``Service``, principal ``dynamodb.amazonaws.com``), which is how
the events publisher tells a purge by the trash window from a user's delete (issue 19).

It works on moto's backend in-process, under the endpoint's DynamoDB lock (``SerialDynamoDB``), so
a reaped item never interleaves with a request. DynamoDB deletes expired items within days; here
it takes about a second (reads already treat an item past its time as gone).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from typing import Any

from .. import ACCOUNT_ID, REGION

log = logging.getLogger("local.aws.ttl")

TTL_IDENTITY = {"PrincipalId": "dynamodb.amazonaws.com", "Type": "Service"}  # as the Streams API spells it


def _expired(table: Any, attribute: str, now: float) -> list[tuple[Any, Any]]:
    found = []
    for hash_key, entry in list(table.items.items()):
        items = entry.items() if isinstance(entry, dict) else [(None, entry)]
        for range_key, item in list(items):
            value = item.attrs.get(attribute)
            if value is None or value.type != "N":
                continue
            try:
                expires = float(value.value)
            except ValueError:
                continue
            if expires <= now:
                found.append((hash_key, range_key))
    return found


def reap(tables: Iterable[tuple[str, str]], lock: threading.Lock, now: float | None = None) -> int:
    """Delete every expired item of ``tables`` ((name, TTL attribute)); answer how many."""
    from moto.dynamodb.models import dynamodb_backends

    now = time.time() if now is None else now
    backend = dynamodb_backends[ACCOUNT_ID][REGION]
    reaped = 0
    with lock:
        for name, attribute in tables:
            table = backend.tables.get(name)
            if table is None:
                continue
            for hash_key, range_key in _expired(table, attribute, now):
                if table.delete_item(hash_key, range_key) is None:
                    continue
                reaped += 1
                if table.stream_shard is not None and table.stream_shard.items:
                    table.stream_shard.items[-1].record["userIdentity"] = dict(TTL_IDENTITY)
    return reaped


class TtlReaper:
    def __init__(self, tables: Iterable[tuple[str, str]], lock: threading.Lock, interval: float = 1.0) -> None:
        self.tables = list(tables)
        self.lock = lock
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="local-ttl", daemon=True)

    def start(self) -> TtlReaper:
        if self.tables:
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                reap(self.tables, self.lock)
            except Exception:  # a table being created or dropped: the next round sees it whole
                log.exception("the local TTL reaper failed a round")
