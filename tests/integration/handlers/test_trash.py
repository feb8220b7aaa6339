"""Deletes that can be undone (SPEC §3.4) through the real handlers on moto: the trash item, the
versioned bucket (delete markers, restore, every version purged), quota, dedupe and the window."""

import hashlib
from typing import Any

import boto3

from imageapi.domain import keys
from tests.harness.images import jpeg
from tests.integration.handlers.test_lifecycle import fetch_presigned, ready_image, table_items
from tests.integration.handlers.test_spine import create, objects, put_incoming


def versions(aws: Any, prefix: str) -> list[tuple[str, bool]]:
    """Every version under ``prefix`` as (key, is a delete marker)."""
    bucket = next(iter(aws.buckets.values())).name
    answer = boto3.client("s3").list_object_versions(Bucket=bucket, Prefix=prefix)
    return [(v["Key"], False) for v in answer.get("Versions", [])] + [
        (m["Key"], True) for m in answer.get("DeleteMarkers", [])
    ]


def quota(aws: Any, owner: str) -> tuple[int, int]:
    item = next(i for i in table_items(aws, owner) if i["sk"]["S"] == "QUOTA")
    return int(item["images"]["N"]), int(item["bytes"]["N"])


def listed(api: Any, owner: str, **query: str) -> list[str]:
    reply = api.call("list", "list_images.json", query={"limit": "100", **query}, sub=owner)
    assert reply.status == 200, reply.text
    return [item["id"] for item in reply.json()["items"]]


def download_original(api: Any, image_id: str, owner: str) -> bytes:
    reply = api.call(
        "download",
        "download_get.json",
        path=f"/images/{image_id}/download",
        query={"variant": "original", "redirect": "false"},
        sub=owner,
    )
    assert reply.status == 200, reply.text
    return fetch_presigned(reply.json()["url"])[0]


def test_delete_restore_round_trip(api: Any, aws: Any, ingest: Any) -> None:
    owner = "trash-round-trip"
    data = jpeg(700, 500)
    sha = hashlib.sha256(data).hexdigest()
    image = ready_image(api, aws, ingest, owner=owner, data=data, title="harbour at dawn", sha256=sha)
    image_id, path = image["id"], f"/images/{image['id']}"
    analysis = api.call("analyse", "analyse_get.json", path=f"{path}/analysis", sub=owner).json()
    assert quota(aws, owner) == (1, len(data))

    reply = api.call("image", "image_delete.json", path=path, sub=owner)
    assert reply.status == 204 and not reply.text
    api.call("image", "image_get.json", path=path, sub=owner).assert_problem(404)
    api.call("analyse", "analyse_get.json", path=f"{path}/analysis", sub=owner).assert_problem(404)
    api.call("download", "download_get.json", path=f"{path}/download", sub=owner).assert_problem(404)
    api.call("download", "download_get.json", path=f"{path}/download", query={"w": "30"}, sub=owner).assert_problem(404)
    api.call("update", "update_patch.json", path=path, body={"title": "renamed"}, sub=owner).assert_problem(404)
    # Bytes arriving late for a trashed id (a redelivery) are an orphan: nothing comes back to life.
    ingest(put_incoming(aws, owner, image_id, data))
    assert objects(aws, keys.incoming_key(owner, image_id)) == []
    assert listed(api, owner) == [] and listed(api, owner, q="harbour") == [] and listed(api, owner, q="ha") == []
    assert listed(api, owner, status="ready") == []
    assert quota(aws, owner) == (0, 0)
    token = keys.encode_owner(owner)
    assert objects(aws, f"originals/{token}/") == [] and objects(aws, f"renditions/{token}/") == []
    assert (keys.original_key(owner, image_id), True) in versions(aws, f"originals/{token}/")
    sks = {i["sk"]["S"] for i in table_items(aws, owner)}
    assert f"TRASH#{image_id}" in sks and f"IMAGE#{image_id}" not in sks and f"SHA256#{sha}" not in sks
    trash_item = next(i for i in table_items(aws, owner) if i["sk"]["S"] == f"TRASH#{image_id}")
    assert int(trash_item["expires_at"]["N"]) > 0  # the table's TTL attribute
    # A new upload of the same bytes is no duplicate of the trashed image.
    again = create(api, sub=owner, title="same bytes", sha256=sha)
    assert "duplicate" not in again
    api.call("image", "image_delete.json", path=f"/images/{again['image']['id']}", sub=owner)  # pending: gone

    trashed = api.call("list", "list_images.json", query={"status": "deleted"}, sub=owner).json()["items"]
    assert [(t["id"], t["status"]) for t in trashed] == [(image_id, "deleted")]
    assert trashed[0]["deleted_at"] and trashed[0]["purge_at"] > trashed[0]["deleted_at"]
    api.call("image", "image_delete.json", path=path, sub=owner).assert_problem(404)  # a second delete

    restored = api.call("image", "image_restore.json", path=f"{path}/restore", sub=owner)
    assert restored.status == 200, restored.text
    assert restored.json()["id"] == image_id and restored.json()["status"] == "ready"
    assert api.call("analyse", "analyse_get.json", path=f"{path}/analysis", sub=owner).json() == analysis
    assert hashlib.sha256(download_original(api, image_id, owner)).hexdigest() == sha
    assert listed(api, owner) == [image_id] and listed(api, owner, q="harbour") == [image_id]
    assert listed(api, owner, status="deleted") == []
    assert quota(aws, owner) == (1, len(data))
    body = {"title": "same bytes again", "content_type": "image/jpeg", "size": len(data), "sha256": sha}
    dup = api.call("upload", "upload_create.json", body=body, sub=owner)
    assert dup.status == 200 and dup.json()["duplicate"] is True and dup.json()["image"]["id"] == image_id
    api.call("image", "image_restore.json", path=f"{path}/restore", sub=owner).assert_problem(404)


def test_foreign_and_unknown_restore_are_404(api: Any, aws: Any, ingest: Any) -> None:
    owner = "trash-owner"
    image = ready_image(api, aws, ingest, owner=owner)
    path = f"/images/{image['id']}"
    api.call("image", "image_delete.json", path=path, sub=owner)
    for sub in ("mallory", owner):
        bad = "/images/01JDQZ8Z6J8V0000000000ABCD" if sub == owner else path
        api.call("image", "image_restore.json", path=f"{bad}/restore", sub=sub).assert_problem(404)
    api.call("image", "image_delete.json", path=path, query={"permanent": "true"}, sub="mallory").assert_problem(404)
    assert listed(api, "mallory", status="deleted") == []
    assert api.call("image", "image_restore.json", path=f"{path}/restore", sub=owner).status == 200


def test_permanent_delete_removes_every_version_and_record(api: Any, aws: Any, ingest: Any) -> None:
    owner = "trash-purger"
    token = keys.encode_owner(owner)
    live = ready_image(api, aws, ingest, owner=owner, data=jpeg(300, 200))
    trashed = ready_image(api, aws, ingest, owner=owner, data=jpeg(200, 300), title="to trash first")
    api.call("download", "download_get.json", path=f"/images/{live['id']}/download", query={"w": "40"}, sub=owner)
    api.call("image", "image_delete.json", path=f"/images/{trashed['id']}", sub=owner)
    for image in (live, trashed):
        reply = api.call(
            "image", "image_delete.json", path=f"/images/{image['id']}", query={"permanent": "true"}, sub=owner
        )
        assert reply.status == 204, reply.text
    for prefix in ("incoming", "originals", "renditions"):
        assert versions(aws, f"{prefix}/{token}/") == []
    # The quota counter stays, and so do a rate-limit counter and each purge's outbox item (the
    # image.purged event, domain/events): both expire by TTL.
    left = [i["sk"]["S"] for i in table_items(aws, owner) if i["sk"]["S"] != "QUOTA"]
    assert sorted(sk for sk in left if not sk.startswith("RATE#")) == sorted(
        f"PURGED#{i['id']}" for i in (live, trashed)
    )
    assert quota(aws, owner) == (0, 0)
    for image in (live, trashed):
        path = f"/images/{image['id']}"
        api.call("image", "image_delete.json", path=path, query={"permanent": "true"}, sub=owner).assert_problem(404)
        api.call("image", "image_restore.json", path=f"{path}/restore", sub=owner).assert_problem(404)
    bad = api.call("image", "image_delete.json", path=f"/images/{live['id']}", query={"permanent": "maybe"}, sub=owner)
    assert bad.status in (400, 422) and bad.headers["content-type"] == "application/problem+json"


def test_restore_after_the_window_is_404(api: Any, aws: Any, ingest: Any, settings_override: Any) -> None:
    owner = "trash-late"
    settings_override(trash_retention_days="0")  # the window closes as soon as it opens
    image = ready_image(api, aws, ingest, owner=owner)
    path = f"/images/{image['id']}"
    assert api.call("image", "image_delete.json", path=path, sub=owner).status == 204
    assert listed(api, owner, status="deleted") == []
    api.call("image", "image_restore.json", path=f"{path}/restore", sub=owner).assert_problem(404)
    assert quota(aws, owner) == (0, 0)


def test_restore_over_quota_is_429_and_the_image_stays_in_the_trash(
    api: Any, aws: Any, ingest: Any, settings_override: Any
) -> None:
    owner = "trash-full"
    settings_override(quota_max_images="1")
    first = ready_image(api, aws, ingest, owner=owner, data=jpeg(100, 100))
    api.call("image", "image_delete.json", path=f"/images/{first['id']}", sub=owner)
    ready_image(api, aws, ingest, owner=owner, data=jpeg(120, 100), title="took the slot")
    problem = api.call("image", "image_restore.json", path=f"/images/{first['id']}/restore", sub=owner)
    assert problem.assert_problem(429)["type"].endswith("quota-exceeded")
    assert listed(api, owner, status="deleted") == [first["id"]]
    assert objects(aws, keys.original_key(owner, first["id"])) == []  # its bytes stay hidden


def test_the_trash_pages_newest_deletion_first(api: Any, aws: Any, ingest: Any) -> None:
    owner = "trash-pager"
    ids = [ready_image(api, aws, ingest, owner=owner, data=jpeg(60 + i, 40), title=f"p{i}")["id"] for i in range(3)]
    for image_id in (ids[1], ids[0], ids[2]):
        assert api.call("image", "image_delete.json", path=f"/images/{image_id}", sub=owner).status == 204
    first = api.call("list", "list_images.json", query={"status": "deleted", "limit": "2"}, sub=owner).json()
    assert [i["id"] for i in first["items"]] == [ids[2], ids[0]] and first["next_cursor"]
    rest = api.call(
        "list", "list_images.json", query={"status": "deleted", "limit": "2", "cursor": first["next_cursor"]}, sub=owner
    ).json()
    assert [i["id"] for i in rest["items"]] == [ids[1]] and rest["next_cursor"] is None
    assert listed(api, owner, status="deleted", q="p0") == [ids[0]]
    # A cursor of the live list does not continue the trash (and vice versa): 400.
    api.call(
        "list", "list_images.json", query={"status": "ready", "cursor": first["next_cursor"]}, sub=owner
    ).assert_problem(400)


def test_same_bytes_twice_the_newer_copy_keeps_the_duplicate_marker(api: Any, aws: Any, ingest: Any) -> None:
    owner = "trash-twins"
    data = jpeg(90, 90)
    sha = hashlib.sha256(data).hexdigest()
    older = ready_image(api, aws, ingest, owner=owner, data=data, title="older")
    newer = ready_image(api, aws, ingest, owner=owner, data=data, title="newer")  # no sha256 declared: no dedupe

    def marker() -> str | None:
        found = [i for i in table_items(aws, owner) if i["sk"]["S"] == f"SHA256#{sha}"]
        return found[0]["image_id"]["S"] if found else None

    assert marker() == newer["id"]
    # Trashing the older copy leaves the newer copy's marker alone (its condition fails; the
    # transaction commits without it) ...
    assert api.call("image", "image_delete.json", path=f"/images/{older['id']}", sub=owner).status == 204
    assert marker() == newer["id"] and quota(aws, owner)[0] == 1
    # ... and restoring it does not take the marker over: one marker, still the newer image's.
    assert api.call("image", "image_restore.json", path=f"/images/{older['id']}/restore", sub=owner).status == 200
    assert marker() == newer["id"] and quota(aws, owner)[0] == 2
    # Trash the newer one: its marker goes; restore it: its marker comes back.
    api.call("image", "image_delete.json", path=f"/images/{newer['id']}", sub=owner)
    assert marker() is None
    api.call("image", "image_restore.json", path=f"/images/{newer['id']}/restore", sub=owner)
    assert marker() == newer["id"]
