"""LOCAL_PERSIST_STATE (what the compose image sets): the bucket and table survive a restart of
the local stack in the same state directory."""

import json

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


def test_a_save_reads_only_what_changed_since_the_last_and_restores_it_all(moto_endpoint: str, tmp_path) -> None:
    """compose stop gives the save 10 s: an object unchanged since the previous snapshot is
    hard-linked from it (same inode), not read again; a rewritten one is read anew."""
    from local import REPO_ROOT
    from local.aws import client, create_resources, snapshot
    from local.template import load

    template = load(REPO_ROOT / "template.yaml", aws_url=moto_endpoint, name_prefix="snapshot-incremental")
    create_resources(moto_endpoint, template)
    bucket = next(iter(template.buckets.values())).name
    table = next(iter(template.tables.values())).name
    s3, ddb = client("s3", moto_endpoint), client("dynamodb", moto_endpoint)
    for n in range(3):
        s3.put_object(
            Bucket=bucket,
            Key=f"originals/o/{n}",
            Body=bytes([n]) * 1000,
            ContentType="image/png",
            Metadata={"n": str(n)},
        )
    ddb.put_item(TableName=table, Item={"pk": {"S": "OWNER#o"}, "sk": {"S": "IMAGE#1"}, "b": {"B": b"\x00\xff"}})
    data = tmp_path / "data"

    def inodes() -> dict[str, int]:
        state = json.loads((data / "state.json").read_text())
        return {obj["key"]: (data / obj["blob"]).stat().st_ino for obj in state["objects"]}

    snapshot.save(moto_endpoint, template, data)
    first = inodes()
    s3.put_object(
        Bucket=bucket, Key="originals/o/1", Body=b"rewritten", ContentType="image/jpeg", Metadata={"n": "new"}
    )
    snapshot.save(moto_endpoint, template, data)
    second = inodes()
    assert second["originals/o/0"] == first["originals/o/0"] and second["originals/o/2"] == first["originals/o/2"]
    assert second["originals/o/1"] != first["originals/o/1"]

    for n in range(3):
        s3.delete_object(Bucket=bucket, Key=f"originals/o/{n}")
    ddb.delete_item(TableName=table, Key={"pk": {"S": "OWNER#o"}, "sk": {"S": "IMAGE#1"}})
    snapshot.restore(moto_endpoint, data)
    kept = s3.get_object(Bucket=bucket, Key="originals/o/2")
    assert (
        kept["Body"].read() == b"\x02" * 1000 and kept["ContentType"] == "image/png" and kept["Metadata"] == {"n": "2"}
    )
    rewritten = s3.get_object(Bucket=bucket, Key="originals/o/1")
    assert rewritten["Body"].read() == b"rewritten" and rewritten["Metadata"] == {"n": "new"}
    item = ddb.get_item(TableName=table, Key={"pk": {"S": "OWNER#o"}, "sk": {"S": "IMAGE#1"}})["Item"]
    assert item["b"] == {"B": b"\x00\xff"}
