"""template.yaml and the code agree: every function has a real handler, every HttpApi route is
served by the function the template sends it to, and every sample event in events/ targets a
route that exists and is answered by its handler without a 5xx."""

import json
import re
from pathlib import Path
from typing import Any

import pytest

from local.template import load, load_yaml
from tests.integration.handlers.conftest import FakeContext, _load_handler_module

ROOT = Path(__file__).resolve().parents[3]
TEMPLATE = load(ROOT / "template.yaml")
TEMPLATE_RESOURCES = load_yaml(ROOT / "template.yaml")["Resources"]
HTTP_FUNCTIONS = {fn.logical_id: fn for fn in TEMPLATE.functions.values() if fn.routes}


def _powertools_path(path: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", path) + "$")


@pytest.mark.parametrize("function", sorted(TEMPLATE.functions), ids=str)
def test_every_function_has_a_real_handler(function: str) -> None:
    spec = TEMPLATE.functions[function]
    module = _load_handler_module(spec.code_dir.name)
    assert callable(getattr(module, spec.handler.rpartition(".")[2]))


@pytest.mark.parametrize(
    ("function", "route"), [(f, r) for f, fn in sorted(HTTP_FUNCTIONS.items()) for r in fn.routes], ids=str
)
def test_every_route_is_served_by_its_function(function: str, route: Any) -> None:
    module = _load_handler_module(TEMPLATE.functions[function].code_dir.name)
    paths = module.app.get_openapi_schema().paths or {}
    served = [(method.upper(), path) for path, item in paths.items() for method in item.model_dump(exclude_none=True)]
    sample = route.path.replace("{id}", "01ARZ3NDEKTSV4RRFFQ69G5FAV")
    assert any(method == route.method and _powertools_path(path).match(sample) for method, path in served), (
        f"{route.route_key} is not served by {function}: {served}"
    )


@pytest.mark.parametrize("sample", sorted(p.name for p in (ROOT / "events").glob("*.json")))
def test_sample_events_target_template_routes(sample: str, aws: Any) -> None:
    event = json.loads((ROOT / "events" / sample).read_text())
    if "Records" in event:
        assert event["Records"][0]["eventSource"] in ("aws:sqs", "aws:dynamodb")
        return
    if "RequestType" in event:  # a CloudFormation custom resource request (tests/integration/test_cdnkeys.py)
        custom = [r for r in TEMPLATE_RESOURCES.values() if r["Type"] == event["ResourceType"]]
        assert custom, f"{sample}: no {event['ResourceType']} in the template"
        assert set(event["ResourceProperties"]) - {"ServiceToken"} <= set(custom[0]["Properties"])
        return
    if ".lambda-url." in event["requestContext"].get("domainName", ""):  # CloudFront through a function URL
        (spec,) = [fn for fn in TEMPLATE.functions.values() if fn.function_url]
        result = _load_handler_module(spec.code_dir.name).handler(event, FakeContext())
        assert result["statusCode"] == 404  # the sample names no image: a problem, not a crash
        assert result["headers"]["Content-Type"] == "application/problem+json"
        return
    owners = [f for f, fn in HTTP_FUNCTIONS.items() if any(r.route_key == event["routeKey"] for r in fn.routes)]
    assert len(owners) == 1, f"{sample}: {event['routeKey']} is not a template route"
    assert _powertools_path(event["routeKey"].split(" ", 1)[1]).match(event["rawPath"])
    module = _load_handler_module(TEMPLATE.functions[owners[0]].code_dir.name)
    result = module.handler(event, FakeContext())
    # 502/504 are honest answers for a URL-import sample whose source is out of reach here.
    assert result["statusCode"] not in (500, 503), result
    if result["statusCode"] >= 400:
        assert result["headers"]["Content-Type"] == "application/problem+json"
