"""The typed layer over the generated client: one object, ``ImageAPI``, for what a program does with
the service. Every call goes through the generated functions (``generated/api/...``); this layer
adds what they cannot do well: the presigned upload streamed from disk, waiting for ``ready`` with
backoff, iterating every page, and one exception type for every RFC 9457 problem.

    from imageapi_client import ImageAPI
    with ImageAPI() as api:                      # IMAGEAPI_URL, IMAGEAPI_TOKEN
        image = api.upload("harbour.jpg", wait=True)
        for item in api.iter_images(status="ready"):
            print(item.id, item.title)
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx

from imageapi_client.errors import ApiProblem, ConnectionFailed, ImageApiError, Timeout
from imageapi_client.generated import Client
from imageapi_client.generated.api.images import (
    create_image,
    delete_image,
    download_image,
    get_image,
    get_image_analysis,
    list_images,
    restore_image,
)
from imageapi_client.generated.api.service import get_health
from imageapi_client.generated.models import (
    Analysis,
    CreatedUpload,
    CreateUploadRequest,
    CreateUploadRequestContentType,
    DownloadLink,
    DuplicateImage,
    Fit,
    Health,
    ImageOut,
    ImageStatus,
    OutputFormat,
    ResizeSpec,
    UploadForm,
    Variant,
)
from imageapi_client.generated.types import UNSET, Response
from imageapi_client.media import content_type_of
from imageapi_client.transport import Backoff, BearerAuth, RetryingClient, RetryPolicy, TokenSource
from imageapi_client.uploads import ProgressCallback, post_form, sha256_of

T = TypeVar("T")
FINAL = (ImageStatus.READY, ImageStatus.REJECTED)


class MissingSetting(ImageApiError):
    pass


def resolve_url(url: str | None) -> str:
    value = url or os.environ.get("IMAGEAPI_URL")
    if not value:
        raise MissingSetting("no API URL: pass url= (--url) or set IMAGEAPI_URL")
    if not value.startswith(("http://", "https://")):
        raise MissingSetting(f"the API URL must start with http:// or https://, not {value!r}")
    return value.rstrip("/")


def resolve_token(token: TokenSource | None) -> TokenSource:
    value = token if token is not None else os.environ.get("IMAGEAPI_TOKEN")
    if not value:
        raise MissingSetting("no token: pass token= (--token) or set IMAGEAPI_TOKEN")
    return value


class ImageAPI:
    """A session with the API. ``url`` and ``token`` default to IMAGEAPI_URL and IMAGEAPI_TOKEN;
    ``token`` may be a callable, asked before every request (a refreshing credential)."""

    def __init__(
        self,
        url: str | None = None,
        token: TokenSource | None = None,
        *,
        timeout: float = 60.0,
        retry: RetryPolicy | None = None,
        connections: int = 10,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = resolve_url(url)
        self._token = resolve_token(token)
        self.sleep, self.clock = sleep, clock
        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        timeouts = httpx.Timeout(timeout, connect=10.0)
        self._last = threading.local()  # the raw answer, for when the generated parser cannot read it
        self.http = RetryingClient(
            base_url=self.url,
            auth=BearerAuth(self._token),
            timeout=timeouts,
            limits=limits,
            retry=retry,
            sleep=sleep,
            event_hooks={"response": [self._remember]},
        )
        # Presigned URLs (uploads to and downloads from the storage) carry their own signature:
        # they never see the token.
        self.storage = RetryingClient(timeout=timeouts, limits=limits, retry=retry, sleep=sleep)
        self.client = Client(base_url=self.url).set_httpx_client(self.http)

    def close(self) -> None:
        self.http.close()
        self.storage.close()

    def __enter__(self) -> ImageAPI:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ plumbing
    def _remember(self, response: httpx.Response) -> None:
        self._last.response = response

    def _call(self, call: Callable[..., Response[Any]], *args: Any, **kwargs: Any) -> Response[Any]:
        self._last.response = None
        try:
            response = call(*args, client=self.client, **kwargs)
        except httpx.TransportError as error:
            raise ConnectionFailed(self.url, error) from error
        except (KeyError, ValueError, TypeError, AttributeError) as error:
            # The generated parser expects the documented bodies; a gateway's own answer (API
            # Gateway's {"message": ...} on a 429 or 403) is none of them.
            raw: httpx.Response | None = self._last.response
            if raw is not None and raw.status_code >= 400:
                raise ApiProblem.from_response(raw) from None
            status = raw.status_code if raw is not None else 0
            raise ApiProblem(
                status=status, title="Unexpected answer", detail=f"{type(error).__name__}: {error}"
            ) from error
        if response.status_code >= 400:
            raise ApiProblem.from_response(response)
        return response

    def _parsed(self, call: Callable[..., Response[Any]], kind: type[T], *args: Any, **kwargs: Any) -> T:
        response = self._call(call, *args, **kwargs)
        if not isinstance(response.parsed, kind):
            raise ApiProblem(
                status=response.status_code,
                title="Unexpected answer",
                detail=f"expected {kind.__name__}, got {response.content[:200]!r}",
            )
        return response.parsed

    # ------------------------------------------------------------------ reads
    def health(self) -> Health:
        return self._parsed(get_health.sync_detailed, Health)

    def get(self, image_id: str) -> ImageOut:
        return self._parsed(get_image.sync_detailed, ImageOut, image_id)

    def analysis(self, image_id: str) -> Analysis:
        return self._parsed(get_image_analysis.sync_detailed, Analysis, image_id)

    def iter_images(
        self, *, status: ImageStatus | str | None = None, q: str | None = None, page_size: int = 100
    ) -> Iterator[ImageOut]:
        """Every image of a list (newest first; ``status="deleted"``: the trash), page after page."""
        from imageapi_client.generated.models import ImagePage

        wanted = ImageStatus(status) if status else UNSET
        cursor: str | None = None
        while True:
            page = self._parsed(
                list_images.sync_detailed,
                ImagePage,
                limit=page_size,
                cursor=cursor if cursor else UNSET,
                q=q or UNSET,
                status=wanted,
            )
            yield from page.items
            cursor = page.next_cursor if isinstance(page.next_cursor, str) else None
            if not cursor:
                return

    # ------------------------------------------------------------------ changes
    def delete(self, image_id: str, *, permanent: bool = False) -> None:
        self._call(delete_image.sync_detailed, image_id, permanent=permanent)

    def restore(self, image_id: str) -> ImageOut:
        return self._parsed(restore_image.sync_detailed, ImageOut, image_id)

    # ------------------------------------------------------------------ upload
    def create_upload(
        self,
        title: str,
        content_type: str,
        size: int,
        *,
        sha256: str | None = None,
        resize: ResizeSpec | None = None,
    ) -> CreatedUpload | DuplicateImage:
        """Ask for a presigned form (201 CreatedUpload), or learn that a ready image already holds
        these bytes (200 DuplicateImage: nothing to upload)."""
        body = CreateUploadRequest(
            title=title,
            content_type=CreateUploadRequestContentType(content_type),
            size=size,
            sha256=sha256 if sha256 else UNSET,
            resize=resize if resize else UNSET,
        )
        response = self._call(create_image.sync_detailed, body=body)
        if not isinstance(response.parsed, CreatedUpload | DuplicateImage):
            raise ApiProblem(status=response.status_code, title="Unexpected answer", detail=str(response.content[:200]))
        return response.parsed

    def send_file(
        self, form: UploadForm, path: Path, content_type: str, *, on_progress: ProgressCallback | None = None
    ) -> None:
        """POST the file to its presigned form, streamed from disk. The same bytes to the same key
        may be sent again safely, so a dropped connection is retried here (with backoff)."""
        policy = self.http.retry
        fields = dict(form.fields.additional_properties)
        for attempt in range(policy.attempts):
            try:
                post_form(self.storage, form.url, fields, path, content_type, on_progress=on_progress)
                return
            except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as error:
                if attempt + 1 >= policy.attempts:
                    raise ConnectionFailed(form.url.split("?", 1)[0], error) from error
                self.sleep(policy.wait_for(attempt, None))

    def upload(
        self,
        path: str | Path,
        *,
        title: str | None = None,
        content_type: str | None = None,
        resize: ResizeSpec | None = None,
        wait: bool = False,
        timeout: float = 300.0,
    ) -> ImageOut:
        """Upload one file (sha256 sent, so a file already stored and ready comes back as that
        image without being sent). ``wait``: return once it is ready or rejected."""
        path = Path(path)
        kind = content_type or content_type_of(path)
        if kind is None:
            raise ImageApiError(f"{path}: not an image file this SDK recognises; pass content_type=")
        created = self.create_upload(
            title or path.stem or path.name, kind, path.stat().st_size, sha256=sha256_of(path), resize=resize
        )
        if isinstance(created, DuplicateImage):
            return created.image
        self.send_file(created.upload, path, kind)
        return self.wait(created.image.id, timeout=timeout) if wait else self.get(created.image.id)

    # ------------------------------------------------------------------ waiting
    def wait(self, image_id: str, *, timeout: float = 300.0, backoff: Backoff | None = None) -> ImageOut:
        """Poll until the image is ``ready`` or ``rejected`` (0.1 s, doubling up to 3 s, jittered)."""
        backoff = backoff or Backoff(base=0.1, cap=3.0)
        deadline = self.clock() + timeout
        attempt = 0
        while True:
            image = self.get(image_id)
            if image.status in FINAL:
                return image
            if self.clock() >= deadline:
                raise Timeout(f"image {image_id} is still {image.status.value} after {timeout:g} s")
            self.sleep(backoff.delay(attempt))
            attempt += 1

    # ------------------------------------------------------------------ download
    def download_link(
        self,
        image_id: str,
        *,
        variant: str | None = None,
        width: int | None = None,
        height: int | None = None,
        fit: str | None = None,
        format: str | None = None,
        quality: int | None = None,
    ) -> DownloadLink:
        return self._parsed(
            download_image.sync_detailed,
            DownloadLink,
            image_id,
            variant=Variant(variant) if variant else UNSET,
            w=width if width else UNSET,
            h=height if height else UNSET,
            fit=Fit(fit) if fit else UNSET,
            format_=OutputFormat(format) if format else UNSET,
            quality=quality if quality else UNSET,
            redirect=False,
        )

    def download(self, image_id: str, target: Path | str, **options: Any) -> Path:
        """Stream a variant or transform (``download_link``'s options) into ``target``, written
        under a temporary name and renamed when complete: a failure leaves no partial file."""
        link = self.download_link(image_id, **options)
        target = Path(target)
        self.fetch(link.url, target)
        return target

    def fetch(self, url: str, target: Path, *, on_chunk: Callable[[bytes], None] | None = None) -> None:
        partial = target.with_name(target.name + ".part")
        try:
            with self.storage.stream("GET", url) as response:
                if response.status_code != 200:
                    response.read()
                    raise ApiProblem.from_response(response)
                with partial.open("wb") as out:
                    for chunk in response.iter_bytes(256 * 1024):
                        out.write(chunk)
                        if on_chunk:
                            on_chunk(chunk)
            partial.replace(target)
        except httpx.TransportError as error:
            raise ConnectionFailed(url.split("?", 1)[0], error) from error
        finally:
            partial.unlink(missing_ok=True)
