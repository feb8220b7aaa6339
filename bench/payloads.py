# ruff: noqa: E501  (child scripts are embedded as strings; their lines are kept whole)
"""5. Bytes through Lambda: the size of every route's response (the Lambda proxy result API Gateway
receives) and of its request event, calling the real handlers with the events in events/ on a
moto server holding the template's resources. Images are uploaded the way browsers do (presigned
POST straight to S3) and ingested by the real ingest handler; the download route is measured for
a small image and for a 50 MP one (the target: <= 2 KB whatever the image size).

Runs in a fresh child process so the handlers' environment never leaks into the bench.
"""

from __future__ import annotations

from typing import Any

from bench.common import Row, run_child

CHILD = r"""
import copy, json, logging, os, sys, importlib.util
from pathlib import Path
from urllib.parse import urlencode, quote_plus
ROOT = Path.cwd()
sys.path[:0] = [str(ROOT / "layers" / "core"), str(ROOT / "layers" / "ml"), str(ROOT)]
os.environ.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
                   "AWS_REGION": "us-east-1", "POWERTOOLS_TRACE_DISABLED": "true", "POWERTOOLS_LOG_LEVEL": "ERROR",
                   "POWERTOOLS_METRICS_NAMESPACE": "Bench", "POWERTOOLS_SERVICE_NAME": "image-api"})
logging.getLogger("werkzeug").setLevel(logging.ERROR)
from moto.server import ThreadedMotoServer
from bench.common import free_port
port = free_port()
server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False); server.start()
endpoint = f"http://127.0.0.1:{port}"
from local.aws import create_resources
template = create_resources(endpoint)
os.environ.update(template.environment); os.environ["AWS_ENDPOINT_URL"] = endpoint
import requests
EVENTS = ROOT / "events"

class Ctx:
    function_name = "bench"; function_version = "$LATEST"; memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:bench"; aws_request_id = "bench"
    def get_remaining_time_in_millis(self): return 10_000

mods = {}
def handler(name):
    if name not in mods:
        spec = importlib.util.spec_from_file_location(f"fn_{name}", ROOT / "functions" / name / "app.py")
        m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m); mods[name] = m
    return mods[name].handler

def call(fn, sample, image_id=None, query=None, body=None):
    event = json.loads((EVENTS / sample).read_text())
    if image_id:
        for part in ("rawPath",):
            event[part] = event[part].replace("01JDQZ8Z6J8V0000000000ABCD", image_id)
        event["requestContext"]["http"]["path"] = event["rawPath"]
        if event.get("pathParameters"): event["pathParameters"] = {k: image_id for k in event["pathParameters"]}
    if query is not None:
        if image_id: query = {k: (image_id if v == "{id}" else v) for k, v in query.items()}
        event["rawQueryString"] = urlencode(query); event["queryStringParameters"] = query or None
    if body is not None:
        event["body"] = json.dumps(body)
    claims = event["requestContext"].get("authorizer", {}).get("jwt", {}).get("claims")
    if claims is not None:
        claims["sub"] = "bench"
    result = handler(fn)(event, Ctx())
    return result, len(json.dumps(event).encode()), len(json.dumps(result).encode())

def upload(path, title):
    data = Path(path).read_bytes()
    res, req_bytes, resp_bytes = call("upload", "upload_create.json", body={"title": title, "content_type": "image/jpeg", "size": len(data)})
    created = json.loads(res["body"])
    form = created["upload"]
    r = requests.post(form["url"], data=form["fields"], files={"file": (title, data, "image/jpeg")}, timeout=60)
    assert r.status_code in (200, 201, 204), r.text
    key = form["fields"]["key"]
    sqs = json.loads((EVENTS / "ingest_s3_via_sqs.json").read_text())
    s3_event = json.loads(sqs["Records"][0]["body"]); s3_event["Records"][0]["s3"]["object"]["key"] = quote_plus(key, safe="/")
    s3_event["Records"][0]["s3"]["bucket"]["name"] = template.environment["BUCKET_NAME"]
    sqs["Records"][0]["body"] = json.dumps(s3_event)
    out = handler("ingest")(sqs, Ctx())
    assert not out.get("batchItemFailures"), out
    return created["image"]["id"], req_bytes, resp_bytes, len(data)

small, big = sys.argv[1], sys.argv[2]
rows = []
sid, req_b, resp_b, n = upload(small, "small harbour")
rows.append({"route": "POST /images (presigned form)", "request": req_b, "response": resp_b, "image_bytes_through_function": 0, "image_bytes": n})
bid, req_b2, resp_b2, n2 = upload(big, "big harbour 50mp")
rows.append({"route": "POST /images (presigned form, 50 MP image)", "request": req_b2, "response": resp_b2, "image_bytes_through_function": 0, "image_bytes": n2})

def measure(label, fn, sample, image_id=None, query=None, body=None, image="small"):
    try:
        res, rq, rs = call(fn, sample, image_id, query, body)
        rows.append({"route": label, "status": res["statusCode"], "request": rq, "response": rs, "image": image})
    except Exception as exc:  # e.g. the ML layer missing in this environment
        rows.append({"route": label, "error": f"{type(exc).__name__}: {exc}"[:200]})

for image_id, tag in ((sid, "small"), (bid, "50 MP")):
    for variant in ("thumbnail", "display", "compressed", "original"):
        measure(f"GET /images/{{id}}/download?variant={variant} [{tag}]", "download", "download_get.json", image_id, {"variant": variant}, image=tag)
    measure(f"GET /images/{{id}}/download?variant=display&redirect=false [{tag}]", "download", "download_get.json", image_id, {"redirect": "false"}, image=tag)
    measure(f"GET /images/{{id}}/download?w=400&h=400&format=webp [{tag}]", "download", "download_get.json", image_id, {"w": "400", "h": "400", "format": "webp"}, image=tag)
    measure(f"GET /images/{{id}} [{tag}]", "image", "image_get.json", image_id, image=tag)
    measure(f"GET /images/{{id}}/analysis [{tag}]", "analyse", "analyse_get.json", image_id, image=tag)
measure("GET /images?limit=20", "list", "list_images.json", query={"limit": "20"})
measure("GET /images?limit=100", "list", "list_images.json", query={"limit": "100"})
measure("PATCH /images/{id}", "update", "update_patch.json", sid, body={"title": "renamed", "width": 800, "fit": "contain"})
measure("GET /analyse_image", "compat", "compat_analyse.json", sid, query={"image_id": "{id}"})
measure("GET /list_images", "compat", "compat_list.json")
measure("POST /images/{id}/predictions (orientation)", "predict", "predict_post.json", sid, body={"task": "orientation"})
measure("GET /health", "meta", "meta_health.json")
measure("GET /openapi.json", "meta", "meta_openapi.json")
measure("GET /docs", "meta", "meta_docs.json")
measure("DELETE /images/{id}", "image", "image_delete.json", sid)
server.stop()
print(json.dumps(rows))
"""

DOWNLOAD_LIMIT = 2048


def run() -> tuple[list[Row], dict[str, Any]]:
    from bench import images

    small = images.ensure("jpeg_4000x3000")
    big = images.ensure("jpeg_50mp")
    results: list[dict[str, Any]] = run_child(CHILD, str(small), str(big), timeout=600, pin=False)
    rows: list[Row] = []
    for r in results:
        if "error" in r:
            rows.append(Row("5 bytes", f"{r['route']}", None, "", "report", None, note=r["error"]))
            continue
        if "image_bytes_through_function" in r:
            rows.append(
                Row(
                    "5 bytes",
                    f"{r['route']}: request | response | image bytes via fn",
                    f"{r['request']} | {r['response']} | {r['image_bytes_through_function']}",
                    "B",
                    "0 image bytes",
                    r["image_bytes_through_function"] == 0,
                    note=f"image of {r['image_bytes']} B went to S3 directly",
                )
            )
            continue
        label = f"{r['route']} -> {r['status']}: response"
        if "/download" in r["route"]:
            rows.append(
                Row("5 bytes", label, r["response"], "B", f"<= {DOWNLOAD_LIMIT} B", r["response"] <= DOWNLOAD_LIMIT)
            )
        else:
            rows.append(Row("5 bytes", label, r["response"], "B", "report"))
    return rows, {"routes": results}
