"""3. Cold start: import time of every function's handler module, against bare ``import boto3``.

Each sample is a fresh interpreter pinned to core 0 that loads ``functions/<name>/app.py`` by
file path (as the local gateway and the Lambda runtime do), with ``layers/core`` on sys.path and
the environment a Lambda function has: the template's variables plus the runtime's own
(LAMBDA_TASK_ROOT, AWS_LAMBDA_FUNCTION_NAME, ...). Two modes:

* tracing on: exactly as deployed (template Tracing: Active), so Powertools' Tracer imports the
  X-Ray SDK and patches botocore and the other libraries it finds;
* tracing off: POWERTOOLS_TRACE_DISABLED=true (local stack, tests, or a deployment that turns
  X-Ray off).

Timed inside the child around the import only (interpreter start-up excluded, the same for
everyone). Then, so that no cost hides in the first request, the child answers one request (a
sample event from events/, against moto's server in this process, which the child's CPU time
does not include): "first request" is that call's CPU time, "init + first" the sum.

The figure is CPU time of the process (robust on a shared machine: another process on
the same core does not inflate it); wall time is reported beside it. All targets are sampled in
interleaved rounds so a slow moment hits each of them, and the ratio is taken per round.
"""

from __future__ import annotations

import sys
from typing import Any

from bench.common import CORE, ROOT, Row, child_env, median, run_child

PIXEL_FUNCTIONS = {"ingest", "download", "update", "predict"}
# The first request each non-pixel function answers (a sample event; unknown ids answer 404
# after a real DynamoDB read).
FIRST_EVENTS = {
    "analyse": "analyse_get.json",
    "compat": "compat_list.json",
    "image": "image_get.json",
    "list": "list_images.json",
    "meta": "meta_health.json",
    "upload": "upload_create.json",
}
HEAVY = ("PIL", "numpy", "onnxruntime", "boto3", "botocore", "aws_xray_sdk.core", "imageml", "pydantic_settings")

CHILD = r"""
import json, sys, time
target, core = sys.argv[1], sys.argv[2]
w0, c0 = time.perf_counter(), time.process_time()
if target == "boto3":
    import boto3
else:
    import importlib.util
    sys.path.insert(0, core)
    spec = importlib.util.spec_from_file_location("app", f"functions/{target}/app.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["app"] = module
    spec.loader.exec_module(module)
    assert callable(module.handler)
wall, cpu = time.perf_counter() - w0, time.process_time() - c0
heavy = [m for m in HEAVY_MODULES if m in sys.modules]
first = {}
if len(sys.argv) > 3:
    class Context:
        function_name, function_version, memory_limit_in_mb = "image-api-fn", "$LATEST", 256
        invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:image-api-fn"
        aws_request_id, log_group_name, log_stream_name = "bench-first-request", "bench", "bench"
        def get_remaining_time_in_millis(self):
            return 10_000
    event = json.load(open(sys.argv[3]))
    w1, c1 = time.perf_counter(), time.process_time()
    result = module.handler(event, Context())
    first = {"first_wall_s": time.perf_counter() - w1, "first_cpu_s": time.process_time() - c1,
             "status": result.get("statusCode")}
print(json.dumps({"wall_s": wall, "cpu_s": cpu, "modules": len(sys.modules), "heavy": heavy, **first}))
""".replace("HEAVY_MODULES", repr(HEAVY))


def lambda_env(tracing: bool) -> dict[str, str | None]:
    """The template's Globals variables (as the local stack resolves them) + the runtime's."""
    try:
        sys.path.insert(0, str(ROOT))
        from local.template import load

        template_env: dict[str, str | None] = dict(
            load(ROOT / "template.yaml", aws_url="http://127.0.0.1:1").environment
        )
    except Exception:  # the template loader is optional for this measurement
        template_env = {"TABLE_NAME": "images", "BUCKET_NAME": "images", "POWERTOOLS_SERVICE_NAME": "image-api"}
    env: dict[str, str | None] = {
        **template_env,
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_LAMBDA_FUNCTION_NAME": "image-api-fn",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.12",
        "LAMBDA_TASK_ROOT": "/var/task",
        "LAMBDA_RUNTIME_DIR": "/var/runtime",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SAM_LOCAL": None,
        "AWS_ENDPOINT_URL": None,
        "POWERTOOLS_TRACE_DISABLED": None if tracing else "true",
        "_X_AMZN_TRACE_ID": None,
    }
    return env


def functions() -> list[str]:
    return sorted(p.parent.name for p in (ROOT / "functions").glob("*/app.py"))


def run(rounds: int = 5) -> tuple[list[Row], dict[str, Any]]:
    import logging

    from moto.server import ThreadedMotoServer

    from bench.common import free_port

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        return _run(rounds, f"http://127.0.0.1:{port}")
    finally:
        server.stop()


def _first_request_env(endpoint: str) -> dict[str, str | None]:
    """The resources the first requests read, on moto (names as the local stack makes them)."""
    sys.path.insert(0, str(ROOT))
    from local.aws import create_resources

    template = create_resources(endpoint)
    return {
        **template.environment,
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_XRAY_CONTEXT_MISSING": "IGNORE_ERROR",  # no X-Ray daemon or trace header outside Lambda
    }


def _run(rounds: int, endpoint: str) -> tuple[list[Row], dict[str, Any]]:
    names = functions()
    aws = _first_request_env(endpoint)
    envs = {mode: child_env({**lambda_env(mode == "tracing on"), **aws}) for mode in ("tracing off", "tracing on")}
    samples: dict[tuple[str, str], list[dict[str, Any]]] = {}
    targets = [(mode, n) for mode in envs for n in ["boto3", *names]]

    # one untimed pass: byte-compile every module and warm the page cache
    def sample(mode: str, name: str) -> Any:
        event = [str(ROOT / "events" / FIRST_EVENTS[name])] if name in FIRST_EVENTS else []
        return run_child(CHILD, name, str(CORE), *event, env=envs[mode])

    for mode, name in targets:
        sample(mode, name)
    for r in range(rounds):
        for mode, name in targets[r % 3 :] + targets[: r % 3]:
            samples.setdefault((mode, name), []).append(sample(mode, name))
        print(f"  cold start: round {r + 1}/{rounds} done", flush=True)

    rows: list[Row] = []
    details: dict[str, Any] = {}
    for mode in envs:
        boto = samples[(mode, "boto3")]
        boto_ms = median([s["cpu_s"] for s in boto]) * 1000
        rows.append(
            Row(
                "3 cold start",
                f"[{mode}] import boto3 (baseline)",
                round(boto_ms),
                "ms",
                note=f"wall {median([s['wall_s'] for s in boto]) * 1000:.0f} ms",
            )
        )
        details[mode] = {"boto3": {"cpu_ms": boto_ms, "wall_ms": median([s["wall_s"] for s in boto]) * 1000}}
        for name in names:
            s = samples[(mode, name)]
            ratios = [a["cpu_s"] / b["cpu_s"] for a, b in zip(s, boto, strict=True)]
            ratio = median(ratios)
            cpu_ms = median([x["cpu_s"] for x in s]) * 1000
            wall_ms = median([x["wall_s"] for x in s]) * 1000
            heavy = sorted(set().union(*(x["heavy"] for x in s)))
            pixel = name in PIXEL_FUNCTIONS
            pil = "PIL" in heavy or "numpy" in heavy
            details[mode][name] = {
                "cpu_ms": round(cpu_ms, 1),
                "wall_ms": round(wall_ms, 1),
                "ratio": round(ratio, 3),
                "ratios": [round(x, 3) for x in ratios],
                "heavy_modules": heavy,
                "modules": s[0]["modules"],
            }
            if pixel:
                target, ok = "report (pixel function)", None
            else:
                bound = (
                    1.5 if mode == "tracing on" else 1.3
                )  # issue #21 (was 1.6 in #15): X-Ray's SDK costs its own import
                target, ok = f"<= {bound}x, no Pillow/numpy", ratio <= bound and not pil
            if name in FIRST_EVENTS:
                first_ms = median([x["first_cpu_s"] for x in s]) * 1000
                total = median([(x["cpu_s"] + x["first_cpu_s"]) / b["cpu_s"] for x, b in zip(s, boto, strict=True)])
                details[mode][name] |= {"first_request_cpu_ms": round(first_ms, 1), "status": s[0]["status"]}
                rows.append(
                    Row(
                        "3 cold start",
                        f"[{mode}] {name}: first request ({FIRST_EVENTS[name]}, {s[0]['status']})",
                        round(first_ms),
                        "ms",
                        note=f"init + first request = {total:.2f}x boto3 import",
                    )
                )
            rows.append(
                Row(
                    "3 cold start",
                    f"[{mode}] {name}: {cpu_ms:.0f} ms / boto3",
                    round(ratio, 2),
                    "x",
                    target,
                    ok,
                    note=f"wall {wall_ms:.0f} ms; imports {', '.join(heavy) or '-'}",
                )
            )
    return rows, details
