"""`create_resources`: creates what template.yaml declares on the local AWS endpoint (bucket with
versioning, CORS and notifications; queues with redrive; the table with its GSIs and TTL)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from botocore.exceptions import ClientError

from ..template import LocalTemplate
from .clients import client


def create_resources(
    endpoint_url: str, template: LocalTemplate | None = None, extra_cors_origins: Iterable[str] = ()
) -> LocalTemplate:
    """Create the bucket (+versioning, +CORS, +notifications), queues (+redrive) and table (+GSIs, TTL).

    Idempotent: running it again against the same endpoint changes nothing. `extra_cors_origins`
    are added to every bucket CORS rule (the local gateway's origins, so its page can upload).
    """
    if template is None:
        from .. import REPO_ROOT
        from ..template import load

        template = load(REPO_ROOT / "template.yaml", aws_url=endpoint_url)
    sqs, s3, ddb = (client(s, endpoint_url) for s in ("sqs", "s3", "dynamodb"))

    # Dead-letter queues first: a redrive policy names an existing queue's ARN.
    for spec in sorted(template.queues.values(), key=lambda q: q.dlq_id is not None):
        attributes = dict(spec.attributes)
        if spec.dlq_id:
            attributes["RedrivePolicy"] = json.dumps(
                {"deadLetterTargetArn": template.queue_arn(spec.dlq_id), "maxReceiveCount": spec.max_receive_count}
            )
        try:
            sqs.create_queue(QueueName=spec.name, Attributes=attributes)
        except ClientError as exc:
            if "QueueAlreadyExists" not in str(exc) and "QueueNameExists" not in str(exc):
                raise
            url = sqs.get_queue_url(QueueName=spec.name)["QueueUrl"]
            sqs.set_queue_attributes(QueueUrl=url, Attributes=attributes)

    for bucket in template.buckets.values():
        try:
            s3.create_bucket(Bucket=bucket.name)
        except ClientError as exc:
            if exc.response["Error"]["Code"] not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                raise
        if bucket.versioned:  # deletes and overwrites keep noncurrent versions, as in AWS (no lifecycle expiry here)
            s3.put_bucket_versioning(Bucket=bucket.name, VersioningConfiguration={"Status": "Enabled"})
        if bucket.cors_rules:
            rules = [
                {**r, "AllowedOrigins": _unique([*r["AllowedOrigins"], *extra_cors_origins])} for r in bucket.cors_rules
            ]
            s3.put_bucket_cors(Bucket=bucket.name, CORSConfiguration={"CORSRules": rules})
        if bucket.notifications:
            wanted = {"QueueConfigurations": [_queue_notification(n, template) for n in bucket.notifications]}
            current = s3.get_bucket_notification_configuration(Bucket=bucket.name)
            # Only when it changed: S3 (and moto) send an s3:TestEvent to the queue on every put.
            if _comparable(current.get("QueueConfigurations")) != _comparable(wanted["QueueConfigurations"]):
                s3.put_bucket_notification_configuration(Bucket=bucket.name, NotificationConfiguration=wanted)

    for table in template.tables.values():
        kwargs: dict[str, Any] = {
            "TableName": table.name,
            "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": table.attribute_definitions,
            "KeySchema": table.key_schema,
        }
        if table.global_secondary_indexes:
            kwargs["GlobalSecondaryIndexes"] = [
                {k: v for k, v in g.items() if k in ("IndexName", "KeySchema", "Projection")}
                for g in table.global_secondary_indexes
            ]
        try:
            ddb.create_table(**kwargs)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ResourceInUseException":
                raise
        if table.ttl_attribute:
            ttl = ddb.describe_time_to_live(TableName=table.name)["TimeToLiveDescription"]
            if ttl.get("TimeToLiveStatus") not in ("ENABLED", "ENABLING"):
                ddb.update_time_to_live(
                    TableName=table.name,
                    TimeToLiveSpecification={"Enabled": True, "AttributeName": table.ttl_attribute},
                )
    return template


def _queue_notification(n: Any, template: LocalTemplate) -> dict[str, Any]:
    conf: dict[str, Any] = {
        "Id": f"{n.queue_id or 'queue'}-notification",
        "QueueArn": template.queue_arn(n.queue_id) if n.queue_id else n.queue_arn,
        "Events": list(n.events),
    }
    rules = [{"Name": name, "Value": value} for name, value in (("prefix", n.prefix), ("suffix", n.suffix)) if value]
    if rules:
        conf["Filter"] = {"Key": {"FilterRules": rules}}
    return conf


def _comparable(confs: list[dict[str, Any]] | None) -> list[str]:
    out = []
    for c in confs or []:
        filter_rules = c.get("Filter", {}).get("Key", {}).get("FilterRules", [])
        rules = sorted((r["Name"].lower(), r["Value"]) for r in filter_rules)
        out.append(json.dumps([c["QueueArn"], sorted(c["Events"]), rules]))
    return sorted(out)


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))
