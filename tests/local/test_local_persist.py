"""LOCAL_PERSIST_STATE (what the compose image sets): the bucket and table survive a restart of
the local stack in the same state directory."""

import pytest
import requests
from moto.moto_api._internal.models import moto_api_backend

from local.stack import LocalStack
from tests.harness.http import Client
from tests.harness.images import jpeg


def _upload(stack: LocalStack) -> tuple[Client, str, bytes]:
    client = Client(stack.api_url, stack.token("persist"))
    created, s3 = client.presigned_upload("kept", jpeg(320, 240), "image/jpeg")
    assert created.status_code == 201 and s3 is not None and s3.status_code == 204
    image_id = created.json()["image"]["id"]
    assert client.wait_for(image_id)["status"] == "ready"
    download = client.request("GET", f"/images/{image_id}/download")
    return client, image_id, requests.get(download.headers["location"], timeout=10).content


# moto_api_backend.reset() empties every moto backend of this process, other tests' stacks included:
# this test runs in make test's second pytest process, with the container tests (marker `isolated`).
@pytest.mark.isolated
def test_restart_keeps_the_data(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("LOCAL_PERSIST_STATE", "true")
    with LocalStack(state_dir=tmp_path) as stack:
        _, image_id, original = _upload(stack)
    moto_api_backend.reset()  # moto's state lives in the process: as a new process starts, empty
    with LocalStack(state_dir=tmp_path) as stack:
        client = Client(stack.api_url, stack.token("persist"))
        listed = [item["id"] for item in client.request("GET", "/images").json()["items"]]
        assert listed == [image_id]
        download = client.request("GET", f"/images/{image_id}/download")
        assert download.status_code == 302
        assert requests.get(download.headers["location"], timeout=10).content == original
    moto_api_backend.reset()
    with LocalStack(state_dir=tmp_path / "elsewhere") as stack:  # another state directory: empty
        client = Client(stack.api_url, stack.token("persist"))
        assert client.request("GET", "/images").json()["items"] == []
