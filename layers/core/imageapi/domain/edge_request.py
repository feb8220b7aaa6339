"""The viewer-request function of the renditions CDN, in Python: the twin of
``infra/edge/viewer-request.js`` (CloudFront Functions, cloudfront-js-2.0), which the local CDN
stand-in runs on every edge request. Both refuse the same requests with the same problem and
rewrite the rest to the same object key; tests/unit/test_edge_request.py runs the JavaScript
under node over one table of requests and compares the answers with these.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from imageapi.domain.edge import SEGMENT, VERSION_PATTERN, FormatClass
from imageapi.domain.errors import PROBLEM_TYPE_BASE
from imageapi.domain.formats import negotiate

FORMAT_HEADER = "x-image-format"  # the normalised Accept: in the cache key, read by the renderer
# fullmatch, as the JavaScript's /^…$/ (Python's "$" would also match before a final newline)
_PATH = re.compile(
    r"/renditions/([A-Za-z0-9_-]{1,512})/([0-9A-HJKMNP-TV-Z]{26})/edge/([1-9][0-9]{0,3})(?:-(low|default|high))?"
)


@dataclass(frozen=True)
class Forward:
    """The request goes on to the cache (and on a miss to the origins) as ``uri``."""

    uri: str
    format: FormatClass


@dataclass(frozen=True)
class Refusal:
    """The function's own answer: nothing reaches the cache or an origin."""

    status: int
    slug: str
    detail: str

    def problem(self) -> dict[str, object]:
        return {
            "type": PROBLEM_TYPE_BASE + self.slug,
            "title": "Malformed request",
            "status": self.status,
            "detail": self.detail,
        }

    def body(self) -> str:
        # JSON.stringify's spelling: no spaces, keys in insertion order, non-ASCII as is.
        return json.dumps(self.problem(), separators=(",", ":"), ensure_ascii=False)

    headers = {"content-type": "application/problem+json", "cache-control": "no-store"}


def _refuse(slug: str, detail: str) -> Refusal:
    return Refusal(400, slug, detail)


def viewer_request(
    uri: str, query: Mapping[str, Sequence[str]], accept: Sequence[str], widths: tuple[int, ...]
) -> Forward | Refusal:
    """``uri``: the request's path as received; ``query``: each parameter's values in order;
    ``accept``: every Accept header line (none, one or more); ``widths``: the allow-list."""
    match = _PATH.fullmatch(uri)
    if match is None:
        return _refuse(
            "edge-path", "not an edge rendition: /renditions/{owner}/{id}/edge/{width}, optionally -low or -high"
        )
    width = int(match[3])
    if width not in widths:
        listed = ", ".join(str(w) for w in widths)
        return _refuse("edge-width", f"width {width} is not offered; the widths are {listed}")
    versions = list(query.get("v", ()))
    if len(versions) != 1 or not VERSION_PATTERN.fullmatch(versions[0]):
        return _refuse("edge-version", "v (the image version its srcset names) is missing or malformed")
    fmt: FormatClass = negotiate(",".join(accept))  # type: ignore[assignment]  # avif, webp or jpeg
    quality = match[4] or "default"
    owner, image_id, version = match[1], match[2], versions[0]
    return Forward(f"/renditions/{owner}/{image_id}/{SEGMENT}/{version}/{width}_{quality}_{fmt}", fmt)
