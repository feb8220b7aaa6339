"""The CDN's viewer-request function (infra/edge/viewer-request.js, cloudfront-js-2.0) run under
node, and its Python twin (imageapi.domain.edge_request, which the local CDN stand-in runs), over
one table of paths, versions and Accept headers: every answer must be the same, refusal bodies
byte for byte. Then what the answers must be (issue 20)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from imageapi.domain.edge_request import Forward, Refusal, viewer_request
from imageapi.settings import DEFAULT_EDGE_WIDTHS
from tests.harness.node import run_node_script

TOKEN = "YWxpY2U"  # encode_owner("alice")
ID = "01ARZ3NDEKTSV4RRFFQ69G5FAV"
BASE = f"/renditions/{TOKEN}/{ID}/edge"
V = {"v": ["k3j2h4a7b9c0d"]}
CHROME = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8"

# (uri, query, Accept lines) -> the format class, or the refusal's slug
ACCEPTS: list[tuple[list[str], str]] = [
    ([CHROME], "avif"),
    (["image/avif,image/webp,*/*"], "avif"),  # Firefox
    (["image/webp,image/png,image/svg+xml,image/*;q=0.8,video/*;q=0.8,*/*;q=0.5"], "webp"),  # Safari 14
    (["image/png,image/svg+xml,image/*;q=0.8,*/*;q=0.5"], "jpeg"),  # an older browser: wildcards promise nothing
    (["*/*"], "jpeg"),
    ([""], "jpeg"),
    ([], "jpeg"),
    (["image/avif;q=0"], "jpeg"),
    (["image/avif;q=0, image/webp;q=0.5"], "webp"),
    (["IMAGE/AVIF"], "avif"),
    (["image/avif;q=bogus, image/webp"], "webp"),
    (["image/avif;q=0.5abc"], "jpeg"),  # parseFloat would read 0.5: the qvalue grammar decides
    (["image/avif;q=1.0001"], "jpeg"),
    (["image/avif;q=1.5"], "jpeg"),
    (["image/avif;q=.5"], "jpeg"),
    (["image/avif;q=1."], "avif"),
    (["image/avif;q=0.001"], "avif"),
    (["image/avif;q=0.000, image/webp;q=1.000"], "webp"),
    (["image/avif ; q=0.9"], "avif"),
    (["image/avif;\tq=1"], "avif"),
    ([" image/avif"], "avif"),
    (["image/avif\u00a0"], "jpeg"),  # a no-break space is not optional whitespace
    (["image/avif;level=1;q=0"], "jpeg"),
    (["image/avif;q=0;q=1"], "jpeg"),  # the first weight counts
    (["image/jpeg", "image/webp"], "webp"),  # two Accept lines count together
    (["image/jpeg", "image/avif;q=0", "image/avif"], "avif"),
]
PATHS: list[tuple[str, dict[str, list[str]], str]] = [
    (f"{BASE}/640", V, "ok"),
    (f"{BASE}/160-low", V, "ok"),
    (f"{BASE}/3840-high", V, "ok"),
    (f"{BASE}/640-default", V, "ok"),
    (f"{BASE}/640-best", V, "edge-path"),
    (f"{BASE}/641", V, "edge-width"),
    (f"{BASE}/4096", V, "edge-width"),
    (f"{BASE}/16", V, "edge-width"),
    (f"{BASE}/0640", V, "edge-path"),
    (f"{BASE}/12345", V, "edge-path"),
    (f"{BASE}/640/", V, "edge-path"),
    (f"{BASE}/640\n", V, "edge-path"),
    (f"{BASE}/-640", V, "edge-path"),
    (f"{BASE}/k3j2h4a7b9c0d/640_default_avif", V, "edge-path"),  # a stored object is never asked for directly
    (f"/renditions/{TOKEN}/{ID}/thumbnail", V, "edge-path"),
    (f"/renditions/{TOKEN}/{ID.lower()}/edge/640", V, "edge-path"),
    (f"/renditions/{TOKEN}/{ID[:-1]}/edge/640", V, "edge-path"),
    (f"/renditions/{TOKEN}/{ID[:-1]}U/edge/640", V, "edge-path"),  # U is no Crockford digit
    (f"/renditions/{TOKEN}/{ID}1/edge/640", V, "edge-path"),
    (f"/renditions/{TOKEN}/{ID}/../01ARZ3NDEKTSV4RRFFQ69G5FAW/edge/640", V, "edge-path"),
    (f"/renditions/{TOKEN}%2F..%2Fx/{ID}/edge/640", V, "edge-path"),
    (f"/renditions/a.b/{ID}/edge/640", V, "edge-path"),
    (f"//renditions/{TOKEN}/{ID}/edge/640", V, "edge-path"),
    (f"/renditions//{ID}/edge/640", V, "edge-path"),
    (f"{BASE}/640", {}, "edge-version"),
    (f"{BASE}/640", {"v": ["a", "b"]}, "edge-version"),
    (f"{BASE}/640", {"v": [""]}, "edge-version"),
    (f"{BASE}/640", {"v": ["K3J2"]}, "edge-version"),
    (f"{BASE}/640", {"v": ["a" * 33]}, "edge-version"),
    (f"{BASE}/640", {"v": ["k3%2Fj"]}, "edge-version"),
    (f"{BASE}/640", {"v": ["k3j2\n"]}, "edge-version"),
    (f"{BASE}/640", {"v": ["a" * 32], "Policy": ["x"], "Signature": ["y"]}, "ok"),  # other parameters stay
]
TABLE = [(uri, query, accept) for uri, query, _ in PATHS for accept in ([CHROME],)] + [
    (f"{BASE}/640", V, accept) for accept, _ in ACCEPTS
]


def _python(widths: tuple[int, ...]) -> list[dict[str, Any]]:
    answers: list[dict[str, Any]] = []
    for uri, query, accept in TABLE:
        result = viewer_request(uri, query, accept, widths)
        if isinstance(result, Refusal):
            answers.append({"status": result.status, "headers": result.headers, "body": result.body()})
        else:
            answers.append({"uri": result.uri, "format": result.format})
    return answers


def _javascript(widths: tuple[int, ...] | None) -> list[dict[str, Any]]:
    cases = [{"uri": uri, "query": query, "accept": accept} for uri, query, accept in TABLE]
    args = [",".join(map(str, widths))] if widths else []
    return json.loads(run_node_script("tests/harness/viewer_request.mjs", *args, stdin=json.dumps(cases)))


@pytest.mark.parametrize("widths", [None, (320, 640, 1080)], ids=["template default", "custom allow-list"])
def test_the_javascript_and_its_python_twin_answer_every_request_the_same(widths: tuple[int, ...] | None) -> None:
    javascript = _javascript(widths)
    python = _python(widths or DEFAULT_EDGE_WIDTHS)
    assert len(javascript) == len(python) == len(TABLE)
    different = [(TABLE[i], js, py) for i, (js, py) in enumerate(zip(javascript, python, strict=True)) if js != py]
    assert different == []


@pytest.mark.parametrize(("uri", "query", "expected"), PATHS, ids=[p[0].removeprefix(BASE) + str(p[1]) for p in PATHS])
def test_paths_outside_the_contract_are_refused_before_any_origin(uri: str, query: dict, expected: str) -> None:
    result = viewer_request(uri, query, [CHROME], DEFAULT_EDGE_WIDTHS)
    if expected == "ok":
        assert isinstance(result, Forward)
    else:
        assert isinstance(result, Refusal) and result.status == 400 and result.slug == expected
        problem = json.loads(result.body())
        assert problem["status"] == 400 and problem["type"].endswith(expected) and problem["detail"]


@pytest.mark.parametrize(("accept", "expected"), ACCEPTS, ids=[repr(a) for a, _ in ACCEPTS])
def test_accept_reduces_to_one_format_class(accept: list[str], expected: str) -> None:
    result = viewer_request(f"{BASE}/640", V, accept, DEFAULT_EDGE_WIDTHS)
    assert isinstance(result, Forward) and result.format == expected
    assert result.uri == f"{BASE}/k3j2h4a7b9c0d/640_default_{expected}"  # the format is in the cache key


def test_the_rewrite_names_the_object_key_with_quality_and_version() -> None:
    low = viewer_request(f"{BASE}/160-low", {"v": ["abc"]}, ["image/webp"], DEFAULT_EDGE_WIDTHS)
    assert low == Forward(f"{BASE}/abc/160_low_webp", "webp")
    default = viewer_request(f"{BASE}/640-default", {"v": ["abc"]}, [], DEFAULT_EDGE_WIDTHS)
    assert default == viewer_request(f"{BASE}/640", {"v": ["abc"]}, [], DEFAULT_EDGE_WIDTHS)  # one key per object
    narrow = viewer_request(f"{BASE}/640", V, [], (320,))
    assert isinstance(narrow, Refusal) and "320" in narrow.detail  # the allow-list is the parameter's
