"""A browser uploader nobody here wrote: Uppy's AWS S3 plugin (@uppy/aws-s3 from npm, pinned in
tests/browser/uppy/package.json, installed by `make test`) uploads with the presigned POST form
that `POST /images` issues, given `{method: "POST", url, fields}`, in Chromium, and the image
becomes ready. The plugin completes only when it can read S3's `ETag` (and `Location`) headers:
the local S3 endpoint must send them and the bucket's CORS (from template.yaml) must expose them.

The test page and the bundle are served on loopback by a site of their own; the bucket's CORS is
given that site's origin for the test, as CorsAllowOrigins would in AWS.
"""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests

from local.server import POLL_INTERVAL_S

from .conftest import png_bytes

pytestmark = pytest.mark.browser

UPPY_DIR = Path(__file__).resolve().parent / "uppy"
ESBUILD = UPPY_DIR / "node_modules" / ".bin" / "esbuild"
PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>Uppy upload</title>
<script src="uppy-bundle.js"></script></head><body data-uppy="loaded"></body></html>"""

# Runs in the page: one file through Uppy with the form the API issued. A missing ETag makes the
# plugin log an error and never settle, so the upload races a deadline instead of hanging.
UPLOAD_JS = """
async ({params, bytes, name, type, deadlineMs}) => {
  const errors = [];
  const origError = console.error;
  console.error = (...args) => { errors.push(args.join(' ')); origError(...args); };
  const uppy = new window.Uppy({ autoProceed: false });
  uppy.use(window.AwsS3, { shouldUseMultipart: false, getUploadParameters: async () => params });
  let success = null;
  uppy.on('upload-success', (file, response) => { success = response; });
  uppy.addFile({ name, type, data: new Blob([new Uint8Array(bytes)], { type }) });
  const deadline = new Promise((resolve) => setTimeout(() => resolve({ timedOut: true }), deadlineMs));
  const result = await Promise.race([uppy.upload(), deadline]);
  return {
    timedOut: Boolean(result && result.timedOut),
    successful: result && result.successful ? result.successful.length : 0,
    failed: result && result.failed ? result.failed.map((f) => String(f.error)) : [],
    success, errors,
  };
}
"""


@pytest.fixture(scope="module")
def uppy_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The test page and @uppy/core + @uppy/aws-s3 bundled by esbuild (the packages are ES
    modules), served on loopback as a site embedding the uploader would serve them."""
    if not ESBUILD.exists():
        pytest.fail("tests/browser/uppy/node_modules is missing: run `make test` (or `make uppy`)")
    site = tmp_path_factory.mktemp("uppy-site")
    subprocess.run(
        [str(ESBUILD), "entry.js", "--bundle", "--format=iife", f"--outfile={site / 'uppy-bundle.js'}"],
        cwd=UPPY_DIR,
        check=True,
        timeout=120,
        capture_output=True,
    )
    (site / "index.html").write_text(PAGE)
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietFiles, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": POLL_INTERVAL_S}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


class _QuietFiles(SimpleHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def bucket_cors(stack: Any, uppy_site: str) -> Iterator[Callable[..., None]]:
    """The images bucket's CORS with the site's origin added (what CorsAllowOrigins does in AWS);
    `set(expose=False)` drops the exposed headers. Restored afterwards."""
    from local.aws import client

    s3 = client("s3", stack.aws_url)
    bucket = stack.environment["BUCKET_NAME"]
    saved = s3.get_bucket_cors(Bucket=bucket)["CORSRules"]

    def apply(expose: bool = True) -> None:
        rules = []
        for rule in saved:
            rule = {**rule, "AllowedOrigins": [*rule["AllowedOrigins"], uppy_site]}
            if not expose:
                rule.pop("ExposeHeaders", None)
            rules.append(rule)
        s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": rules})

    yield apply
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": saved})


def _open_uppy_page(context: Any, site: str) -> Any:
    page = context.new_page()
    page.goto(f"{site}/index.html")
    page.wait_for_selector("body[data-uppy=loaded]", state="attached")
    assert page.evaluate("typeof window.Uppy === 'function' && typeof window.AwsS3 === 'function'")
    return page


def _create(stack: Any, headers: dict[str, str], title: str, size: int) -> dict[str, Any]:
    created = requests.post(
        f"{stack.api_url}/images",
        json={"title": title, "content_type": "image/png", "size": size},
        headers=headers,
        timeout=30,
    )
    assert created.status_code == 201, created.text
    return created.json()


def _wait_ready(api: str, headers: dict[str, str], image_id: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        image = requests.get(f"{api}/images/{image_id}", headers=headers, timeout=10).json()
        if image["status"] != "pending" or time.monotonic() > deadline:
            return image
        time.sleep(0.2)


def test_uppy_aws_s3_plugin_uploads_with_our_presigned_post(stack, context, user, uppy_site, bucket_cors) -> None:
    bucket_cors()
    data = png_bytes(160, 120)
    headers = {"Authorization": f"Bearer {stack.token(user)}"}
    created = _create(stack, headers, "via uppy", len(data))
    upload, image_id = created["upload"], created["image"]["id"]

    page = _open_uppy_page(context, uppy_site)
    params = {"method": "POST", "url": upload["url"], "fields": upload["fields"]}
    outcome = page.evaluate(
        UPLOAD_JS,
        {"params": params, "bytes": list(data), "name": "photo.png", "type": "image/png", "deadlineMs": 20000},
    )

    assert not outcome["timedOut"], f"Uppy never completed: {outcome['errors']}"
    assert outcome["failed"] == [] and outcome["successful"] == 1, outcome
    assert not [e for e in outcome["errors"] if "Could not read" in e], outcome["errors"]
    body = outcome["success"]["body"]
    key = upload["fields"]["key"]
    assert body["ETag"].strip('"') and body["key"] == key
    # Location is the object's URL as S3 gives it (the key's slashes encoded), Uppy's uploadURL.
    assert outcome["success"]["uploadURL"] == body["location"]
    assert body["location"].endswith(key.replace("/", "%2F"))

    image = _wait_ready(stack.api_url, headers, image_id)
    assert image["status"] == "ready", image
    assert (image["width"], image["height"]) == (160, 120)


def test_without_exposed_headers_uppy_cannot_complete(stack, context, user, uppy_site, bucket_cors) -> None:
    """The control: the same upload against a bucket CORS rule that exposes nothing (where this
    issue started) leaves Uppy unable to read the ETag; it reports the CORS problem and never settles."""
    bucket_cors(expose=False)
    data = png_bytes(40, 30)
    headers = {"Authorization": f"Bearer {stack.token(user)}"}
    upload = _create(stack, headers, "via uppy, no exposed headers", len(data))["upload"]
    page = _open_uppy_page(context, uppy_site)
    params = {"method": "POST", "url": upload["url"], "fields": upload["fields"]}
    outcome = page.evaluate(
        UPLOAD_JS, {"params": params, "bytes": list(data), "name": "p.png", "type": "image/png", "deadlineMs": 5000}
    )
    assert outcome["successful"] == 0
    assert any("Could not read the ETag header" in e for e in outcome["errors"]), outcome
