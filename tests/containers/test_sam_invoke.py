"""Every function, as `sam build` packaged it with its layers, answers its events/ sample through
`sam local invoke` in a Lambda container the way the in-process handler answers it; and imports
there from /var/task and /opt alone (never from the repository, which is not in the container)."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from local import REPO_ROOT
from local.aws import LocalAwsServer, create_resources
from local.containers.engine import DockerEngine
from local.containers.samdev import SAM, LocalBuild, sam_env, write_env_vars
from local.runtime.handlers import HandlerRegistry
from local.stack import _forget_cached_configuration, local_environment
from local.template import FunctionSpec, LocalTemplate, load, load_yaml

EVENTS = REPO_ROOT / "events"
TEMPLATE = load(REPO_ROOT / "template.yaml")
ALL_SAMPLES = sorted(p.name for p in EVENTS.glob("*.json"))
# URL-import samples name example.com: both runs get an address the SSRF guard refuses without
# sending anything (the containers have no route out, and the tests send nothing off the machine).
OFF_MACHINE_URL, REFUSED_URL = "https://example.com/photo.jpg", "http://10.0.0.1/photo.jpg"


def is_custom_resource(event: dict[str, Any]) -> bool:
    return "RequestType" in event and "ResponseURL" in event


def function_for(event: dict[str, Any]) -> FunctionSpec:
    if is_custom_resource(event):  # CloudFormation calls the function its ServiceToken names
        resource = load_yaml(REPO_ROOT / "template.yaml")["Resources"][event["LogicalResourceId"]]
        return TEMPLATE.functions[resource["Properties"]["ServiceToken"]["Fn::GetAtt"][0]]
    if "Records" in event:  # the table's stream, or a queue: the delivery queue carries EventBridge events
        record = event["Records"][0]
        if record["eventSource"] == "aws:dynamodb":
            (fn,) = [fn for fn in TEMPLATE.functions.values() if fn.stream_triggers]
            return fn
        queue = "DeliveryQueue" if "detail" in json.loads(record["body"]) else "IngestQueue"
        (fn,) = [fn for fn in TEMPLATE.functions.values() if any(t.queue_id == queue for t in fn.sqs_triggers)]
        return fn
    if ".lambda-url." in event["requestContext"].get("domainName", ""):  # CloudFront through a function URL
        (fn,) = [fn for fn in TEMPLATE.functions.values() if fn.function_url]
        return fn
    (fn,) = [fn for route, fn in TEMPLATE.routes if route.route_key == event["routeKey"]]
    return fn


def sample(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / name).read_text().replace(OFF_MACHINE_URL, REFUSED_URL))


# A custom resource answers CloudFormation's pre-signed URL, not its caller, so there is no answer
# to compare: its handler runs in-process in tests/integration/handlers/test_cdnkeys.py, and its
# built package imports in a container below like every other function's.
SAMPLES = [name for name in ALL_SAMPLES if not is_custom_resource(sample(name))]


@pytest.fixture(scope="module")
def endpoint(engine: DockerEngine) -> Iterator[tuple[str, LocalTemplate]]:
    """The local AWS endpoint on the bridge's gateway address: the containers and this process
    both reach it there."""
    server = LocalAwsServer(host=engine.bridge_gateway(), port=0)
    server.start()
    url = f"http://{engine.bridge_gateway()}:{server.port}"
    yield url, load(REPO_ROOT / "template.yaml", aws_url=url)
    server.stop()


def fresh_resources(url: str, template: LocalTemplate) -> None:
    requests.post(f"{url}/moto-api/reset", timeout=30).raise_for_status()
    create_resources(url, template)


def in_process(fn: FunctionSpec, event: dict[str, Any], env: dict[str, str | None]) -> Any:
    saved = {name: os.environ.get(name) for name in env}
    try:
        for name, value in env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        _forget_cached_configuration()
        return HandlerRegistry(fn.layer_dirs).invoke(fn, event)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        _forget_cached_configuration()


def sam_invoke(build: LocalBuild, fn: FunctionSpec, event: dict[str, Any], env_vars: Path, tmp: Path) -> Any:
    event_file = tmp / "event.json"
    event_file.write_text(json.dumps(event))
    result = subprocess.run(
        [
            str(SAM),
            "local",
            "invoke",
            fn.logical_id,
            "--template",
            str(build.template),
            "--event",
            str(event_file),
            "--env-vars",
            str(env_vars),
            "--invoke-image",
            build.image,
            "--skip-pull-image",
            *build.overrides,
        ],
        env=sam_env(build.engine),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    lines = [line for line in result.stdout.split("\n") if line.strip()]  # a body may hold U+2028
    assert lines, f"no answer from {fn.logical_id}:\n{result.stderr[-4000:]}"
    answer = json.loads(lines[-1])
    # An import that fails in the container (a module missing from a layer) is an errorType here.
    assert not (isinstance(answer, dict) and "errorType" in answer), f"{answer}\n{result.stderr[-4000:]}"
    return answer


def test_every_function_has_a_sample() -> None:
    covered = {function_for(sample(name)).logical_id for name in ALL_SAMPLES}
    assert covered == set(TEMPLATE.functions), set(TEMPLATE.functions) - covered


@pytest.fixture(scope="module")
def answers(
    local_build: LocalBuild, endpoint: tuple[str, LocalTemplate], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, tuple[Any, Any]]:
    """{sample: (in-process answer, container answer)}. In-process one by one, each on fresh
    resources; then the containers, two at once (no sample touches another's data), on fresh
    resources too: `sam local invoke` costs seconds each, most of it the CLI and a new container."""
    url, template = endpoint
    env = local_environment(template, url, {})
    tmp = tmp_path_factory.mktemp("invoke")
    env_vars = write_env_vars(tmp / "env.json", env)
    expected = {}
    for name in SAMPLES:
        fresh_resources(url, template)
        expected[name] = in_process(function_for(sample(name)), sample(name), env)
    fresh_resources(url, template)

    def run(name: str) -> Any:
        folder = tmp / name.removesuffix(".json")
        folder.mkdir()
        try:
            return sam_invoke(local_build, function_for(sample(name)), sample(name), env_vars, folder)
        except AssertionError as exc:  # reported by the sample's own test
            return exc

    # One at a time. `sam local invoke` rebuilds the image of a function's template-defined layers
    # on every call, and functions with the same layers share that image's name: two calls at once
    # raced on it (one container started from the image the other was replacing), and on a busy
    # machine parallel cold starts also ran past the functions' 10 s timeout.
    got = {name: run(name) for name in SAMPLES}
    return {name: (expected[name], got[name]) for name in SAMPLES}


@pytest.mark.parametrize("name", SAMPLES)
def test_sample_answers_in_its_container_as_in_process(name: str, answers: dict[str, tuple[Any, Any]]) -> None:
    expected, answer = answers[name]
    if isinstance(answer, AssertionError):
        raise answer
    if "Records" in sample(name):
        assert answer == expected
        return
    assert answer["statusCode"] == expected["statusCode"], (answer, expected)
    headers = {k.lower(): v for k, v in (answer.get("headers") or {}).items()}
    want = {k.lower(): v for k, v in (expected.get("headers") or {}).items()}
    assert headers.get("content-type") == want.get("content-type")
    if headers.get("content-type", "").startswith("application/json"):
        # generated ids and timestamps differ; the fields do not
        assert set(json.loads(answer["body"] or "{}")) == set(json.loads(expected["body"] or "{}"))


# ---------------------------------------------------------------- imports from /var/task and /opt alone


def _resolved(layer: dict[str, Any], template: dict[str, Any]) -> dict[str, Any] | None:
    """A layer reference with `Fn::If` decided by the parameters' defaults (as built); None for
    AWS::NoValue. Conditions here are `Fn::Equals [Ref Parameter, value]` (e.g. HeicEnabled)."""
    if "Fn::If" not in layer:
        return None if layer.get("Ref") == "AWS::NoValue" else layer
    condition, when_true, when_false = layer["Fn::If"]
    left, right = template["Conditions"][condition]["Fn::Equals"]
    value = str(template["Parameters"][left["Ref"]]["Default"])
    return _resolved(when_true if value == str(right) else when_false, template)


def built_functions(build: LocalBuild) -> dict[str, tuple[Path, list[Path]]]:
    """{function: (its built code, its built layers in order)} from the built template."""
    built = load_yaml(build.template)
    base = build.template.parent
    resources = built["Resources"]
    global_layers = (built.get("Globals", {}).get("Function", {}) or {}).get("Layers", [])
    out = {}
    for lid, res in resources.items():
        if res["Type"] != "AWS::Serverless::Function":
            continue
        layers = [_resolved(layer, built) for layer in [*global_layers, *res["Properties"].get("Layers", [])]]
        dirs = [base / resources[layer["Ref"]]["Properties"]["ContentUri"] for layer in layers if layer]
        out[lid] = (base / res["Properties"]["CodeUri"], dirs)
    return out


CHILD = """
import importlib, json, sys
for name in ("local", "tests"):
    try:
        importlib.import_module(name)
    except ModuleNotFoundError:
        continue
    sys.exit(name + " is importable in the container: the repository leaked in")
module = importlib.import_module("app")
assert callable(module.handler)
print(json.dumps(sorted({m.split(".")[0] for m in sys.modules})))
"""
PROBE = """
import json, os, subprocess, sys
report = {}
for fn, path in json.loads(sys.argv[1]).items():
    env = {**os.environ, "PYTHONPATH": path}
    done = subprocess.run([sys.executable, "-c", sys.argv[2]], env=env, cwd="/fn/" + fn, capture_output=True, text=True)
    report[fn] = {"rc": done.returncode, "stderr": done.stderr[-3000:], "stdout": done.stdout}
print(json.dumps(report))
"""


@pytest.fixture(scope="module")
def imports(local_build: LocalBuild) -> dict[str, dict[str, Any]]:
    """Each function's handler imported in a container of the base image holding only its built
    code (where /var/task would be) and its built layers (what /opt would hold): no network, no
    repository. One container, one fresh interpreter per function."""
    mounts: list[str] = []
    paths: dict[str, str] = {}
    layer_mounts: dict[Path, str] = {}
    for lid, (code, layers) in built_functions(local_build).items():
        mounts += ["-v", f"{code}:/fn/{lid}:ro"]
        entries = [f"/fn/{lid}"]
        for layer in layers:
            if layer not in layer_mounts:
                layer_mounts[layer] = f"/layers/{layer.name}"
                mounts += ["-v", f"{layer}:{layer_mounts[layer]}:ro"]
            entries.append(f"{layer_mounts[layer]}/python")
        paths[lid] = ":".join([*entries, "/var/runtime"])
    result = local_build.engine.docker(
        "run",
        "--rm",
        "--network",
        "none",
        *mounts,
        "-e",
        "POWERTOOLS_TRACE_DISABLED=true",
        "-e",
        "AWS_DEFAULT_REGION=us-east-1",
        "--entrypoint",
        "/var/lang/bin/python3.12",
        local_build.image,
        "-c",
        PROBE,
        json.dumps(paths),
        CHILD,
        check=False,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().split("\n")[-1])


@pytest.mark.parametrize("function", sorted(TEMPLATE.functions))
def test_handler_imports_from_the_package_and_layers_alone(function: str, imports: dict[str, dict[str, Any]]) -> None:
    probe = imports[function]
    assert probe["rc"] == 0, f"{function}: {probe['stderr']}"
    loaded = set(json.loads(probe["stdout"]))
    fn = TEMPLATE.functions[function]
    if not any(part in ("pillow", "ml") for d in fn.layer_dirs for part in d.parts):
        # functions that don't touch pixels never import Pillow, numpy or the ML runtime
        assert not loaded & {"PIL", "numpy", "onnxruntime"}, (function, loaded)
