"""10. Compose stop: how long the local stack takes to save its state to the volume
(local/aws/snapshot.py) when `docker compose stop` sends SIGTERM, against the 10 s after which
compose sends SIGKILL (compose.yaml raises its own grace period to 30 s; 10 s is the default a
user's own compose file or `docker stop` gives).

Data: a local gallery of ``images`` images, each as the pipeline leaves it: the original (~300
KB), three renditions (thumbnail, small, medium) and its DynamoDB items (the image, its title
trigrams, the dedupe marker), in the template's bucket and table on the local AWS endpoint
(moto's server in this process, as in the container). Object bytes are random: the save copies
bytes, it does not decode them.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bench.common import ROOT, Row

SIZES = {"original": 300_000, "thumbnail": 15_000, "small": 40_000, "medium": 120_000}
ITEMS_PER_IMAGE = 12  # the image, ~10 title trigrams, the dedupe marker
TARGET_S = 8.0  # leaves the rest of the stop (pollers, servers) inside compose's 10 s


def _fill(aws_url: str, template: Any, images: int, first: int = 0) -> tuple[int, int]:
    from local.aws import client

    s3, ddb = client("s3", aws_url), client("dynamodb", aws_url)
    bucket = next(iter(template.buckets.values())).name
    table = next(iter(template.tables.values())).name
    blobs = {name: os.urandom(size) for name, size in SIZES.items()}

    def put_image(n: int) -> None:
        owner, image = f"owner{n % 5}", f"img{n:05d}"
        s3.put_object(Bucket=bucket, Key=f"originals/{owner}/{image}", Body=blobs["original"], ContentType="image/jpeg")
        for name in ("thumbnail", "small", "medium"):
            key = f"renditions/{owner}/{image}/{name}.jpg"
            s3.put_object(Bucket=bucket, Key=key, Body=blobs[name], ContentType="image/jpeg")
        items = [
            {"pk": {"S": f"OWNER#{owner}"}, "sk": {"S": f"IMAGE#{image}"}, "doc": {"S": "x" * 1500}},
            {"pk": {"S": f"OWNER#{owner}"}, "sk": {"S": f"SHA256#{n:064x}"}, "id": {"S": image}},
        ] + [{"pk": {"S": f"OWNER#{owner}#GRAM#g{g:02d}"}, "sk": {"S": image}} for g in range(ITEMS_PER_IMAGE - 2)]
        for start in range(0, len(items), 25):
            batch = [{"PutRequest": {"Item": item}} for item in items[start : start + 25]]
            ddb.batch_write_item(RequestItems={table: batch})

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(put_image, range(first, first + images)))
    return images * len(SIZES), images * ITEMS_PER_IMAGE


def run(images: int = 200, added: int = 20) -> tuple[list[Row], dict[str, Any]]:
    """Three saves: the first (every object read), the next with nothing changed (every object
    linked from the previous snapshot: a stop right after a restore), and one after ``added`` new
    images (a session's uploads on top of a restored gallery)."""
    from local.aws import LocalAwsServer, create_resources, snapshot
    from local.template import load

    server = LocalAwsServer(port=0)
    server.start()
    work = Path(tempfile.mkdtemp(prefix="bench-snapshot-"))
    saves: dict[str, float] = {}

    def timed(name: str) -> None:
        started = time.perf_counter()
        snapshot.save(server.url, template, work / "data")
        saves[name] = time.perf_counter() - started

    try:
        template = load(ROOT / "template.yaml", aws_url=server.url)
        create_resources(server.url, template)
        objects, items = _fill(server.url, template, images)
        timed("first")
        timed("unchanged")
        _fill(server.url, template, added, first=images)
        timed("added")
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    megabytes = images * sum(SIZES.values()) / 1e6
    gallery = f"{images} images ({objects} objects, {megabytes:.0f} MB; {items} items)"
    target = f"<= {TARGET_S:g} s"
    rows = [
        Row("13 compose stop", f"save on SIGTERM, first: {gallery}", round(saves["first"], 2), "s", target),
        Row("13 compose stop", "the same, nothing changed since the last save", round(saves["unchanged"], 2), "s"),
        Row("13 compose stop", f"the same + {added} new images since the last save", round(saves["added"], 2), "s"),
    ]
    for row in rows:
        row.target, row.ok = target, row.value is not None and float(row.value) <= TARGET_S
    return rows, {"saves_s": {k: round(v, 3) for k, v in saves.items()}, "objects": objects, "items": items}


if __name__ == "__main__":
    from bench.common import print_table

    print_table(run()[0])
