"""The HTTP client the stack-based suites share, and the RFC 9457 problem assertion."""

from __future__ import annotations

import time
from typing import Any

import requests


class Client:
    """A bearer-token API client, as a script would use the API."""

    def __init__(self, base: str, token: str | None) -> None:
        self.base = base
        self.session = requests.Session()
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", 60)
        kwargs.setdefault("allow_redirects", False)
        return self.session.request(method, self.base + path, **kwargs)

    def wait_for(self, image_id: str, timeout: float = 60) -> dict[str, Any]:
        """Poll the image until it leaves pending; at the deadline, answer it as it is, for the
        caller's assertion. A 5xx counts as "not yet" (`sam local` answers 502 while a container
        starts on a busy machine); any other error ends the wait with the response."""
        deadline = time.monotonic() + timeout
        while True:
            response = self.request("GET", f"/images/{image_id}")
            if response.status_code < 500:
                assert response.status_code == 200, (response.status_code, response.text[:500])
                image: dict[str, Any] = response.json()
                if image["status"] != "pending":
                    return image
            if time.monotonic() > deadline:
                assert response.status_code == 200, (response.status_code, response.text[:500])
                return image
            time.sleep(0.2)

    def presigned_upload(
        self, title: str, data: bytes, content_type: str
    ) -> tuple[requests.Response, requests.Response | None]:
        """POST /images for a form, then the bytes to S3. (API reply, S3 reply or None)."""
        created = self.request(
            "POST", "/images", json={"title": title, "content_type": content_type, "size": max(1, len(data))}
        )
        if created.status_code != 201:
            return created, None
        upload = created.json()["upload"]
        s3 = requests.post(
            upload["url"], data=upload["fields"], files={"file": ("upload.bin", data, content_type)}, timeout=60
        )
        return created, s3


def assert_problem(response: requests.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.text[:500])
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"] and body["type"].startswith("urn:")
    return body
