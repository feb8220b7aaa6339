"""The clients suite's tools: the `imageapi` console script run as a user runs it (a subprocess of
the project's venv), small distinct photos made fast, and the stack's state read straight from its
AWS endpoint (S3 objects, DynamoDB records, queue depths) so tests count effects, not answers."""

from __future__ import annotations

import ctypes
import io
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from PIL import Image

from tests.harness.stopping import sigint_default

IMAGEAPI = Path(sys.executable).with_name("imageapi")  # the console script `pip install` made
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "all_proxy")


def noise_jpeg(width: int = 64, height: int = 48, quality: int = 90) -> bytes:
    """A small JPEG of random pixels: every call gives other bytes (another sha256)."""
    buffer = io.BytesIO()
    Image.frombytes("RGB", (width, height), os.urandom(width * height * 3)).save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def write_photos(folder: Path, count: int, prefix: str = "photo") -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        path = folder / f"{prefix}_{i:04d}.jpg"
        path.write_bytes(noise_jpeg())
        paths.append(path)
    return paths


def cli_env(api_url: str, token: str, home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in PROXY_VARIABLES}
    env.update({"IMAGEAPI_URL": api_url, "IMAGEAPI_TOKEN": token, "XDG_CONFIG_HOME": str(home / "config")})
    env.update(extra)
    return env


def drop_root_file_access() -> None:
    """preexec_fn: a root process loses CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH across exec, so a
    chmod 000 file is as unreadable to it as to anybody (tests run as root on CI)."""
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
        if libc.prctl(24, capability, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def run_cli(
    *args: str, env: dict[str, str], cwd: Path, timeout: float = 300, preexec: Callable[[], None] | None = None
) -> subprocess.CompletedProcess[str]:
    assert IMAGEAPI.exists(), f"{IMAGEAPI} is missing: `make install` installs clients/python"
    return subprocess.run(
        [str(IMAGEAPI), *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        preexec_fn=preexec,  # only drops capabilities, before exec
    )


def lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in lines(text) if line.startswith("{")]


@dataclass
class Interrupted:
    returncode: int
    results: list[dict[str, Any]]
    stderr: str

    def new(self, outcome: str) -> list[dict[str, Any]]:
        """This run's results with ``outcome`` (not those an earlier run settled)."""
        return [r for r in self.results if r["outcome"] == outcome and not r.get("earlier_run")]

    def resumed_from(self) -> int:
        """N of the run's "resuming: N of M files done in an earlier run" line (0 without one)."""
        found = re.search(r"^resuming: (\d+) of \d+ files", self.stderr, re.M)
        return int(found.group(1)) if found else 0


def upload_until(
    args: list[str], env: dict[str, str], cwd: Path, *, after: int, then: Callable[[subprocess.Popen[str]], None]
) -> Interrupted:
    """Run `imageapi upload --json ...`, and once ``after`` files were uploaded in this run (those an
    earlier run settled, which it reports first, do not count, and neither does a file that failed),
    call ``then`` (send SIGINT, cut the network); collect every result the run reports until it exits."""
    proc = subprocess.Popen(
        [str(IMAGEAPI), *args],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=sigint_default,  # Ctrl-C as from a terminal, whatever the CI runner ignores
    )
    assert proc.stdout is not None and proc.stderr is not None
    results: list[dict[str, Any]] = []
    fired = False
    for raw in proc.stdout:
        if raw.startswith("{"):
            results.append(json.loads(raw))
        if not fired and sum(1 for r in results if r["outcome"] == "uploaded" and not r.get("earlier_run")) >= after:
            fired = True
            then(proc)
    stderr = proc.stderr.read()
    returncode = proc.wait(timeout=120)
    assert fired, f"the run ended after {len(results)} results, before {after}: {stderr[-2000:]}"
    return Interrupted(returncode, results, stderr)


def sigint(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGINT)


class AwsState:
    """The stack's S3 objects, DynamoDB records and queue depths (boto3 against its endpoint)."""

    def __init__(self, stack: Any) -> None:
        options: dict[str, Any] = {
            "endpoint_url": stack.aws_url,
            "region_name": "us-east-1",
            "aws_access_key_id": "testing",
            "aws_secret_access_key": "testing",
        }
        self.s3 = boto3.client("s3", **options)
        self.ddb = boto3.client("dynamodb", **options)
        self.sqs = boto3.client("sqs", **options)
        self.bucket = str(stack.environment["BUCKET_NAME"])
        self.table = str(stack.environment["TABLE_NAME"])
        self.ingest_queue_url = str(stack.template.queue_url("IngestQueue"))

    def objects(self, prefix: str) -> list[str]:
        found: list[str] = []
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
            found.extend(o["Key"] for o in page.get("Contents", []))
        return found

    def originals(self, owner: str) -> list[str]:
        from imageapi.domain import keys

        return self.objects(keys.original_key(owner, "x").rsplit("/", 1)[0] + "/")

    def records(self, owner: str) -> list[dict[str, Any]]:
        """The owner's image records (their ``doc``, with ``status``)."""
        items: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :image)",
            "ExpressionAttributeValues": {":pk": {"S": f"OWNER#{owner}"}, ":image": {"S": "IMAGE#"}},
            "ConsistentRead": True,
        }
        while True:
            page = self.ddb.query(**kwargs)
            items.extend(page["Items"])
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return [json.loads(item["doc"]["S"]) for item in items]

    def queue_depth(self) -> int:
        """Messages waiting or in flight on this stack's ingest queue. Only this stack's: the local
        stacks of one pytest process share moto's backends, so an earlier module's queues (a
        webhook task hidden for its retry, say) are still listed there."""
        attrs = self.sqs.get_queue_attributes(
            QueueUrl=self.ingest_queue_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"])

    def settled(self, owner: str, timeout: float = 300) -> list[dict[str, Any]]:
        """Waits until ingest has taken every upload off the queue and no upload is left under
        incoming/; answers the owner's records. The timeout only bounds a failure."""
        deadline = time.monotonic() + timeout
        while True:
            depth = self.queue_depth()
            incoming = self.objects("incoming/")
            if depth == 0 and not incoming:
                return self.records(owner)
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"ingest did not settle in {timeout:.0f} s: {depth} messages on the ingest queue, "
                    f"{len(incoming)} uploads under incoming/ ({incoming[:5]})"
                )
            time.sleep(0.2)
