"""8. Delivery: the cost of signing one rendition URL (imageapi.adapters.signing), per mode.

Both signers run in-process with no network call (the CloudFront key is loaded before timing,
as a warm container has it). Reported: median µs per URL over several rounds of N signatures,
each for a distinct key (a gallery page signs thumbnail + display for every card).

Then requests and bytes per gallery view, first view and reload, in Chromium against a local
stack (``bench/gallery.py``), with their targets from issue 12.
"""

from __future__ import annotations

import statistics
import sys
import time
from typing import Any

from bench.common import CORE, ROOT, Row

N_URLS = 2000
ROUNDS = 5


def _time_per_url(sign: Any, keys: list[str], rounds: int) -> list[float]:
    results = []
    for _ in range(rounds):
        started = time.perf_counter()
        for key in keys:
            sign(key)
        results.append((time.perf_counter() - started) / len(keys) * 1e6)
    return results


def run(rounds: int = ROUNDS, gallery: bool = True) -> tuple[list[Row], dict[str, Any]]:
    rows, details = _signing(rounds)
    if gallery:
        from bench import gallery as views

        sys.path.insert(0, str(ROOT))
        gallery_rows, gallery_details = views.run()
        rows += gallery_rows
        details.update(gallery_details)
    return rows, details


def _signing(rounds: int) -> tuple[list[Row], dict[str, Any]]:
    sys.path.insert(0, str(CORE))
    from botocore.credentials import ReadOnlyCredentials
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    from imageapi.adapters.signing import CloudFrontRenditionSigner, S3RenditionSigner

    pem = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    cdn = CloudFrontRenditionSigner("https://d111111abcdef8.cloudfront.net", "K2JCJMDEHXQW5F", pem)
    creds = ReadOnlyCredentials("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "token" * 60)
    s3 = S3RenditionSigner("image-api-dev-123456789012-eu-west-1", "eu-west-1", lambda: creds)
    keys = [f"renditions/YWxpY2U/01ARZ3NDEKTSV4RRFFQ69G{n:04d}/thumbnail" for n in range(N_URLS)]
    cdn.sign(keys[0])  # loads the key, as the first request of a container does

    details: dict[str, Any] = {"urls_per_round": N_URLS, "rounds": rounds}
    rows = []
    for mode, signer in (("cdn (CloudFront, RSA-2048 SHA-1)", cdn), ("s3 (SigV4 presign)", s3)):
        # A new version per round: every signature is a real one, not a hit in the window's memo.
        fresh = [
            _time_per_url(lambda key, s=signer, r=r: s.sign(key, version=f"r{r}"), keys, 1)[0] for r in range(rounds)
        ]
        warm = _time_per_url(lambda key, s=signer: s.sign(key, version="r0"), keys, rounds)
        median, median_warm = statistics.median(fresh), statistics.median(warm)
        details[mode] = {
            "us_per_url_signed": [round(v, 1) for v in fresh],
            "us_per_url_memoised": [round(v, 2) for v in warm],
        }
        rows.append(Row("8 delivery", f"signing cost per URL, {mode}", round(median, 1), "µs", "report"))
        rows.append(Row("8 delivery", f"same URL again in its window (memo), {mode}", round(median_warm, 2), "µs"))
        page = median * 100 * 2 / 1000
        rows.append(Row("8 delivery", f"signing a 100-card page (thumbnail + display), {mode}", round(page, 1), "ms"))
    rows += _srcset_signing(cdn, rounds, details)
    return rows, details


def _srcset_signing(cdn: Any, rounds: int, details: dict[str, Any]) -> list[Row]:
    """A srcset (issue 20): one custom-policy signature over the image's prefix, whatever the widths."""
    from datetime import UTC, datetime

    from imageapi.domain.edge import build_srcset
    from imageapi.domain.models import Analysis, Dimensions, ImageRecord, ImageStatus
    from imageapi.settings import DEFAULT_EDGE_WIDTHS

    now = datetime.now(UTC)
    analysis = Analysis(
        width=4000, height=3000, format="JPEG", mime="image/jpeg", mode="RGB", has_alpha=False, animated=False,
        frames=1, bytes=1, sha256="ab" * 32, md5="cd" * 16,
    )  # fmt: skip
    records = [
        ImageRecord(
            id=f"01ARZ3NDEKTSV4RRFFQ69G{n:04d}",
            owner="bench",
            title="t",
            status=ImageStatus.ready,
            content_type="image/jpeg",
            declared_bytes=1,
            sha256="ab" * 32,
            created_at=now,
            updated_at=now,
            original=Dimensions(width=4000, height=3000, bytes=1),
            analysis=analysis,
        )
        for n in range(200)
    ]
    per_image = []
    for _ in range(rounds):
        cdn._signed_prefixes.cache_clear()  # every round signs anew, as the first list of a window does
        started = time.perf_counter()
        for record in records:
            build_srcset(record, cdn, DEFAULT_EDGE_WIDTHS)
        per_image.append((time.perf_counter() - started) / len(records) * 1e6)
    details["srcset_us_per_image"] = [round(v, 1) for v in per_image]
    value = round(statistics.median(per_image), 1)
    return [
        Row(
            "8 delivery",
            f"signing a srcset of {len(DEFAULT_EDGE_WIDTHS)} widths (one prefix policy per image)",
            value,
            "µs",
            "report",
        ),
        Row(
            "8 delivery",
            "signing a 100-card page with srcsets (+ thumbnail + display)",
            round(value * 100 / 1000, 1),
            "ms",
            "report",
        ),
    ]


if __name__ == "__main__":
    for row in run()[0]:
        print(f"{row.figure}: {row.value} {row.unit}")
