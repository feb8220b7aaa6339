# ruff: noqa: E501  (child scripts are embedded as strings; their lines are kept whole)
"""6. End to end on the local stack (local.stack.LocalStack): upload->ready latency of a 12 MP JPEG
(median of 10) and requests per second of GET /images and GET /images/{id} under a bounded load
from a second process on loopback (a fixed number of requests, stopped early at a time limit).

Latency: from the start of the presigned POST to S3 until GET /images/{id} (polled every 50 ms, retried on 429)
answers ``ready``: S3 notification -> SQS -> poller -> ingest handler -> DynamoDB.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from typing import Any

from bench.common import ROOT, Row, child_env, median

LOAD_CHILD = r"""
import json, sys, time, threading, http.client
from urllib.parse import urlsplit
base, token, paths, count, limit_s, workers = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6])
u = urlsplit(base)
out = {}
for path in paths:
    lock = threading.Lock(); done = [0]; errors = [0]; lat = []
    deadline = time.perf_counter() + limit_s
    def work():
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
        while True:
            with lock:
                if done[0] >= count or time.perf_counter() > deadline:
                    return
                done[0] += 1
            t0 = time.perf_counter()
            conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
            r = conn.getresponse(); r.read()
            lat.append(time.perf_counter() - t0)
            if r.status != 200:
                errors[0] += 1
    t0 = time.perf_counter()
    threads = [threading.Thread(target=work) for _ in range(workers)]
    [t.start() for t in threads]; [t.join() for t in threads]
    elapsed = time.perf_counter() - t0
    lat.sort()
    out[path] = {"requests": len(lat), "errors": errors[0], "seconds": elapsed, "rps": len(lat) / elapsed,
                 "p50_ms": lat[len(lat) // 2] * 1000, "p95_ms": lat[int(len(lat) * 0.95)] * 1000}
print(json.dumps(out))
"""


POLL_S = 0.05  # polling faster than this trips the local gateway's throttling (429)


def _with_retry(call: Any) -> Any:
    """A request, retried while the gateway's stage throttling answers 429 (as a client would)."""
    for attempt in range(20):
        response = call()
        if response.status_code != 429:
            return response
        time.sleep(0.05 * (attempt + 1))
    return response


def run(
    uploads: int = 10, requests_per_route: int = 300, time_limit_s: float = 20.0, workers: int = 4
) -> tuple[list[Row], dict[str, Any]]:
    sys.path.insert(0, str(ROOT))
    try:
        from local.stack import LocalStack
    except ImportError as exc:
        return [
            Row("6 end to end", "local stack", None, "", "report", None, note=f"local.stack not importable: {exc}")
        ], {}
    import logging

    import requests

    from bench import images

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    data = images.ensure("jpeg_12mp").read_bytes()
    details: dict[str, Any] = {"image_bytes": len(data)}
    with LocalStack(state_dir=ROOT / "bench" / ".work" / "local") as stack:
        token = stack.token("bench")
        api = requests.Session()
        api.headers["Authorization"] = f"Bearer {token}"
        latencies = []
        ids = []
        for i in range(uploads):
            created = _with_retry(
                lambda i=i: api.post(
                    f"{stack.api_url}/images",
                    json={"title": f"bench 12mp {i}", "content_type": "image/jpeg", "size": len(data)},
                )
            ).json()
            if "upload" not in created:
                raise RuntimeError(f"POST /images answered {created}")
            image_id, form = created["image"]["id"], created["upload"]
            t0 = time.perf_counter()
            r = requests.post(
                form["url"], data=form["fields"], files={"file": ("p.jpg", data, "image/jpeg")}, timeout=60
            )
            r.raise_for_status()
            status = None
            while time.perf_counter() - t0 < 60:
                status = _with_retry(lambda image_id=image_id: api.get(f"{stack.api_url}/images/{image_id}")).json()[
                    "status"
                ]
                if status != "pending":
                    break
                time.sleep(POLL_S)
            latencies.append(time.perf_counter() - t0)
            if status != "ready":
                raise RuntimeError(f"upload {i} ended {status}")
            ids.append(image_id)
        details["upload_to_ready_s"] = latencies
        paths = ["/images?limit=20", f"/images/{ids[0]}"]
        proc = subprocess.run(
            [
                sys.executable,
                "-c",
                LOAD_CHILD,
                stack.api_url,
                token,
                json.dumps(paths),
                str(requests_per_route),
                str(time_limit_s),
                str(workers),
            ],
            capture_output=True,
            text=True,
            env=child_env(),
            timeout=time_limit_s * len(paths) + 60,
        )
        if proc.returncode:
            raise RuntimeError(proc.stderr[-2000:])
        load = json.loads(proc.stdout.strip().splitlines()[-1])
        details["load"] = load
    lat = median(latencies)
    rows = [
        Row(
            "6 end to end",
            f"upload -> ready, 12 MP JPEG ({len(data) / 2**20:.1f} MiB), median of {uploads}",
            round(lat * 1000),
            "ms",
            "report",
            note=f"min {min(latencies) * 1000:.0f} max {max(latencies) * 1000:.0f} ms",
        )
    ]
    for path, label in zip(paths, ("GET /images?limit=20", "GET /images/{id}"), strict=True):
        r = load[path]
        rows.append(
            Row(
                "6 end to end",
                f"{label}: req/s ({r['requests']} req, {workers} conns, p50 {r['p50_ms']:.0f} ms)",
                round(r["rps"], 1),
                "req/s",
                "report",
                None if not r["errors"] else False,
                note=f"{r['errors']} errors",
            )
        )
    return rows, details
