"""The renditions CDN's edge (issue 20) in template.yaml: the viewer-request function is the file the
tests run under node, with the EdgeWidths parameter as its allow-list; the edge behaviour sends
misses of the bucket to the render function's URL through an origin group; only the normalised
format and v are in the cache key; answers vary on Accept and the renderer's no-store survives."""

from __future__ import annotations

import re
from typing import Any

import pytest

from imageapi.settings import DEFAULT_EDGE_WIDTHS
from tests.template.conftest import REPO_ROOT

pytestmark = pytest.mark.template

VIEWER_REQUEST = REPO_ROOT / "infra" / "edge" / "viewer-request.js"


def _distribution(sam: dict[str, Any]) -> dict[str, Any]:
    return sam["Resources"]["RenditionsDistribution"]["Properties"]["DistributionConfig"]


def test_the_function_is_the_file_with_the_widths_parameter(sam_template: dict[str, Any]) -> None:
    function = sam_template["Resources"]["RenditionsEdgeFunction"]
    assert function["Condition"] == "UseCdn"
    assert function["Properties"]["FunctionConfig"]["Runtime"] == "cloudfront-js-2.0"
    embedded = function["Properties"]["FunctionCode"]["Fn::Sub"]
    source = VIEWER_REQUEST.read_text(encoding="utf-8")
    assert embedded == re.sub(r"^var WIDTHS = \[.*\];$", "var WIDTHS = [${EdgeWidths}];", source, flags=re.M)
    assert embedded.count("${") == 1  # nothing else for Fn::Sub to touch
    listed = re.search(r"^var WIDTHS = \[(.*)\];$", source, flags=re.M)
    assert listed and tuple(int(w) for w in listed.group(1).split(",")) == DEFAULT_EDGE_WIDTHS
    assert len(embedded.encode()) < 10 * 1024  # CloudFront Functions' code size limit


def test_the_widths_parameter_is_the_settings_default_and_only_ever_numbers(sam_template: dict[str, Any]) -> None:
    param = sam_template["Parameters"]["EdgeWidths"]
    assert tuple(int(w) for w in param["Default"].split(",")) == DEFAULT_EDGE_WIDTHS
    pattern = re.compile(param["AllowedPattern"])
    assert pattern.fullmatch(param["Default"])
    for hostile in ("640];var x=1;//", "640,", "0640", "640 ,960", ",".join(["640"] * 33), "12345"):
        assert not pattern.fullmatch(hostile), hostile  # it is written into the function's code
    assert sam_template["Globals"]["Function"]["Environment"]["Variables"]["EDGE_WIDTHS"] == {"Ref": "EdgeWidths"}


def test_the_edge_behaviour_runs_the_function_and_fails_over_to_the_renderer(sam_template: dict[str, Any]) -> None:
    config = _distribution(sam_template)
    patterns = [b["PathPattern"] for b in config["CacheBehaviors"]]
    assert patterns.index("renditions/*/edge/*") < patterns.index("renditions/*")  # the specific one first
    edge = config["CacheBehaviors"][patterns.index("renditions/*/edge/*")]
    assert edge["TrustedKeyGroups"] == [{"Ref": "RenditionsKeyGroup"}]  # unsigned never reaches a function
    assert edge["AllowedMethods"] == ["GET", "HEAD"] and edge["ViewerProtocolPolicy"] == "https-only"
    assert edge["FunctionAssociations"] == [
        {
            "EventType": "viewer-request",
            "FunctionARN": {"Fn::GetAtt": ["RenditionsEdgeFunction", "FunctionMetadata.FunctionARN"]},
        }
    ]
    (group,) = config["OriginGroups"]["Items"]
    assert edge["TargetOriginId"] == group["Id"]
    assert [m["OriginId"] for m in group["Members"]["Items"]] == ["images-bucket", "render-function"]
    assert group["FailoverCriteria"]["StatusCodes"]["Items"] == [403, 404]  # S3 answers 403 for a missing key
    origins = {o["Id"]: o for o in config["Origins"]}
    render = origins["render-function"]
    assert render["OriginAccessControlId"] == {"Fn::GetAtt": ["RenderOriginAccessControl", "Id"]}
    assert render["DomainName"] == {
        "Fn::Select": [2, {"Fn::Split": ["/", {"Fn::GetAtt": ["RenderFunctionUrl", "FunctionUrl"]}]}]
    }
    assert render["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    oac = sam_template["Resources"]["RenderOriginAccessControl"]["Properties"]["OriginAccessControlConfig"]
    assert (oac["OriginAccessControlOriginType"], oac["SigningBehavior"]) == ("lambda", "always")
    assert sam_template["Resources"]["RenderFunction"]["Properties"]["FunctionUrlConfig"] == {"AuthType": "AWS_IAM"}


def test_only_the_normalised_format_and_the_version_are_in_the_cache_key(sam_template: dict[str, Any]) -> None:
    edge = next(b for b in _distribution(sam_template)["CacheBehaviors"] if b["PathPattern"] == "renditions/*/edge/*")
    assert edge["CachePolicyId"] == {"Ref": "RenditionsEdgeCachePolicy"}
    key = sam_template["Resources"]["RenditionsEdgeCachePolicy"]["Properties"]["CachePolicyConfig"]
    parameters = key["ParametersInCacheKeyAndForwardedToOrigin"]
    assert parameters["HeadersConfig"] == {"HeaderBehavior": "whitelist", "Headers": ["x-image-format"]}
    assert parameters["QueryStringsConfig"] == {"QueryStringBehavior": "whitelist", "QueryStrings": ["v"]}
    assert parameters["CookiesConfig"] == {"CookieBehavior": "none"}
    assert "x-image-format" in VIEWER_REQUEST.read_text()  # the header the function sets


def test_answers_vary_on_accept_and_the_renderers_no_store_reaches_the_browser(sam_template: dict[str, Any]) -> None:
    edge = next(b for b in _distribution(sam_template)["CacheBehaviors"] if b["PathPattern"] == "renditions/*/edge/*")
    assert edge["ResponseHeadersPolicyId"] == {"Ref": "RenditionsEdgeResponseHeadersPolicy"}
    policy = sam_template["Resources"]["RenditionsEdgeResponseHeadersPolicy"]["Properties"][
        "ResponseHeadersPolicyConfig"
    ]
    headers = {h["Header"]: h for h in policy["CustomHeadersConfig"]["Items"]}
    assert headers["Vary"]["Value"] == "Accept" and headers["Vary"]["Override"] is True
    assert headers["Cache-Control"]["Override"] is False  # a WebP answered for an AVIF miss says no-store


def test_a_delete_may_invalidate_the_distribution_it_names(sam_template: dict[str, Any]) -> None:
    image = sam_template["Resources"]["ImageFunction"]["Properties"]
    assert image["Environment"]["Variables"]["CDN_DISTRIBUTION_ID"] == {
        "Fn::If": ["UseCdn", {"Ref": "RenditionsDistribution"}, ""]
    }
