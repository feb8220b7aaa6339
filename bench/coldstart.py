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
everyone). The figure is CPU time of the process (robust on a shared machine: another process on
the same core does not inflate it); wall time is reported beside it. All targets are sampled in
interleaved rounds so a slow moment hits each of them, and the ratio is taken per round.
"""

from __future__ import annotations

import sys
from typing import Any

from bench.common import CORE, ROOT, Row, child_env, median, run_child

PIXEL_FUNCTIONS = {"ingest", "download", "update", "predict"}
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
print(json.dumps({"wall_s": wall, "cpu_s": cpu, "modules": len(sys.modules), "heavy": heavy}))
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
    names = functions()
    envs = {mode: child_env(lambda_env(mode == "tracing on")) for mode in ("tracing off", "tracing on")}
    samples: dict[tuple[str, str], list[dict[str, Any]]] = {}
    targets = [(mode, n) for mode in envs for n in ["boto3", *names]]
    # one untimed pass: byte-compile every module and warm the page cache
    for mode, name in targets:
        run_child(CHILD, name, str(CORE), env=envs[mode])
    for r in range(rounds):
        for mode, name in targets[r % 3 :] + targets[: r % 3]:
            samples.setdefault((mode, name), []).append(run_child(CHILD, name, str(CORE), env=envs[mode]))
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
                target, ok = "<= 1.3x, no Pillow/numpy", ratio <= 1.3 and not pil
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
