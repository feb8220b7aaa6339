"""The spine through the real handlers on moto: create → bytes in S3 → ingest → read."""

import hashlib
from typing import Any

import boto3
import pytest

from imageapi.domain import keys
from tests.harness.images import jpeg, png

TITLE = "Harbour at dusk"


def create(api: Any, sub: str = "alice", **overrides: Any) -> dict[str, Any]:
    body = {"title": TITLE, "content_type": "image/jpeg", "size": 5_000_000, **overrides}
    reply = api.call("upload", "upload_create.json", body=body, sub=sub)
    assert reply.status == 201, reply.text
    return reply.json()


def put_incoming(aws: Any, owner: str, image_id: str, data: bytes, content_type: str = "image/jpeg") -> str:
    bucket = next(iter(aws.buckets.values())).name
    key = keys.incoming_key(owner, image_id)
    boto3.client("s3").put_object(Bucket=bucket, Key=key, Body=data, ContentType=content_type)
    return key


def objects(aws: Any, prefix: str = "") -> list[str]:
    bucket = next(iter(aws.buckets.values())).name
    listing = boto3.client("s3").list_objects_v2(Bucket=bucket, Prefix=prefix)
    return [item["Key"] for item in listing.get("Contents", [])]


def test_create_returns_a_pending_image_and_a_form_bound_to_its_key(api: Any) -> None:
    created = create(api, size=1234)
    image, upload = created["image"], created["upload"]
    assert image["status"] == "pending" and image["title"] == TITLE
    assert image["links"]["self"] == f"/images/{image['id']}"
    assert upload["fields"]["key"] == keys.incoming_key("alice", image["id"])
    assert upload["fields"]["Content-Type"] == "image/jpeg"
    assert "policy" in upload["fields"] and "x-amz-signature" in upload["fields"]
    import base64
    import json

    policy = json.loads(base64.b64decode(upload["fields"]["policy"]))
    assert ["content-length-range", 1, 1234] in policy["conditions"]


def test_ingest_makes_the_image_ready_with_analysis_and_renditions(api: Any, aws: Any, ingest: Any) -> None:
    image = create(api)["image"]
    data = jpeg(1600, 1200)
    key = put_incoming(aws, "alice", image["id"], data)
    result = ingest(key)
    assert result == {"batchItemFailures": []}

    ready = api.call("image", "image_get.json", path=f"/images/{image['id']}").json()
    assert ready["status"] == "ready"
    assert ready["original"] == {"width": 1600, "height": 1200, "bytes": len(data)}
    assert ready["sha256"] == hashlib.sha256(data).hexdigest()
    analysis = api.call("analyse", "analyse_get.json", path=f"/images/{image['id']}/analysis").json()
    assert (analysis["width"], analysis["height"], analysis["format"], analysis["mime"]) == (
        1600,
        1200,
        "JPEG",
        "image/jpeg",
    )
    assert analysis["md5"] == hashlib.md5(data).hexdigest()
    assert not analysis["has_alpha"] and not analysis["animated"] and analysis["frames"] == 1

    stored = objects(aws, f"renditions/{keys.encode_owner('alice')}/{image['id']}/")
    assert {k.rsplit("/", 1)[1] for k in stored} >= {"thumbnail", "compressed"}
    assert keys.original_key("alice", image["id"]) in objects(aws, "originals/")
    assert key not in objects(aws, "incoming/"), "ingest removes the claimed upload"


def test_redelivered_event_changes_nothing_twice(api: Any, aws: Any, ingest: Any) -> None:
    owner = "redelivery-owner"
    image = create(api, sub=owner, size=100_000)["image"]
    data = png()
    key = put_incoming(aws, owner, image["id"], data, "image/png")
    assert ingest(key, key, key) == {"batchItemFailures": []}
    first = api.call("image", "image_get.json", path=f"/images/{image['id']}", sub=owner).json()
    put_incoming(aws, owner, image["id"], jpeg())  # the same key written again later
    assert ingest(key) == {"batchItemFailures": []}
    second = api.call("image", "image_get.json", path=f"/images/{image['id']}", sub=owner).json()
    assert first == second
    quota = boto3.client("dynamodb").get_item(
        TableName=next(iter(aws.tables.values())).name, Key={"pk": {"S": f"OWNER#{owner}"}, "sk": {"S": "QUOTA"}}
    )["Item"]
    assert quota["images"]["N"] == "1" and quota["bytes"]["N"] == str(len(data))


def test_bytes_that_are_not_an_image_end_rejected_and_deleted(api: Any, aws: Any, ingest: Any) -> None:
    image = create(api, title="not really")["image"]
    key = put_incoming(aws, "alice", image["id"], b"<html><script>alert(1)</script></html>")
    assert ingest(key) == {"batchItemFailures": []}
    rejected = api.call("image", "image_get.json", path=f"/images/{image['id']}").json()
    assert rejected["status"] == "rejected" and rejected["rejection_reason"]
    assert key not in objects(aws, "incoming/")
    problem = api.call("analyse", "analyse_get.json", path=f"/images/{image['id']}/analysis").assert_problem(409)
    assert problem["rejection_reason"] == rejected["rejection_reason"]


def test_a_poison_message_fails_alone(api: Any, aws: Any, ingest: Any, handlers: Any) -> None:
    from tests.integration.handlers.conftest import FakeContext

    image = create(api, title="good one")["image"]
    good = put_incoming(aws, "alice", image["id"], jpeg(64, 64))
    poison = {
        "messageId": "poison",
        "body": "{not json",
        "receiptHandle": "r",
        "attributes": {},
        "eventSource": "aws:sqs",
    }
    event = {"Records": [poison]}
    from tests.integration.handlers.conftest import sqs_event_for_key

    event["Records"].append(sqs_event_for_key(good, "good")["Records"][0])
    result = handlers("ingest").handler(event, FakeContext())
    assert result == {"batchItemFailures": [{"itemIdentifier": "poison"}]}
    assert api.call("image", "image_get.json", path=f"/images/{image['id']}").json()["status"] == "ready"


def test_sha256_of_a_ready_image_answers_duplicate_without_an_upload(api: Any, aws: Any, ingest: Any) -> None:
    owner = "dedupe-owner"
    data = jpeg(100, 80)
    digest = hashlib.sha256(data).hexdigest()
    image = create(api, sub=owner, sha256=digest)["image"]
    ingest(put_incoming(aws, owner, image["id"], data))
    reply = api.call(
        "upload",
        "upload_create.json",
        body={"title": "again", "content_type": "image/jpeg", "size": 10, "sha256": digest},
        sub=owner,
    )
    assert reply.status == 200 and reply.json()["duplicate"] is True
    assert reply.json()["image"]["id"] == image["id"] and "upload" not in reply.json()
    other = api.call(
        "upload",
        "upload_create.json",
        body={"title": "x", "content_type": "image/jpeg", "size": 10, "sha256": digest},
        sub="someone-else",
    )
    assert other.status == 201, "dedupe never crosses owners"


def test_foreign_and_unknown_ids_answer_the_same_404(api: Any) -> None:
    image = create(api)["image"]
    foreign = api.call("image", "image_get.json", path=f"/images/{image['id']}", sub="mallory").assert_problem(404)
    unknown = api.call(
        "image", "image_get.json", path="/images/01ARZ3NDEKTSV4RRFFQ69G5FAV", sub="mallory"
    ).assert_problem(404)
    assert foreign["title"] == unknown["title"]
    api.call("analyse", "analyse_get.json", path=f"/images/{image['id']}/analysis", sub="mallory").assert_problem(404)
    api.call("image", "image_get.json", path="/images/..%2F..%2Fetc", sub="alice").assert_problem(404)


def test_list_pages_newest_first_with_a_tamper_evident_cursor(api: Any) -> None:
    owner = "pager"
    made = [create(api, sub=owner, title=f"photo {i:02d}")["image"]["id"] for i in range(7)]
    seen: list[str] = []
    cursor = None
    while True:
        query = {"limit": "3", **({"cursor": cursor} if cursor else {})}
        page = api.call("list", "list_images.json", query=query, sub=owner).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == list(reversed(made))
    first = api.call("list", "list_images.json", query={"limit": "3"}, sub=owner).json()
    api.call("list", "list_images.json", query={"cursor": first["next_cursor"]}, sub="intruder").assert_problem(400)
    api.call("list", "list_images.json", query={"cursor": first["next_cursor"][:-2] + "xx"}, sub=owner).assert_problem(
        400
    )
    api.call("list", "list_images.json", query={"cursor": "garbage"}, sub=owner).assert_problem(400)
    for bad in ({"limit": "0"}, {"limit": "101"}, {"limit": "ten"}, {"status": "done"}):
        api.call("list", "list_images.json", query=bad, sub=owner).assert_problem(422)


def test_list_filters_by_status_and_title(api: Any, aws: Any, ingest: Any) -> None:
    owner = "filterer"
    ready = create(api, sub=owner, title="Red Fox in Snow")["image"]
    create(api, sub=owner, title="Blue whale")
    ingest(put_incoming(aws, owner, ready["id"], jpeg(50, 50)))
    by_status = api.call("list", "list_images.json", query={"status": "ready"}, sub=owner).json()
    assert [i["id"] for i in by_status["items"]] == [ready["id"]]
    pending = api.call("list", "list_images.json", query={"status": "pending"}, sub=owner).json()
    assert [i["title"] for i in pending["items"]] == ["Blue whale"]
    for q, titles in [
        ("fox", ["Red Fox in Snow"]),
        ("WHALE", ["Blue whale"]),
        ("n s", ["Red Fox in Snow"]),
        ("e", ["Blue whale", "Red Fox in Snow"]),
        ("zebra", []),
    ]:
        found = api.call("list", "list_images.json", query={"q": q}, sub=owner).json()
        assert [i["title"] for i in found["items"]] == titles, q
    both = api.call("list", "list_images.json", query={"q": "fox", "status": "pending"}, sub=owner).json()
    assert both["items"] == []


def test_create_refuses_bad_input_with_problems(api: Any) -> None:
    api.call("upload", "upload_create.json", raw_body="{not json").assert_problem(400)
    problem = api.call(
        "upload", "upload_create.json", body={"title": "", "content_type": "image/png", "size": 0}
    ).assert_problem(422)
    assert {e["field"] for e in problem["errors"]} == {"title", "size"}
    api.call(
        "upload", "upload_create.json", body={"title": "svg", "content_type": "image/svg+xml", "size": 10}
    ).assert_problem(415)
    too_big = api.call(
        "upload", "upload_create.json", body={"title": "big", "content_type": "image/png", "size": 20 * 1024 * 1024 + 1}
    )
    too_big.assert_problem(413)
    api.call(
        "upload", "upload_create.json", body={"title": "x", "content_type": "image/png", "size": 1, "sha256": "nope"}
    ).assert_problem(422)
    api.call("upload", "upload_create.json", body=["a", "list"]).assert_problem(422)


def test_missing_subject_is_401(api: Any) -> None:
    api.call("list", "list_images.json", sub=None).assert_problem(401)


@pytest.mark.parametrize("path", ["/health"])
def test_health_is_public(api: Any, path: str) -> None:
    reply = api.call("meta", "meta_health.json", path=path, sub=None)
    assert reply.status == 200 and reply.json()["status"] == "ok"
    assert reply.headers["x-content-type-options"] == "nosniff"


def test_a_create_resent_after_it_committed_counts_once(aws: Any) -> None:
    """An SDK retry of a create whose response was lost finds its own record: not an error, and
    the quota is not counted twice."""
    from datetime import UTC, datetime

    from imageapi.context import image_service
    from imageapi.domain.ids import new_image_id
    from imageapi.domain.models import ImageRecord, ImageStatus

    service = image_service()
    now = datetime.now(UTC)
    owner = "resent-create"
    record = ImageRecord(
        id=new_image_id(),
        owner=owner,
        title="once",
        status=ImageStatus.pending,
        content_type="image/png",
        declared_bytes=7,
        created_at=now,
        updated_at=now,
    )
    service.repository.create_pending(record, expires_at=2_000_000_000, quota=service.quota)
    service.repository.create_pending(record, expires_at=2_000_000_000, quota=service.quota)
    quota = boto3.client("dynamodb").get_item(
        TableName=next(iter(aws.tables.values())).name, Key={"pk": {"S": f"OWNER#{owner}"}, "sk": {"S": "QUOTA"}}
    )["Item"]
    assert (quota["images"]["N"], quota["bytes"]["N"]) == ("1", "7")
