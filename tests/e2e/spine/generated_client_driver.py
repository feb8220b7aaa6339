"""Drives the API only through the code openapi-python-client generated from the OpenAPI document
(clients/python, package ``imageapi_client.generated``, committed and kept fresh by
``scripts/gen_client.py --check``), and returns what it saw. Called by test_generated_client.py."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx

from imageapi_client.generated import AuthenticatedClient
from imageapi_client.generated.api.images import (
    create_image,
    delete_image,
    get_image,
    get_image_analysis,
    list_images,
)
from imageapi_client.generated.models import (
    Analysis,
    CreatedUpload,
    CreateUploadRequest,
    CreateUploadRequestContentType,
    ImageOut,
    ImagePage,
    ImageStatus,
    Problem,
)


def drive(api_url: str, token: str, png_path: Path) -> dict[str, Any]:
    data = png_path.read_bytes()
    seen: dict[str, Any] = {}
    client = AuthenticatedClient(base_url=api_url, token=token, raise_on_unexpected_status=True)
    with client as api:
        ask = CreateUploadRequest(
            title="generated client", content_type=CreateUploadRequestContentType.IMAGEPNG, size=len(data)
        )
        created = create_image.sync_detailed(client=api, body=ask)
        seen["create_status"] = created.status_code.value
        assert isinstance(created.parsed, CreatedUpload), created.content[:300]
        image_id = created.parsed.image.id
        form = created.parsed.upload
        # The presigned POST goes to S3 (moto locally), not to the API: plain httpx, as documented.
        stored = httpx.post(
            form.url, data=form.fields.additional_properties, files={"file": ("a.png", data, "image/png")}
        )
        seen["s3_status"] = stored.status_code

        deadline = time.monotonic() + 60
        image = get_image.sync(client=api, image_id=image_id)
        while isinstance(image, ImageOut) and image.status is ImageStatus.PENDING and time.monotonic() < deadline:
            time.sleep(0.2)
            image = get_image.sync(client=api, image_id=image_id)
        assert isinstance(image, ImageOut), image
        seen["status"] = image.status.value
        seen["size"] = [image.width, image.height]
        renditions = image.renditions
        thumbnail = getattr(renditions, "thumbnail", None)
        seen["thumbnail_url"] = getattr(thumbnail, "url", None)
        if seen["thumbnail_url"]:
            seen["thumbnail_fetch"] = httpx.get(seen["thumbnail_url"]).status_code  # no Authorization
        # The srcset (issue 20): a list of SrcsetEntry models in the generated client.
        srcset = image.srcset if isinstance(image.srcset, list) else []
        seen["srcset"] = [[entry.width, entry.url.split("?")[0].rsplit("/", 1)[-1]] for entry in srcset]
        if srcset:
            edge = httpx.get(srcset[0].url, headers={"Accept": "image/avif,image/webp,*/*"}, timeout=60)
            seen["srcset_fetch"] = [edge.status_code, edge.headers.get("content-type"), edge.headers.get("vary")]

        page = list_images.sync(client=api, limit=10)
        assert isinstance(page, ImagePage), page
        seen["listed"] = [item.id for item in page.items]

        analysis = get_image_analysis.sync(client=api, image_id=image_id)
        assert isinstance(analysis, Analysis), analysis
        seen["analysis"] = {"format": analysis.format_, "width": analysis.width, "height": analysis.height}

        deleted = delete_image.sync_detailed(client=api, image_id=image_id)
        seen["delete_status"] = deleted.status_code.value
        gone = get_image.sync_detailed(client=api, image_id=image_id)
        seen["after_delete_status"] = gone.status_code.value
        seen["after_delete_problem"] = isinstance(gone.parsed, Problem)
        seen["image_id"] = image_id
    return seen
