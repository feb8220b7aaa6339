"""Fair sharing (issue #15): per-owner limits on the costly routes, through the real handlers and
the DynamoDB counter on moto."""

from typing import Any

import boto3

from tests.harness.images import png
from tests.integration.handlers.test_lifecycle import ready_image


def _raw_upload(api: Any, owner: str, title: str) -> Any:
    return api.call(
        "upload",
        "upload_create.json",
        binary=png(),
        query={"title": title},
        headers={"content-type": "image/png"},
        sub=owner,
    )


def test_direct_uploads_over_the_limit_answer_429_with_retry_after(api: Any, settings_override: Any) -> None:
    settings_override(rate_limit_direct_uploads=2, rate_limit_window_seconds=3600)
    for n in range(2):
        assert _raw_upload(api, "rl-uploader", f"ok {n}").status == 201
    reply = _raw_upload(api, "rl-uploader", "one too many")
    problem = reply.assert_problem(429)
    assert problem["type"].endswith("rate-limited") and problem["route"] == "direct-upload"
    assert 1 <= int(reply.headers["retry-after"]) <= 3600
    assert _raw_upload(api, "rl-bystander", "someone else").status == 201, "other owners are unaffected"


def test_transforms_are_limited_but_stored_variants_are_not(
    api: Any, aws: Any, ingest: Any, settings_override: Any
) -> None:
    settings_override(rate_limit_transforms=2, rate_limit_window_seconds=3600)
    ready = ready_image(api, aws, ingest, owner="rl-viewer")
    path = f"/images/{ready['id']}/download"
    for width in (10, 20):
        assert (
            api.call("download", "download_get.json", path=path, query={"w": str(width)}, sub="rl-viewer").status == 302
        )
    limited = api.call("download", "download_get.json", path=path, query={"w": "10"}, sub="rl-viewer")
    limited.assert_problem(429)
    assert int(limited.headers["retry-after"]) >= 1
    thumb = api.call("download", "download_get.json", path=path, query={"variant": "thumbnail"}, sub="rl-viewer")
    assert thumb.status == 302


def test_the_counter_is_one_ttl_item_per_owner_route_and_window(api: Any, aws: Any, settings_override: Any) -> None:
    settings_override(rate_limit_direct_uploads=1, rate_limit_window_seconds=3600)
    assert _raw_upload(api, "rl-counted", "first").status == 201
    _raw_upload(api, "rl-counted", "second").assert_problem(429)
    table = next(iter(aws.tables.values())).name
    items = boto3.client("dynamodb").query(
        TableName=table,
        KeyConditionExpression="pk = :pk AND begins_with(sk, :rate)",
        ExpressionAttributeValues={":pk": {"S": "OWNER#rl-counted"}, ":rate": {"S": "RATE#"}},
    )["Items"]
    assert len(items) == 1 and items[0]["hits"] == {"N": "1"}, "a refused request is not counted"
    assert int(items[0]["expires_at"]["N"]) > int(items[0]["sk"]["S"].rsplit("#", 1)[1])


def test_health_publishes_the_rate_limits(api: Any, settings_override: Any) -> None:
    settings_override(rate_limit_predictions=7, rate_limit_window_seconds=120)
    limits = api.call("meta", "meta_health.json", sub=None).json()["limits"]
    assert limits["rate_limits"]["prediction"] == 7 and limits["rate_limit_window_seconds"] == 120
    assert set(limits["rate_limits"]) == {"url-import", "direct-upload", "transform", "prediction", "webhooks"}
