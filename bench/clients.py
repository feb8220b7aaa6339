"""10. The `imageapi` command (issue 22): upload throughput over 500 JPEGs of about 300 KB to the
local stack with ``--concurrency 4``, in images/s and MB/s, side by side with ``aws s3 cp
--recursive`` of the same folder into the local S3 (the floor of moving the bytes: no API, no
record, no presigned form, no sha256), and the command's peak RSS.

Both are timed as a user sees them: from starting the process to its exit. The stack runs in this
process (local.stack.LocalStack, as bench/e2e.py), without the stage throttle and with its queue
pollers off, so ingest does not compete for the machine's two cores during the upload (in AWS it
runs on Lambda, not on the uploader's machine); the aws CLI writes under a prefix that notifies
nothing. The aws CLI v1 lives in .venv-awscli (`make bench` installs it: requirements-awscli.txt)
and runs with its defaults (10 concurrent requests). Peak RSS is the command's ru_maxrss (wait4).
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.common import ROOT, WORK, Row

FILES = 500
SIZE = (672, 504)  # random pixels at quality 90: about 300 KB a JPEG
CONCURRENCY = 4
RATIO_GOAL = 0.6
RSS_GOAL_MB = 150
AWS = ROOT / ".venv-awscli" / "bin" / "aws"
IMAGEAPI = Path(sys.executable).with_name("imageapi")


def photos(count: int = FILES) -> tuple[Path, int]:
    """The folder of ``count`` distinct JPEGs (made once, kept in bench/.work) and its bytes."""
    from PIL import Image

    folder = WORK / "clients" / f"jpeg-{count}"
    done = folder / ".complete"
    if not done.exists():
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(count):
            buffer = io.BytesIO()
            noise = Image.frombytes("RGB", SIZE, os.urandom(SIZE[0] * SIZE[1] * 3))
            noise.save(buffer, "JPEG", quality=90)
            (folder / f"photo_{i:04d}.jpg").write_bytes(buffer.getvalue())
        done.touch()
    total = sum(p.stat().st_size for p in folder.glob("*.jpg"))
    return folder, total


# Forks the command from a small interpreter and reports its rusage: on Linux a child's ru_maxrss
# starts from the RSS of the process it was forked from (this one holds the whole local stack).
LAUNCHER = """import json, os, sys
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as out:
    json.dump({"code": os.waitstatus_to_exitcode(status), "maxrss_kb": usage.ru_maxrss,
               "cpu_s": usage.ru_utime + usage.ru_stime}, out)
"""


def timed(args: list[str], env: dict[str, str], cwd: Path) -> dict[str, Any]:
    """Seconds from start to exit, peak RSS (MB), CPU seconds and stderr's tail; raises if it failed."""
    report = cwd / "rusage.json"
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", LAUNCHER, str(report), *args],
        env=env,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        check=False,
        timeout=1800,
    )
    seconds = time.perf_counter() - started
    usage = json.loads(report.read_text())
    stderr = proc.stderr.decode(errors="replace")
    if usage["code"] != 0:
        raise RuntimeError(f"{Path(args[0]).name} exited {usage['code']}: {stderr[-1500:]}")
    return {
        "seconds": seconds,
        "peak_rss_mb": usage["maxrss_kb"] / 1024,
        "cpu_s": usage["cpu_s"],
        "tail": stderr[-300:],
    }


def per_file(stack: Any, folder: Path, count: int = 20) -> dict[str, float]:
    """Where an upload's time goes on this stack: the API's create (a record, its quota and title
    index items in DynamoDB, a presigned form) and the presigned POST, one file at a time."""
    from imageapi_client import ImageAPI
    from imageapi_client.generated.models import CreatedUpload
    from imageapi_client.uploads import sha256_of

    files = sorted(folder.glob("*.jpg"))[:count]
    create = post = 0.0
    with ImageAPI(stack.api_url, stack.token("bench-clients-parts")) as api:
        for path in files:
            t0 = time.perf_counter()
            created = api.create_upload(path.stem, "image/jpeg", path.stat().st_size, sha256=sha256_of(path))
            t1 = time.perf_counter()
            assert isinstance(created, CreatedUpload)
            api.send_file(created.upload, path, "image/jpeg")
            create, post = create + t1 - t0, post + time.perf_counter() - t1
    return {"create_ms": create / count * 1000, "post_ms": post / count * 1000}


def run() -> tuple[list[Row], dict[str, Any]]:
    sys.path.insert(0, str(ROOT))
    if not AWS.exists():
        note = "the AWS CLI is missing: make .venv-awscli/.installed (make bench installs it)"
        return [Row("10 clients", "aws s3 cp --recursive", None, "", "", False, note=note)], {}
    if not IMAGEAPI.exists():
        return [Row("10 clients", "imageapi", None, "", "", False, note="make install installs clients/python")], {}
    from local.stack import LocalStack

    folder, total = photos()
    work = WORK / "clients" / "run"
    work.mkdir(parents=True, exist_ok=True)
    (work / ".imageapi-journal.jsonl").unlink(missing_ok=True)
    details: dict[str, Any] = {"files": FILES, "bytes": total, "concurrency": CONCURRENCY}
    with LocalStack(state_dir=WORK / "local", pollers=False, name_prefix="bench-clients") as stack:
        base = {k: v for k, v in os.environ.items() if not k.upper().endswith("_PROXY")}
        cli_env = {**base, "IMAGEAPI_URL": stack.api_url, "IMAGEAPI_TOKEN": stack.token("bench-clients")}
        cli = timed([str(IMAGEAPI), "upload", str(folder), "--concurrency", str(CONCURRENCY)], cli_env, work)
        bucket = str(stack.environment["BUCKET_NAME"])
        aws_env = {
            **base,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        }
        aws_args = [str(AWS), "--endpoint-url", stack.aws_url, "s3", "cp", str(folder), f"s3://{bucket}/bench-cp/"]
        aws = timed([*aws_args, "--recursive", "--only-show-errors"], aws_env, work)
        parts = per_file(stack, folder)
    details.update(imageapi=cli, aws_s3_cp=aws, per_file=parts)
    cli_s, cli_rss, aws_s = cli["seconds"], cli["peak_rss_mb"], aws["seconds"]
    mb = total / 1e6
    ratio = aws_s / cli_s  # throughputs of the same bytes
    details["ratio"] = ratio
    label = f"{FILES} JPEGs of {total / FILES / 1e3:.0f} KB"
    rows = [
        Row(
            "10 clients",
            f"imageapi upload --concurrency {CONCURRENCY}, {label}",
            f"{FILES / cli_s:.1f} img/s | {mb / cli_s:.1f} MB/s",
            "",
            "report",
        ),
        Row("10 clients", "aws s3 cp --recursive, same folder", f"{FILES / aws_s:.1f} img/s | {mb / aws_s:.1f} MB/s"),
        Row("10 clients", "imageapi / aws s3 cp", round(ratio, 2), "x", f">= {RATIO_GOAL}", ratio >= RATIO_GOAL),
        Row("10 clients", "imageapi peak RSS", round(cli_rss, 1), "MB", f"<= {RSS_GOAL_MB}", cli_rss <= RSS_GOAL_MB),
        Row(
            "10 clients",
            "imageapi CPU per file (hash, create, stream, journal)",
            round(cli["cpu_s"] / FILES * 1000, 1),
            "ms",
        ),
        Row(
            "10 clients",
            "one file at a time: API create | presigned POST",
            f"{parts['create_ms']:.0f} ms | {parts['post_ms']:.0f} ms",
            note="create = a transaction, a batch write and one counter update per title trigram on moto",
        ),
    ]
    return rows, details
